import '@symgrad/backend-cpu';
import { fn, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D } from './pooling.js';
import { Sequential } from './sequential.js';

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
