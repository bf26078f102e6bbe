import { NDArray } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { Dataset, takeRows } from './dataset.js';
import { randomClassification } from './synthetic.js';

const x = NDArray.from(Array.from({ length: 10 }, (_, i) => [i, 10 * i]), 'float32');
const y = NDArray.from(Array.from({ length: 10 }, (_, i) => i), 'int32');

describe('Dataset', () => {
  it('batches in order, with a remainder batch', () => {
    const ds = new Dataset(x, y);
    const batches = [...ds.batches(4)];
    expect(batches.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(batches.map((b) => b.index)).toEqual([0, 1, 2]);
    expect(batches[2]!.x.toArray()).toEqual([[8, 80], [9, 90]]);
    expect(ds.numBatches(4)).toBe(3);
  });

  it('shuffles by (seed, epoch), keeping rows of x and y together', () => {
    const ds = new Dataset(x, y);
    const order = (seed: number, epoch: number) => [...ds.batches(3, { shuffle: true, seed, epoch })].flatMap((b) => [...b.y.data]);
    const e0 = order(1, 0);
    expect([...e0].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(order(1, 0)).toEqual(e0);
    expect(order(1, 1)).not.toEqual(e0);
    expect(order(2, 0)).not.toEqual(e0);
    for (const b of ds.batches(3, { shuffle: true, seed: 1 })) {
      for (let i = 0; i < b.size; i++) expect(b.x.data[2 * i]).toBe(b.y.data[i]);
    }
    const s = ds.shuffle(5);
    expect([...s.y.data]).not.toEqual([...y.data]);
    expect(s.x.data[2]).toBe(s.y.data[1]);
  });

  it('split, slice and takeRows', () => {
    const [a, b] = new Dataset(x, y).split(7);
    expect([a.length, b.length]).toEqual([7, 3]);
    expect([...b.y.data]).toEqual([7, 8, 9]);
    expect(takeRows(y, Int32Array.from([3, 1])).toArray()).toEqual([3, 1]);
  });

  it('holds one array per input of a model of several, keeping their rows together through batches, shuffles and splits', () => {
    const ids = NDArray.from(Array.from({ length: 10 }, (_, i) => [i, i + 1, i + 2]), 'int32');
    const ds = new Dataset([x, ids], y);
    expect(ds.inputs).toHaveLength(2);
    for (const b of ds.batches(4, { shuffle: true, seed: 3 })) {
      const [bx, bids] = b.x;
      for (let i = 0; i < b.size; i++) {
        expect(bx!.data[2 * i]).toBe(b.y.data[i]);
        expect(bids!.data[3 * i]).toBe(b.y.data[i]);
      }
    }
    const [, rest] = ds.shuffle(2).split(6);
    expect(rest.length).toBe(4);
    rest.x.forEach((a) => expect(a.shape[0]).toBe(4));
    expect(rest.x[1]!.data[0]).toBe(rest.y.data[0]);
    expect(new Dataset(x, y).inputs).toEqual([x]);
    expect(() => new Dataset([x, NDArray.zeros([4, 2])], y)).toThrow('Dataset: x[1] has 4 rows but y has 10');
    expect(() => new Dataset(x, [y, NDArray.zeros([3])])).toThrow('Dataset: y[1] has 3 rows but y[0] has 10');
    const twoTargets = new Dataset(x, [y, NDArray.zeros([10, 2])]);
    expect(twoTargets.targets).toHaveLength(2);
    expect([...twoTargets.batches(4)].map((b) => b.y.map((a) => a.shape[0]))).toEqual([[4, 4], [4, 4], [2, 2]]);
    expect(() => new Dataset([], y)).toThrow('Dataset: x (an NDArray, or a non-empty array of NDArrays, one per model input) and y must be NDArrays');
  });

  it('buckets rows of similar lengths into batches: every row once an epoch, sorted runs, shuffled batches, less padding', () => {
    const n = 103;
    const lengths = Int32Array.from({ length: n }, (_, i) => (i * 37) % 23 + 1);
    const ds = new Dataset(new NDArray('float32', [n, 1], Float32Array.from({ length: n }, (_, i) => i)), new NDArray('int32', [n]));
    const padded = (batches: { x: NDArray }[]) => batches.reduce((sum, b) => sum + b.x.size * Math.max(...Array.from(b.x.data, (r) => lengths[r]!)), 0);
    for (const epoch of [0, 1]) {
      const batches = [...ds.batches(8, { shuffle: true, seed: 3, epoch, bucket: { lengths, batches: 4 } })];
      const rows = batches.flatMap((b) => Array.from(b.x.data));
      expect([...rows].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(batches.map((b) => b.index)).toEqual(batches.map((_, i) => i));
      // Each batch's rows come sorted by length out of a run of 32 rows.
      for (const b of batches) expect(Array.from(b.x.data, (r) => lengths[r]!)).toEqual(Array.from(b.x.data, (r) => lengths[r]!).sort((p, q) => p - q));
      const plain = [...ds.batches(8, { shuffle: true, seed: 3, epoch })];
      expect(padded(batches)).toBeLessThan(padded(plain));
    }
    const again = (epoch: number) => [...ds.batches(8, { shuffle: true, seed: 3, epoch, bucket: { lengths, batches: 4 } })].map((b) => Array.from(b.x.data));
    expect(again(0)).toEqual(again(0));
    expect(again(0)).not.toEqual(again(1));
    expect(() => [...ds.batches(8, { bucket: { lengths: [1, 2], batches: 4 } })]).toThrow('Dataset.batches: bucket.lengths must hold a non-negative integer length per row (103)');
    expect(() => [...ds.batches(8, { bucket: { lengths, batches: 0 } })]).toThrow('Dataset.batches: bucket.batches must be a positive integer, got 0');
  });

  it('errors', () => {
    expect(() => new Dataset(x, NDArray.zeros([3]))).toThrow('Dataset: x has 10 rows but y has 3');
    expect(() => new Dataset([1] as never, y)).toThrow('Dataset: x (an NDArray, or a non-empty array of NDArrays, one per model input) and y must be NDArrays');
    expect(() => [...new Dataset(x, y).batches(0)]).toThrow('batchSize must be a positive integer, got 0');
    expect(() => new Dataset(x, y).split(11)).toThrow('Dataset.split: n must be an integer in [0, 10], got 11');
    expect(() => new Dataset(NDArray.from(1), NDArray.from(1))).toThrow('Dataset: x and y need a leading row axis');
    expect(() => new Dataset(x, y).slice(5, 2)).toThrow('Dataset.slice: [5, 2) is not within [0, 10]');
  });
});

describe('randomClassification (the seed experiment data)', () => {
  it('is 1000 × 1000 normal features with 10 uniform classes by default, reproducible', () => {
    const ds = randomClassification({ seed: 1 });
    expect(ds.x.shape).toEqual([1000, 1000]);
    expect(ds.y.dtype).toBe('int32');
    const mean = (ds.x.data as Float32Array).reduce((a, b) => a + b, 0) / ds.x.size;
    const variance = (ds.x.data as Float32Array).reduce((a, b) => a + b * b, 0) / ds.x.size;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    const counts = new Array(10).fill(0);
    for (const c of ds.y.data) counts[c]++;
    for (const c of counts) expect(c).toBeGreaterThan(60);
    expect([...randomClassification({ seed: 1, rows: 5, features: 3 }).x.data]).toEqual([...randomClassification({ seed: 1, rows: 5, features: 3 }).x.data]);
    expect(() => randomClassification({ classes: 0 })).toThrow('randomClassification: classes must be a positive integer, got 0');
  });
});
