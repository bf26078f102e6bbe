import '@symgrad/backend-cpu';
import { fn, T } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { clipByGlobalNorm, globalNorm } from './clip.js';

describe('clipByGlobalNorm', () => {
  it('scales jointly to the global norm and leaves small gradients alone', async () => {
    const a = T.vector('a');
    const b = T.matrix('b');
    const f = fn([a, b], [globalNorm([a, b]), ...clipByGlobalNorm([a, b], 6.5)]);
    // ‖[3, 4]‖² + ‖[[12]]‖² = 25 + 144 = 169 → norm 13, scale 6.5 / 13 = 0.5.
    const [n, ca, cb] = await f([3, 4], [[12]]);
    expect(n!.item()).toBeCloseTo(13, 5);
    expect([...ca!.data]).toEqual([1.5, 2]);
    expect([...cb!.data]).toEqual([6]);
    const [, sa, sb] = await f([0.3, 0.4], [[1.2]]);
    expect([...sa!.data].map((v) => +v.toFixed(6))).toEqual([0.3, 0.4]);
    expect([...sb!.data].map((v) => +v.toFixed(6))).toEqual([1.2]);
    const [zn, za] = await f([0, 0], [[0]]);
    expect(zn!.item()).toBe(0);
    expect([...za!.data]).toEqual([0, 0]);
  });

  it('errors', () => {
    expect(() => clipByGlobalNorm([T.vector('g')], 0)).toThrow('clipByGlobalNorm: maxNorm must be a finite number > 0, got 0');
    expect(() => globalNorm([])).toThrow('globalNorm: needs a non-empty list of tensors');
  });
});
