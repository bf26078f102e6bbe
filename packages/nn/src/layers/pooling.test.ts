import '@symgrad/backend-cpu';
import { fn, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { AveragePooling1D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D } from './pooling.js';
import { Sequential } from './sequential.js';
import { axisWindows, type Padding } from './spatial.js';

/** The mean or max over the positions of every channel of row-major [batch, positions…, c] data, in float64. */
function poolLoop(data: ArrayLike<number>, batch: number, positions: number, c: number, op: 'mean' | 'max'): number[] {
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < c; k++) {
      let acc = op === 'max' ? -Infinity : 0;
      for (let p = 0; p < positions; p++) {
        const v = data[(b * positions + p) * c + k]!;
        acc = op === 'max' ? Math.max(acc, v) : acc + v;
      }
      out.push(op === 'max' ? acc : acc / positions);
    }
  }
  return out;
}

describe('global pooling', () => {
  const rng = new TestRandom(52);
  const layers = [
    ['GlobalAveragePooling1D', () => new GlobalAveragePooling1D(), 1, 'mean'],
    ['GlobalMaxPooling1D', () => new GlobalMaxPooling1D(), 1, 'max'],
    ['GlobalAveragePooling2D', () => new GlobalAveragePooling2D(), 2, 'mean'],
    ['GlobalMaxPooling2D', () => new GlobalMaxPooling2D(), 2, 'max'],
  ] as const;

  it.each(layers)('%s reduces every position of each channel, on awkward shapes', async (_, make, rank, op) => {
    for (const [dims, c] of [[[1], 1], [[7], 3], [[13], 17]] as const) {
      const positions = rank === 1 ? [dims[0]] : [dims[0], 5];
      const model = new Sequential([make()], { inputShape: [...positions, c] });
      expect(model.outputShape).toEqual([c]);
      const x = T.tensor('float32', [null, ...positions, c], 'x');
      const xv = rng.array([3, ...positions, c], 'float32', -2, 2);
      const out = await fn([x], model.apply(x))(xv);
      expect(out.shape).toEqual([3, c]);
      expect(relativeError(out.data, poolLoop(xv.data, 3, positions.reduce((a, b) => a * b, 1), c, op))).toBeLessThan(2e-7);
    }
  });

  it('rebuild from their configurations and name a wrong input rank', () => {
    const model = new Sequential([new GlobalMaxPooling1D({ name: 'gmp' })], { inputShape: [6, 4] });
    expect(Sequential.fromConfig(JSON.stringify(model.toConfig())).toConfig()).toEqual(model.toConfig());
    for (const [name, make] of layers.map(([n, m]) => [n, m] as const)) {
      const m = new Sequential([make()], { inputShape: name.endsWith('1D') ? [5, 2] : [5, 4, 2] });
      expect(Sequential.fromConfig(JSON.stringify(m.toConfig())).layers[0]!.className).toBe(name);
    }
    expect(() => new Sequential([new GlobalAveragePooling1D()], { inputShape: [8] })).toThrow("GlobalAveragePooling1D 'global_average_pooling1d_0' expects per-example inputs [steps, channels], got [8]");
    expect(() => new Sequential([new GlobalMaxPooling2D()], { inputShape: [4, 8] })).toThrow("GlobalMaxPooling2D 'global_max_pooling2d_0' expects per-example inputs [height, width, channels], got [4, 8]");
  });
});

/** The max or mean of each window of steps of x [n, steps, c], over the steps inside the sequence ('same' pads as TensorFlow), in float64. */
function pool1dLoop(x: ArrayLike<number>, n: number, steps: number, c: number, p: number, s: number, padding: Padding, op: 'mean' | 'max'): { out: number[]; out1: number } {
  const w = axisWindows(steps, p, s, padding);
  const out: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < w.out; t++) {
      for (let k = 0; k < c; k++) {
        const inside: number[] = [];
        for (let i = 0; i < p; i++) {
          const q = t * s - w.before + i;
          if (q >= 0 && q < steps) inside.push(x[(b * steps + q) * c + k]!);
        }
        out.push(op === 'max' ? Math.max(...inside) : inside.reduce((a, v) => a + v, 0) / inside.length);
      }
    }
  }
  return { out, out1: w.out };
}

describe('1-D pooling', () => {
  const rng = new TestRandom(53);
  const cases: readonly [number, number, number, number, Padding][] = [[7, 2, 2, 1, 'valid'], [13, 3, 3, 2, 'same'], [1, 1, 2, 3, 'same'], [11, 4, 11, 1, 'valid'], [17, 5, 3, 2, 'same']];
  it.each([['MaxPooling1D', 'max'], ['AveragePooling1D', 'mean']] as const)('%s matches a float64 loop on awkward sizes, padding never counting', async (_, op) => {
    for (const [steps, c, p, s, padding] of cases) {
      const layer = op === 'max' ? new MaxPooling1D(p, { strides: s, padding }) : new AveragePooling1D(p, { strides: s, padding });
      const model = new Sequential([layer], { inputShape: [steps, c] });
      const xv = rng.array([2, steps, c], 'float32', -3, 3);
      const want = pool1dLoop(xv.data, 2, steps, c, p, s, padding, op);
      expect(model.outputShape).toEqual([want.out1, c]);
      const x = T.tensor3('x');
      const got = await fn([x], model.apply(x))(xv);
      expect(got.shape).toEqual([2, want.out1, c]);
      expect(relativeError(got.data, want.out)).toBeLessThan(2e-7);
    }
  });

  it('rebuild from their configurations and name what is wrong', () => {
    const model = new Sequential([new MaxPooling1D(3, { strides: 2, padding: 'same' }), new AveragePooling1D()], { inputShape: [9, 4] });
    expect(Sequential.fromConfig(JSON.stringify(model.toConfig())).toConfig()).toEqual(model.toConfig());
    expect(model.toConfig().config.layers.map((l) => l.config)).toEqual([
      { poolSize: 3, strides: 2, padding: 'same', name: 'max_pooling1d_0' }, { poolSize: 2, strides: 2, padding: 'valid', name: 'average_pooling1d_0' },
    ]);
    expect(() => new MaxPooling1D(0)).toThrow('MaxPooling1D: poolSize must be a positive integer, got 0');
    expect(() => new AveragePooling1D(2, { strides: [2, 2] as never })).toThrow('AveragePooling1D: strides must be a positive integer, got [2,2]');
    expect(() => new MaxPooling1D(2, { padding: 'causal' as never })).toThrow("MaxPooling1D: padding must be 'valid' or 'same'");
    expect(() => new Sequential([new MaxPooling1D()], { inputShape: [28, 28, 1] })).toThrow("MaxPooling1D 'max_pooling1d_0' expects per-example inputs [steps, channels], got [28, 28, 1]");
    expect(() => new Sequential([new AveragePooling1D(5)], { inputShape: [3, 2] })).toThrow("AveragePooling1D 'average_pooling1d_0': a pool of 5 steps does not fit in 3 steps with padding 'valid'; use padding 'same' or a smaller pool");
  });
});
