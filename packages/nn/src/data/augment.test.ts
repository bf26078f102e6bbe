import { NDArray } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { randomShift } from './augment.js';

describe('randomShift', () => {
  const img = new Float32Array(9 * 2);
  img[4] = 1; // image 0: a dot in the centre of 3×3
  img[9 + 4] = 2; // image 1: the same, value 2
  const batch = { x: new NDArray('float32', [2, 9], img), y: NDArray.from([0, 1], 'int32'), size: 2, index: 0 };

  it('moves each image by at most maxShift pixels, seeded by (seed, epoch, step)', () => {
    const aug = randomShift({ height: 3, width: 3, maxShift: 1, seed: 3 });
    const seen = new Set<number>();
    for (let step = 1; step <= 20; step++) {
      const out = aug(batch, { epoch: 1, step });
      expect(out.y).toBe(batch.y);
      const d0 = [...out.x.data.subarray(0, 9)];
      expect(d0.filter((v) => v === 1).length).toBe(1); // a 1-pixel shift keeps the dot inside
      seen.add(d0.indexOf(1));
      expect([...aug(batch, { epoch: 1, step }).x.data]).toEqual([...out.x.data]);
    }
    expect(seen.size).toBeGreaterThan(4);
    expect([...randomShift({ height: 3, width: 3, maxShift: 0 })(batch, { epoch: 1, step: 1 }).x.data]).toEqual([...img]);
  });

  it('errors', () => {
    expect(() => randomShift({ height: 0, width: 3 })).toThrow('randomShift: height must be a positive integer, got 0');
    expect(() => randomShift({ height: 3, width: 3, maxShift: -1 })).toThrow('randomShift: maxShift must be a non-negative integer, got -1');
    expect(() => randomShift({ height: 3, width: 3 })({ ...batch, x: batch.x.astype('float64') }, { epoch: 1, step: 1 })).toThrow('randomShift: x must be float32, got float64');
    expect(() => randomShift({ height: 2, width: 2 })(batch, { epoch: 1, step: 1 })).toThrow('randomShift: rows have 9 values but 2 × 2 images need 4');
  });
});
