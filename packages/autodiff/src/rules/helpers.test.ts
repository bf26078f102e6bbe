import { T, tensor } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { sumToShape } from './helpers.js';

describe('sumToShape', () => {
  it('sums leading and static size-1 axes away', () => {
    const g = tensor('float32', [2, 3, 4], 'g');
    expect(sumToShape(g, [3, 1]).shape).toEqual([3, 1]);
    expect(sumToShape(g, [4]).shape).toEqual([4]);
  });

  it('rejects a target with more dimensions than the cotangent, naming both', () => {
    const g = T.vector('g');
    expect(() => sumToShape(g, [null, 3])).toThrow(
      "sumToShape: cotangent 'g' (float32[?]) has fewer dimensions than the target shape [?, 3] (it sums axes away, never adds them)",
    );
  });
});
