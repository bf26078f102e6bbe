import { describe, expect, it } from 'vitest';
import { NDArray } from './ndarray.js';

describe('NDArray', () => {
  it('round-trips nested arrays and infers shapes', () => {
    const a = NDArray.from([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(a.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(a.get(1, -1)).toBe(6);
    expect(NDArray.from([true, false]).dtype).toBe('bool');
    expect(NDArray.from([true, false]).toArray()).toEqual([true, false]);
    expect(NDArray.from(3.5, 'int32').item()).toBe(3);
    expect(NDArray.from([]).shape).toEqual([0]);
  });
  it('wraps typed arrays without copying when the dtype matches', () => {
    const data = new Float32Array(6);
    const a = NDArray.from({ data, shape: [2, 3] });
    expect(a.data).toBe(data);
    expect(NDArray.from({ data: [1, 2], shape: [2], dtype: 'int32' }).data).toBeInstanceOf(Int32Array);
    expect(a.reshape([3, 2]).shape).toEqual([3, 2]);
    expect(NDArray.from([1.7, -1.7]).astype('int32').toArray()).toEqual([1, -1]);
  });
  it('explains bad input', () => {
    expect(() => NDArray.from([[1, 2], [3]])).toThrow('NDArray.from: ragged nested array at [1]: expected length 2, got 1');
    expect(() => NDArray.from({ data: new Float32Array(5), shape: [2, 3] })).toThrow('NDArray.from: data has 5 elements but shape [2, 3] needs 6');
    expect(() => new NDArray('float32', [2], new Int32Array(2))).toThrow('NDArray: a Int32Array cannot hold dtype float32');
    expect(() => new NDArray('float32', [2, -1])).toThrow('NDArray: invalid shape [2, -1]: dimensions must be non-negative integers');
    expect(() => new NDArray('float32', [2], new Float32Array(3))).toThrow('NDArray: data has 3 elements but shape [2] needs 2');
    expect(() => NDArray.zeros([2], 'float16' as never)).toThrow("NDArray: unknown dtype 'float16' (use float32, float64, int32 or bool)");
    expect(() => NDArray.from([1, 2], 'int8' as never)).toThrow("NDArray.from: unknown dtype 'int8' (use float32, float64, int32 or bool)");
    expect(() => NDArray.from({ data: [1, 2], shape: [2], dtype: 'uint8' as never })).toThrow("NDArray.from: unknown dtype 'uint8' (use float32, float64, int32 or bool)");
    expect(() => NDArray.from([[1, 2], 3] as never)).toThrow('NDArray.from: ragged nested array at [1]: expected length 2, got a scalar');
    expect(() => NDArray.from([1, [2]] as never)).toThrow('NDArray.from: ragged nested array at [1]: expected a number, got an array');
    expect(() => NDArray.from([[1, 2], [3, 4]]).get(1)).toThrow('NDArray.get: an array of shape [2, 2] needs 2 indices, got 1');
    expect(() => NDArray.from([1, 2]).get(2)).toThrow('NDArray.get: index 2 out of range for axis 0 of size 2');
    expect(() => NDArray.from([1, 2]).item()).toThrow('NDArray.item: array of shape [2] has 2 elements, not 1');
    expect(() => NDArray.from(['a' as never])).toThrow('NDArray.from: element [0] is string, not a number');
  });
});
