import { describe, expect, it } from 'vitest';
import { NDArray } from './ndarray.js';
import { kindOf } from './kind-of.js';

describe('kindOf', () => {
  it('names a value with its article, and the kinds an argument check meets', () => {
    expect([null, undefined, 3, 'w', true, {}, [1], () => 0, 1n, Symbol('s')].map(kindOf)).toEqual([
      'null', 'undefined', 'a number', 'a string', 'a boolean', 'an object', 'an array', 'a function', 'a bigint', 'a symbol',
    ]);
    expect(kindOf(NDArray.from([1, 2]))).toBe('an NDArray');
  });
});
