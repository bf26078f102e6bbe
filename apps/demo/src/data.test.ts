import { describe, expect, it } from 'vitest';
import { NDArray } from '@symgrad/core';
import { accuracy, randomSplit, stepFlops } from './data.js';

describe('randomSplit', () => {
  it('makes float32 features and int32 labels in range, split by rows, deterministic by seed', () => {
    const s = randomSplit(50, 7, 10, 40, 3);
    expect(s.xTrain.shape).toEqual([40, 7]);
    expect(s.xTest.shape).toEqual([10, 7]);
    expect(s.yTrain.dtype).toBe('int32');
    expect(s.yTest.shape).toEqual([10]);
    for (const v of [...s.yTrain.data, ...s.yTest.data]) expect(v >= 0 && v < 10).toBe(true);
    const again = randomSplit(50, 7, 10, 40, 3);
    expect(again.xTest.data).toEqual(s.xTest.data);
    expect(again.yTrain.data).toEqual(s.yTrain.data);
    expect(randomSplit(50, 7, 10, 40, 4).xTrain.data).not.toEqual(s.xTrain.data);
  });
});

describe('accuracy', () => {
  it('counts rows whose arg-max is the label', () => {
    const p = NDArray.from([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]);
    expect(accuracy(p, NDArray.from([1, 0, 0], 'int32'))).toBeCloseTo(2 / 3);
  });

  it('rejects mismatched shapes', () => {
    expect(() => accuracy(NDArray.from([[1, 0]]), NDArray.from([0, 1], 'int32'))).toThrow(
      'accuracy: expected probabilities [n, classes] and labels [n], got [1, 2] and [2]');
    expect(() => accuracy(NDArray.from([0.2, 0.8]), NDArray.from([1], 'int32'))).toThrow(
      'accuracy: expected probabilities [n, classes] and labels [n], got [2] and [1]');
    expect(() => accuracy(NDArray.from([[0.2, 0.8]]), NDArray.from([[1]], 'int32'))).toThrow(
      'accuracy: expected probabilities [n, classes] and labels [n], got [1, 2] and [1, 1]');
  });
});

describe('stepFlops', () => {
  it('is about 8.04 GFLOP for the seed step (800 × 1000 → 1000 → 1000 → 10)', () => {
    expect(stepFlops(800, 1000, 1000, 10) / 1e9).toBeCloseTo(8.05, 1);
  });
});
