import '@symgrad/backend-cpu';
import { verifyGrad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { adam } from '../optimizers/adam.js';
import { Trainer } from '../train/trainer.js';
import { Conv1D } from './convolution.js';
import { Dense } from './dense.js';
import { Embedding } from './embedding.js';
import { GlobalMaxPooling1D } from './pooling.js';
import { Sequential } from './sequential.js';
import { axisWindows, type Padding } from './spatial.js';

/** The convolution of x [n, steps, c] with kernel [k, c, f] and a bias, in float64 ('same' pads as TensorFlow). */
function reference(x: NDArray, kernel: NDArray, bias: ArrayLike<number>, k: number, s: number, d: number, padding: Padding, groups = 1): { out: Float64Array; shape: number[] } {
  const [n, steps, c] = x.shape as [number, number, number];
  const per = c / groups;
  const f = kernel.shape[2]!;
  const w = axisWindows(steps, (k - 1) * d + 1, s, padding);
  const out = new Float64Array(n * w.out * f);
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < w.out; t++) {
      for (let o = 0; o < f; o++) {
        let acc = bias[o]!;
        for (let i = 0; i < k; i++) {
          const p = t * s - w.before + i * d;
          if (p < 0 || p >= steps) continue;
          const first = Math.floor(o / (f / groups)) * per;
          for (let ch = first; ch < first + per; ch++) acc += x.data[(b * steps + p) * c + ch]! * kernel.data[(i * per + ch - first) * f + o]!;
        }
        out[(b * w.out + t) * f + o] = acc;
      }
    }
  }
  return { out, shape: [n, w.out, f] };
}

// Awkward sizes: one step, primes, strides that do not divide the sequence, kernels of 1 and of the whole sequence, dilations.
const CASES: readonly { n: number; steps: number; c: number; filters: number; k: number; s: number; padding: Padding; d?: number }[] = [
  { n: 1, steps: 7, c: 1, filters: 2, k: 3, s: 1, padding: 'valid' },
  { n: 2, steps: 13, c: 3, filters: 4, k: 4, s: 2, padding: 'same' },
  { n: 3, steps: 1, c: 2, filters: 1, k: 3, s: 1, padding: 'same' },
  { n: 1, steps: 5, c: 5, filters: 3, k: 5, s: 1, padding: 'valid' },
  { n: 2, steps: 11, c: 2, filters: 2, k: 1, s: 3, padding: 'valid' },
  { n: 2, steps: 17, c: 2, filters: 3, k: 3, s: 2, padding: 'same', d: 3 },
];

describe('Conv1D', () => {
  it.each([
    { steps: 9, c: 4, filters: 4, groups: 4, k: 3, s: 1, padding: 'same' as Padding },
    { steps: 10, c: 6, filters: 4, groups: 2, k: 2, s: 3, padding: 'valid' as Padding },
  ])('groups: matches a float64 grouped loop: %o', async ({ steps, c, filters, groups, k, s, padding }) => {
    const rng = new TestRandom(steps * 7 + groups);
    const layer = new Conv1D(filters, k, { groups, strides: s, padding, biasInitializer: 'glorotUniform' });
    const model = new Sequential([layer], { inputShape: [steps, c], seed: 4 });
    expect(layer.kernel.shape).toEqual([k, c / groups, filters]);
    const x = T.tensor3('x');
    const xv = rng.array([2, steps, c], 'float32', -1, 1);
    const got = await fn([x], model.apply(x))(xv);
    const want = reference(xv, layer.kernel.get(), model.parameters()[1]!.get().data, k, s, 1, padding, groups);
    expect(got.shape).toEqual(want.shape);
    expect(relativeError(got.data, want.out)).toBeLessThan(1e-6);
    expect(Sequential.fromConfig(JSON.stringify(model.toConfig())).toConfig()).toEqual(model.toConfig());
    expect(() => new Sequential([new Conv1D(3, 2, { groups: 2 })], { inputShape: [5, 4] })).toThrow("Conv1D 'conv1d_0': groups 2 must divide both the input channels (4) and the filters (3)");
    expect(() => new Conv1D(3, 2, { groups: 1.5 })).toThrow('Conv1D: groups must be a positive integer, got 1.5');
  });

  it.each(CASES)('matches a float64 loop: %o', async ({ n, steps, c, filters, k, s, padding, d }) => {
    const rng = new TestRandom(steps * 31 + k);
    const layer = new Conv1D(filters, k, { strides: s, padding, dilationRate: d ?? 1, biasInitializer: 'glorotUniform' });
    const model = new Sequential([layer], { inputShape: [steps, c], seed: 3 });
    const x = T.tensor3('x');
    const xv = rng.array([n, steps, c], 'float32', -1, 1);
    const got = await fn([x], model.apply(x))(xv);
    const want = reference(xv, layer.kernel.get(), model.parameters()[1]!.get().data, k, s, d ?? 1, padding);
    expect(got.shape).toEqual(want.shape);
    expect(model.outputShape).toEqual(want.shape.slice(1));
    expect(relativeError(got.data, want.out)).toBeLessThan(1e-6);
  });

  it('differentiates w.r.t. its input (float64 inputs compute in float64)', async () => {
    const layer = new Conv1D(2, 3, { padding: 'same', strides: 2, activation: 'tanh' });
    new Sequential([layer], { inputShape: [7, 3], seed: 1 });
    await verifyGrad((x) => layer.call(x), [new TestRandom(5).array([2, 7, 3], 'float64')]);
  });

  it('learns with an Embedding and global max pooling: whether the pair (7, 8) occurs', async () => {
    const rng = new TestRandom(12);
    const make = (count: number) => {
      const x = rng.array([count, 12], 'int32', 0, 15);
      const y = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        if (i % 2 === 0) { const at = rng.int(0, 10); x.data[i * 12 + at] = 7; x.data[i * 12 + at + 1] = 8; }
        const row = Array.from(x.data.slice(i * 12, i * 12 + 12));
        y[i] = row.some((v, p) => v === 7 && row[p + 1] === 8) ? 1 : 0;
      }
      return { x, y: new NDArray('int32', [count], y) };
    };
    const model = new Sequential([new Embedding(16, 8), new Conv1D(8, 2, { activation: 'relu' }), new GlobalMaxPooling1D(), new Dense(2)], { inputShape: [12], seed: 5 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.02 }), metrics: ['accuracy'] });
    await trainer.fit(make(1024), { epochs: 20, batchSize: 64, seed: 3 });
    const { accuracy } = await trainer.evaluate(make(512));
    expect(accuracy).toBeGreaterThan(0.95);
    trainer.dispose();
  });

  it('rebuilds from its configuration, and its summary counts the kernel and bias', () => {
    const model = new Sequential([new Conv1D(6, 3, { strides: 2, padding: 'same', dilationRate: 2, activation: 'relu', seed: 4 })], { inputShape: [20, 5] });
    expect(Sequential.fromConfig(JSON.stringify(model.toConfig())).toConfig()).toEqual(model.toConfig());
    expect(model.toConfig().config.layers[0]).toEqual({ className: 'Conv1D', config: { filters: 6, kernelSize: 3, strides: 2, padding: 'same', dilationRate: 2, activation: 'relu', useBias: true, seed: 4, name: 'conv1d_0' } });
    expect(model.countParameters()).toBe(3 * 5 * 6 + 6);
    expect(model.layers[0]!.parameters().map((p) => p.shape)).toEqual([[3, 5, 6], [6]]);
  });

  it('names what is wrong', () => {
    expect(() => new Conv1D(0, 3)).toThrow('Conv1D: filters must be a positive integer, got 0');
    expect(() => new Conv1D(2, [3, 3] as never)).toThrow('Conv1D: kernelSize must be a positive integer, got [3,3]');
    expect(() => new Conv1D(2, 3, { strides: 0 })).toThrow('Conv1D: strides must be a positive integer, got 0');
    expect(() => new Conv1D(2, 3, { dilationRate: 1.5 })).toThrow('Conv1D: dilationRate must be a positive integer, got 1.5');
    expect(() => new Conv1D(2, 3, { padding: 'full' as never })).toThrow("Conv1D: padding must be 'valid' or 'same'");
    expect(() => new Conv1D(2, 3).kernel).toThrow('Conv1D is not built yet, so it has no kernel');
    expect(() => new Sequential([new Conv1D(2, 3)], { inputShape: [28, 28, 1] })).toThrow("Conv1D 'conv1d_0' expects per-example inputs [steps, channels], got [28, 28, 1]");
    expect(() => new Sequential([new Conv1D(2, 4, { dilationRate: 2 })], { inputShape: [6, 2] })).toThrow("Conv1D 'conv1d_0': a kernel spanning 7 steps does not fit in 6 steps with padding 'valid'; use padding 'same' or a smaller kernel");
  });
});
