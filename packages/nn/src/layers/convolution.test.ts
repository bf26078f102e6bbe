import '@symgrad/backend-cpu';
import { verifyGrad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { sgd } from '../optimizers/sgd.js';
import { Trainer } from '../train/trainer.js';
import { Conv2D } from './convolution.js';
import { Dense, Flatten } from './dense.js';
import { AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D } from './pooling.js';
import { Sequential } from './sequential.js';
import { axisWindows, type Padding } from './spatial.js';

type Pair = [number, number];
const pairOf = (v: number | Pair): Pair => (typeof v === 'number' ? [v, v] : v);

/**
 * float64 windows over x [n, h, w, c]: `combine(values inside the image, window size)` per
 * output element and channel, or with `kernel` [kh, kw, c, f] a convolution.
 */
function reference(x: NDArray, k: Pair, s: Pair, padding: Padding, op: { conv: { kernel: NDArray; bias: ArrayLike<number>; filters: number; groups?: number } } | { pool: (inside: number[]) => number }, dil: Pair = [1, 1]) {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const rows = axisWindows(h, (k[0] - 1) * dil[0] + 1, s[0], padding);
  const cols = axisWindows(w, (k[1] - 1) * dil[1] + 1, s[1], padding);
  const f = 'conv' in op ? op.conv.filters : c;
  const out = new Float64Array(n * rows.out * cols.out * f);
  const xs = x.data;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < rows.out; r++) {
      for (let q = 0; q < cols.out; q++) {
        for (let o = 0; o < f; o++) {
          let acc = 'conv' in op ? op.conv.bias[o]! : 0;
          const inside: number[] = [];
          for (let i = 0; i < k[0]; i++) {
            for (let j = 0; j < k[1]; j++) {
              const y = r * s[0] - rows.before + i * dil[0];
              const z = q * s[1] - cols.before + j * dil[1];
              if (y < 0 || y >= h || z < 0 || z >= w) continue;
              if ('conv' in op) {
                // Filter o reads the channels of its group only; the kernel holds c / groups of them.
                const groups = op.conv.groups ?? 1;
                const per = c / groups;
                const first = Math.floor(o / (f / groups)) * per;
                for (let ch = first; ch < first + per; ch++) acc += xs[((b * h + y) * w + z) * c + ch]! * op.conv.kernel.data[((i * k[1] + j) * per + ch - first) * f + o]!;
              } else inside.push(xs[((b * h + y) * w + z) * c + o]!);
            }
          }
          out[((b * rows.out + r) * cols.out + q) * f + o] = 'conv' in op ? acc : op.pool(inside);
        }
      }
    }
  }
  return { out, shape: [n, rows.out, cols.out, f] };
}

// Awkward sizes: one row, primes, strides that do not divide the image, 1×1 and image-sized kernels.
const CONV_CASES: readonly { n: number; image: [number, number, number]; filters: number; kernel: number | Pair; strides: number | Pair; padding: Padding; dilation?: number | Pair }[] = [
  { n: 1, image: [5, 7, 1], filters: 2, kernel: 3, strides: 1, padding: 'valid' },
  { n: 2, image: [6, 5, 3], filters: 4, kernel: [2, 3], strides: 2, padding: 'same' },
  { n: 3, image: [7, 7, 2], filters: 1, kernel: 3, strides: [2, 1], padding: 'same' },
  { n: 1, image: [4, 4, 1], filters: 3, kernel: 4, strides: 1, padding: 'valid' },
  { n: 2, image: [3, 5, 5], filters: 2, kernel: 1, strides: 2, padding: 'valid' },
  { n: 2, image: [9, 8, 2], filters: 3, kernel: 3, strides: 1, padding: 'valid', dilation: 2 },
  { n: 1, image: [7, 10, 3], filters: 2, kernel: [2, 3], strides: [1, 2], padding: 'same', dilation: [3, 2] },
];

describe('Conv2D', () => {
  for (const t of CONV_CASES) {
    it(`matches a float64 convolution: ${t.n} × [${t.image.join(', ')}], ${t.filters} filters, kernel ${t.kernel}, strides ${t.strides}, ${t.padding}${t.dilation ? `, dilation ${t.dilation}` : ''}`, async () => {
      const rng = new TestRandom(t.image.reduce((a, b) => a * 7 + b, t.n));
      const layer = new Conv2D(t.filters, t.kernel, { strides: t.strides, padding: t.padding, ...(t.dilation ? { dilationRate: t.dilation } : {}) });
      const model = new Sequential([layer], { inputShape: t.image });
      const [kernel, bias] = layer.parameters();
      expect(kernel!.shape).toEqual([...pairOf(t.kernel), t.image[2], t.filters]);
      const b = rng.array([t.filters], 'float32', -1, 1);
      bias!.set(b);
      const x = rng.array([t.n, ...t.image], 'float32', -2, 2);
      const X = T.tensor('float32', [null, ...t.image], 'x');
      const got = await fn([X], model.apply(X))(x);
      const want = reference(x, pairOf(t.kernel), pairOf(t.strides), t.padding, { conv: { kernel: kernel!.get(), bias: b.data, filters: t.filters } }, pairOf(t.dilation ?? 1));
      expect(got.shape).toEqual(want.shape);
      expect([null, ...model.outputShape]).toEqual([null, ...want.shape.slice(1)]);
      expect(relativeError(got.data, want.out)).toBeLessThan(1e-5);
    });
  }

  // Depthwise (one channel per group, with and without a multiplier) and grouped products, strided, padded and dilated.
  const groupCases: readonly { n: number; image: [number, number, number]; filters: number; groups: number; kernel: number | Pair; strides: number | Pair; padding: Padding; dilation?: number }[] = [
    { n: 2, image: [5, 6, 3], filters: 3, groups: 3, kernel: 3, strides: 1, padding: 'valid' },
    { n: 1, image: [4, 7, 2], filters: 4, groups: 2, kernel: [2, 3], strides: 2, padding: 'same' },
    { n: 2, image: [6, 5, 4], filters: 6, groups: 2, kernel: [2, 3], strides: 1, padding: 'valid' },
    { n: 1, image: [7, 7, 6], filters: 9, groups: 3, kernel: 2, strides: [1, 2], padding: 'same', dilation: 2 },
    { n: 3, image: [1, 5, 5], filters: 5, groups: 5, kernel: 1, strides: 1, padding: 'valid' },
  ];
  for (const t of groupCases) {
    it(`groups: matches a float64 grouped convolution: ${t.n} × [${t.image.join(', ')}], ${t.filters} filters in ${t.groups} groups, kernel ${t.kernel}, strides ${t.strides}, ${t.padding}`, async () => {
      const rng = new TestRandom(t.image.reduce((a, b) => a * 5 + b, t.groups));
      const layer = new Conv2D(t.filters, t.kernel, { groups: t.groups, strides: t.strides, padding: t.padding, ...(t.dilation ? { dilationRate: t.dilation } : {}), biasInitializer: 'glorotUniform' });
      const model = new Sequential([layer], { inputShape: [...t.image] });
      const [kernel, bias] = layer.parameters();
      expect(kernel!.shape).toEqual([...pairOf(t.kernel), t.image[2] / t.groups, t.filters]);
      const x = rng.array([t.n, ...t.image], 'float32', -2, 2);
      const X = T.tensor('float32', [null, ...t.image], 'x');
      const got = await fn([X], model.apply(X))(x);
      const want = reference(x, pairOf(t.kernel), pairOf(t.strides), t.padding, { conv: { kernel: kernel!.get(), bias: bias!.get().data, filters: t.filters, groups: t.groups } }, pairOf(t.dilation ?? 1));
      expect(got.shape).toEqual(want.shape);
      expect(relativeError(got.data, want.out)).toBeLessThan(1e-5);
    });
  }

  it('groups: gradients match finite differences, depthwise and grouped', async () => {
    const rng = new TestRandom(12);
    for (const [filters, groups] of [[4, 2], [6, 3]] as const) {
      const layer = new Conv2D(filters, [2, 3], { groups, strides: [1, 2], padding: 'same', seed: 6 });
      new Sequential([layer], { inputShape: [4, 5, groups === 3 ? 3 : 4] });
      const x = rng.array([2, 4, 5, groups === 3 ? 3 : 4], 'float64', -1, 1);
      const weights = rng.array([2, 4, 3, filters], 'float64', -1, 1);
      await verifyGrad((v) => T.sum(T.mul(layer.call(v), T.constant(weights))), [x], { rtol: 1e-4 });
    }
  });

  it('has gradients that match finite differences, strided, padded and dilated', async () => {
    const layer = new Conv2D(3, 3, { strides: 2, padding: 'same', seed: 4 });
    new Sequential([layer], { inputShape: [5, 4, 2] });
    const rng = new TestRandom(8);
    const weights = rng.array([2, 3, 2, 3], 'float64', -1, 1);
    await verifyGrad((x) => T.sum(T.mul(layer.call(x), T.constant(weights))), [rng.array([2, 5, 4, 2], 'float64', -1, 1)], { rtol: 1e-4 });
    const dilated = new Conv2D(2, 2, { dilationRate: [2, 1], padding: 'same', seed: 5 });
    new Sequential([dilated], { inputShape: [5, 4, 2] });
    const w2 = rng.array([2, 5, 4, 2], 'float64', -1, 1);
    await verifyGrad((x) => T.sum(T.mul(dilated.call(x), T.constant(w2))), [rng.array([2, 5, 4, 2], 'float64', -1, 1)], { rtol: 1e-4 });
  });

  it('a small CNN learns with the Trainer', async () => {
    // 6×6 one-channel images: class 1 where the top half is brighter than the bottom.
    const rng = new TestRandom(21);
    const x = rng.array([64, 6, 6, 1], 'float32', 0, 1);
    const labels = new Int32Array(64);
    for (let i = 0; i < 64; i++) {
      let top = 0;
      for (let p = 0; p < 36; p++) top += (p < 18 ? 1 : -1) * x.data[i * 36 + p]!;
      labels[i] = top > 0 ? 1 : 0;
    }
    const model = new Sequential([
      new Conv2D(4, 3, { activation: 'relu', padding: 'same' }), new MaxPooling2D(2), new Flatten(), new Dense(2),
    ], { inputShape: [6, 6, 1], seed: 3 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.5 }), metrics: ['accuracy'] });
    const history = await trainer.fit({ x, y: new NDArray('int32', [64], labels) }, { epochs: 30, batchSize: 16, seed: 1 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss! * 0.6);
    expect(history.epochs.at(-1)!.accuracy).toBeGreaterThan(0.8);
  });

  it('rebuilds from its configuration, and its summary counts the kernel and bias', () => {
    const model = new Sequential([new Conv2D(8, [3, 2], { strides: [1, 2], padding: 'same', activation: 'relu' }), new AveragePooling2D(2, { padding: 'same' }), new MaxPooling2D([2, 1]), new GlobalAveragePooling2D()], { inputShape: [9, 8, 3] });
    const copy = Sequential.fromConfig(JSON.stringify(model.toConfig()));
    expect(copy.toConfig()).toEqual(model.toConfig());
    expect(model.toConfig().config.layers[0]).toEqual({ className: 'Conv2D', config: { filters: 8, kernelSize: [3, 2], strides: [1, 2], padding: 'same', dilationRate: [1, 1], activation: 'relu', useBias: true, name: 'conv2d_0' } });
    expect(model.layers.map((l) => l.outputShape)).toEqual([[9, 4, 8], [5, 2, 8], [2, 2, 8], [8]]);
    expect(model.countParameters()).toBe(3 * 2 * 3 * 8 + 8);
    const depthwise = new Sequential([new Conv2D(6, 3, { groups: 3, padding: 'same' })], { inputShape: [5, 5, 3] });
    const again = Sequential.fromConfig(JSON.stringify(depthwise.toConfig()));
    expect(again.toConfig()).toEqual(depthwise.toConfig());
    expect(depthwise.toConfig().config.layers[0]!.config['groups']).toBe(3);
    expect(depthwise.countParameters()).toBe(3 * 3 * 1 * 6 + 6);
  });

  it('names what is wrong', () => {
    expect(() => new Conv2D(0, 3)).toThrow('Conv2D: filters must be a positive integer, got 0');
    expect(() => new Conv2D(2, [3, 0])).toThrow('Conv2D: kernelSize must be a positive integer or a pair of them, got [3,0]');
    expect(() => new Conv2D(2, 3, { strides: 1.5 })).toThrow('Conv2D: strides must be a positive integer or a pair of them, got 1.5');
    expect(() => new Conv2D(2, 3, { padding: 'full' as never })).toThrow('Conv2D: padding must be \'valid\' or \'same\', got "full"');
    expect(() => new Sequential([new Conv2D(2, 5)], { inputShape: [4, 6, 1] })).toThrow("Conv2D 'conv2d_0': a 5×5 kernel does not fit in 4×6 inputs with padding 'valid'; use padding 'same' or a smaller kernel");
    expect(() => new Sequential([new Conv2D(2, 3)], { inputShape: [28, 28] })).toThrow("Conv2D 'conv2d_0' expects per-example inputs [height, width, channels], got [28, 28]");
    const model = new Sequential([new Conv2D(2, 3)], { inputShape: [5, 5, 1] });
    expect(() => model.layers[0]!.call(T.matrix('m'))).toThrow("Conv2D 'conv2d_0': expected a batch of per-example shape [5, 5, 1], got 'm' (float32[?, ?])");
    expect(() => new Conv2D(2, 3).kernel).toThrow('Conv2D is not built yet, so it has no kernel');
    expect(() => new Conv2D(2, 3, { dilationRate: [2, 0] })).toThrow('Conv2D: dilationRate must be a positive integer or a pair of them, got [2,0]');
    expect(() => new Conv2D(2, 3, { groups: 0 })).toThrow('Conv2D: groups must be a positive integer, got 0');
    expect(() => new Sequential([new Conv2D(4, 3, { groups: 2 })], { inputShape: [5, 5, 3] })).toThrow("Conv2D 'conv2d_0': groups 2 must divide both the input channels (3) and the filters (4)");
    expect(() => new Sequential([new Conv2D(3, 3, { groups: 2 })], { inputShape: [5, 5, 4] })).toThrow("Conv2D 'conv2d_0': groups 2 must divide both the input channels (4) and the filters (3)");
    expect(() => new Sequential([new Conv2D(2, 3, { dilationRate: 3 })], { inputShape: [6, 9, 1] })).toThrow("Conv2D 'conv2d_0': a 7×7 dilated kernel does not fit in 6×9 inputs with padding 'valid'; use padding 'same' or a smaller dilated kernel");
  });
});

describe('pooling', () => {
  const max = (v: number[]) => Math.max(...v);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const cases: readonly { image: [number, number, number]; pool: number | Pair; strides?: number | Pair; padding: Padding }[] = [
    { image: [4, 6, 2], pool: 2, padding: 'valid' },
    { image: [5, 7, 3], pool: 2, padding: 'same' },
    { image: [7, 5, 1], pool: [3, 2], strides: [2, 3], padding: 'same' },
    { image: [5, 5, 2], pool: 3, strides: 1, padding: 'valid' },
  ];
  for (const t of cases) {
    for (const [Layer, combine] of [[MaxPooling2D, max], [AveragePooling2D, mean]] as const) {
      it(`${Layer.name} matches float64 windows: [${t.image.join(', ')}], pool ${t.pool}, strides ${t.strides ?? 'the pool'}, ${t.padding}`, async () => {
        const rng = new TestRandom(t.image.reduce((a, b) => a * 5 + b, 1));
        const layer = new Layer(t.pool, { ...(t.strides === undefined ? {} : { strides: t.strides }), padding: t.padding });
        new Sequential([layer], { inputShape: t.image });
        const x = rng.array([3, ...t.image], 'float32', -2, 2);
        const X = T.tensor('float32', [null, ...t.image], 'x');
        const got = await fn([X], layer.call(X))(x);
        const want = reference(x, pairOf(t.pool), pairOf(t.strides ?? t.pool), t.padding, { pool: combine });
        expect(got.shape).toEqual(want.shape);
        expect(relativeError(got.data, want.out)).toBeLessThan(1e-6);
      });
    }
  }

  it('GlobalAveragePooling2D is the mean over the image per channel', async () => {
    const rng = new TestRandom(2);
    const layer = new GlobalAveragePooling2D();
    new Sequential([layer], { inputShape: [3, 5, 2] });
    const x = rng.array([2, 3, 5, 2], 'float32', -1, 1);
    const X = T.tensor4('x');
    const got = await fn([X], layer.call(X))(x);
    const want = [0, 1, 2, 3].map((bc) => {
      const [b, c] = [Math.floor(bc / 2), bc % 2];
      let s = 0;
      for (let p = 0; p < 15; p++) s += x.data[(b * 15 + p) * 2 + c]!;
      return s / 15;
    });
    expect(relativeError(got.data, want)).toBeLessThan(1e-6);
  });

  it('have gradients that match finite differences', async () => {
    const rng = new TestRandom(5);
    for (const layer of [new MaxPooling2D(2, { padding: 'same' }), new AveragePooling2D([2, 3], { strides: 1, padding: 'same' })]) {
      new Sequential([layer], { inputShape: [5, 4, 2] });
      const weights = rng.array([2, ...layer.outputShape], 'float64', -1, 1);
      await verifyGrad((x) => T.sum(T.mul(layer.call(x), T.constant(weights))), [rng.array([2, 5, 4, 2], 'float64', -1, 1)], { rtol: 1e-4 });
    }
  });

  it('name what is wrong', () => {
    expect(() => new MaxPooling2D(0)).toThrow('MaxPooling2D: poolSize must be a positive integer or a pair of them, got 0');
    expect(() => new AveragePooling2D(2, { padding: 'causal' as never })).toThrow('AveragePooling2D: padding must be \'valid\' or \'same\', got "causal"');
    expect(() => new Sequential([new MaxPooling2D(3)], { inputShape: [2, 8, 1] })).toThrow("MaxPooling2D 'max_pooling2d_0': a 3×3 pool does not fit in 2×8 inputs with padding 'valid'; use padding 'same' or a smaller pool");
    expect(() => new Sequential([new GlobalAveragePooling2D()], { inputShape: [8] })).toThrow("GlobalAveragePooling2D 'global_average_pooling2d_0' expects per-example inputs [height, width, channels], got [8]");
  });
});
