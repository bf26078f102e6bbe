import { describe, expect, it } from 'vitest';
import { NDArray } from '@symgrad/core';
import { constant, fans, glorotNormal, glorotUniform, heNormal, heUniform, normal, orthogonal, uniform, zeros } from './index.js';

function stats(a: NDArray): { mean: number; std: number; min: number; max: number; within1: number } {
  const d = a.data;
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of d) {
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = s / d.length;
  let ss = 0;
  for (const v of d) ss += (v - mean) ** 2;
  const std = Math.sqrt(ss / d.length);
  let w = 0;
  for (const v of d) if (Math.abs(v - mean) <= std) w++;
  return { mean, std, min, max, within1: w / d.length };
}

const N = 1000 * 1000;
// Tolerances: the sample mean of n draws has standard error σ/√n, the sample std about σ/√(2n);
// 6 standard errors leave no room for flakiness and still catch a wrong formula (σ off by ≥ 1%).
const meanTol = (sigma: number): number => (6 * sigma) / Math.sqrt(N);
const stdTol = (sigma: number): number => (6 * sigma) / Math.sqrt(2 * N);

describe('statistics of a 1000×1000 draw', () => {
  it('heNormal: mean 0, std √(2/fanIn), about 68.3% within one std', () => {
    const a = heNormal([1000, 1000], { seed: 1 });
    const s = stats(a);
    const sigma = Math.sqrt(2 / 1000);
    expect(Math.abs(s.mean)).toBeLessThan(meanTol(sigma));
    expect(Math.abs(s.std - sigma)).toBeLessThan(stdTol(sigma));
    expect(Math.abs(s.within1 - 0.6827)).toBeLessThan(0.003);
  });

  it('heUniform: mean 0, std √(2/fanIn), bounded by √(6/fanIn)', () => {
    const s = stats(heUniform([1000, 1000], { seed: 2 }));
    const sigma = Math.sqrt(2 / 1000);
    const limit = Math.sqrt(6 / 1000);
    expect(Math.abs(s.mean)).toBeLessThan(meanTol(sigma));
    expect(Math.abs(s.std - sigma)).toBeLessThan(stdTol(sigma));
    expect(s.min).toBeGreaterThanOrEqual(-limit);
    expect(s.max).toBeLessThanOrEqual(limit);
    expect(s.min).toBeLessThan(-0.999 * limit);
    expect(s.max).toBeGreaterThan(0.999 * limit);
    expect(Math.abs(s.within1 - 1 / Math.sqrt(3))).toBeLessThan(0.003); // uniform: P(|x| ≤ σ) = 1/√3
  });

  it('glorotNormal: mean 0, std √(2/(fanIn+fanOut))', () => {
    const s = stats(glorotNormal([1000, 1000], { seed: 3 }));
    const sigma = Math.sqrt(2 / 2000);
    expect(Math.abs(s.mean)).toBeLessThan(meanTol(sigma));
    expect(Math.abs(s.std - sigma)).toBeLessThan(stdTol(sigma));
    expect(Math.abs(s.within1 - 0.6827)).toBeLessThan(0.003);
  });

  it('glorotUniform: mean 0, std √(2/(fanIn+fanOut)), bounded by √(6/(fanIn+fanOut))', () => {
    const s = stats(glorotUniform([1000, 1000], { seed: 4 }));
    const sigma = Math.sqrt(2 / 2000);
    const limit = Math.sqrt(6 / 2000);
    expect(Math.abs(s.mean)).toBeLessThan(meanTol(sigma));
    expect(Math.abs(s.std - sigma)).toBeLessThan(stdTol(sigma));
    expect(s.min).toBeGreaterThanOrEqual(-limit);
    expect(s.max).toBeLessThanOrEqual(limit);
  });

  it('fan-in and fan-out are not swapped on a non-square weight', () => {
    const sigmaHe = Math.sqrt(2 / 1000); // fanIn = 1000 (rows), not 500
    expect(Math.abs(stats(heNormal([1000, 500], { seed: 5 })).std - sigmaHe)).toBeLessThan((6 * sigmaHe) / Math.sqrt(2 * 500_000));
    const sigmaG = Math.sqrt(2 / 1500);
    expect(Math.abs(stats(glorotNormal([1000, 500], { seed: 6 })).std - sigmaG)).toBeLessThan((6 * sigmaG) / Math.sqrt(2 * 500_000));
  });

  it('normal and uniform honour their parameters', () => {
    const n = stats(normal([1000, 1000], { mean: 3, std: 0.5, seed: 7 }));
    expect(Math.abs(n.mean - 3)).toBeLessThan(meanTol(0.5));
    expect(Math.abs(n.std - 0.5)).toBeLessThan(stdTol(0.5));
    const u = stats(uniform([1000, 1000], { low: -2, high: 6, seed: 8 }));
    const sigma = 8 / Math.sqrt(12);
    expect(Math.abs(u.mean - 2)).toBeLessThan(meanTol(sigma));
    expect(Math.abs(u.std - sigma)).toBeLessThan(stdTol(sigma));
    expect(u.min).toBeGreaterThanOrEqual(-2);
    expect(u.max).toBeLessThanOrEqual(6);
    const d = stats(uniform([1000, 1000], { seed: 9 })); // defaults: [0, 1)
    expect(Math.abs(d.mean - 0.5)).toBeLessThan(meanTol(Math.sqrt(1 / 12)));
  });
});

const RANDOM = { uniform, normal, glorotUniform, glorotNormal, heUniform, heNormal } as const;

describe('determinism by seed', () => {
  it.each(Object.entries(RANDOM))('%s: same seed, same values; different seeds, different values', (_, init) => {
    const a = init([37, 53], { seed: 42 });
    const b = init([37, 53], { seed: 42 });
    const c = init([37, 53], { seed: 43 });
    expect(b.data).toEqual(a.data);
    let same = 0;
    for (let i = 0; i < a.size; i++) if (a.data[i] === c.data[i]) same++;
    expect(same).toBe(0);
  });

  it('keeps the same values across releases for seed 0 (the stream is part of the API)', () => {
    // Element i comes from Philox-4x32-10 with key (0, 0) and counter (⌊i/4⌋, 0, 0, 0):
    // word 0 of block 0 is 0x6627e8d5, so uniform element 0 is (0x6627e8d5 + 0.5) / 2^32.
    const u = uniform([4], { seed: 0 });
    expect(u.data[0]).toBe(Math.fround((0x6627e8d5 + 0.5) / 2 ** 32));
    expect(u.data[3]).toBe(Math.fround((0x9b00dbd8 + 0.5) / 2 ** 32));
  });

  it('negative and large seeds work and differ', () => {
    const a = heNormal([8], { seed: -1 });
    const b = heNormal([8], { seed: 2 ** 40 });
    expect(a.data).not.toEqual(b.data);
    expect(heNormal([8], { seed: -1 }).data).toEqual(a.data);
  });
});

describe('shapes', () => {
  const shapes: number[][] = [[], [1], [1, 1], [2], [7], [13, 1], [1, 13], [7, 13], [2, 3, 5], [3, 3, 2, 5], [0], [0, 5]];
  it.each(shapes)('every initializer makes float32 arrays of shape %j', (...shape) => {
    const size = shape.reduce((p, d) => p * d, 1);
    const all: NDArray[] = [zeros(shape), constant(shape, 0.5), ...Object.values(RANDOM).map((f) => f(shape, { seed: 1 }))];
    for (const a of all) {
      expect(a).toBeInstanceOf(NDArray);
      expect(a.dtype).toBe('float32');
      expect(a.shape).toEqual(shape);
      expect(a.size).toBe(size);
      expect(a.data).toBeInstanceOf(Float32Array);
      expect([...a.data].every(Number.isFinite)).toBe(true);
    }
  });

  it('zeros and constant', () => {
    expect([...zeros([2, 3]).data]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(constant([2, 2], 0.25).toArray()).toEqual([[0.25, 0.25], [0.25, 0.25]]);
    expect(constant([], 3).item()).toBe(3);
  });

  it('fans follow the [..., in, out] layout', () => {
    expect(fans([])).toEqual({ fanIn: 1, fanOut: 1 });
    expect(fans([7])).toEqual({ fanIn: 7, fanOut: 7 });
    expect(fans([784, 256])).toEqual({ fanIn: 784, fanOut: 256 });
    expect(fans([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 });
  });

  it('a size-1 He draw is finite and has the He scale', () => {
    const a = heNormal([1, 1], { seed: 11 });
    expect(Number.isFinite(a.item())).toBe(true);
    expect(Math.abs(a.item())).toBeLessThan(6 * Math.sqrt(2)); // fanIn 1: σ = √2
  });
});

describe('errors', () => {
  it.each([
    [[2, -1], /heNormal: invalid shape \[2, -1\]: dimension 1 is -1, not a non-negative integer/],
    [[2.5], /heNormal: invalid shape \[2\.5\]: dimension 0 is 2\.5, not a non-negative integer/],
    [[NaN, 2], /heNormal: invalid shape \[NaN, 2\]: dimension 0 is NaN/],
    [[Infinity], /heNormal: invalid shape \[Infinity\]: dimension 0 is Infinity/],
    [['3', 2], /heNormal: invalid shape \[3, 2\]: dimension 0 is string/],
  ])('rejects shape %j with a message naming the shape and the dimension', (shape, msg) => {
    expect(() => heNormal(shape as number[], { seed: 1 })).toThrow(msg);
  });

  it('rejects a shape that is not an array', () => {
    expect(() => zeros(5 as unknown as number[])).toThrow(/zeros: shape must be an array of dimensions such as \[784, 256\], got number/);
    expect(() => glorotUniform(undefined as unknown as number[], { seed: 1 })).toThrow(/glorotUniform: shape must be an array/);
  });

  it('rejects a shape too large for a typed array', () => {
    expect(() => constant([100000, 100000], 1)).toThrow('constant: shape [100000, 100000] has 10000000000 elements, more than a typed array can hold');
    expect(() => heNormal([65536, 65536], { seed: 1 })).toThrow('heNormal: shape [65536, 65536] has 4294967296 elements, more than a typed array can hold');
  });

  it('names the initializer for a missing or bad seed', () => {
    expect(() => heNormal([2, 2], undefined as unknown as { seed: number })).toThrow(/heNormal: options must give a seed, e\.g\. heNormal\(shape, \{ seed: 1 \}\)/);
    expect(() => heUniform([2, 2], {} as { seed: number })).toThrow(/heUniform: options must give a seed/);
    expect(() => normal([2], { seed: 0.5 })).toThrow(/normal: seed must be a safe integer, got 0\.5/);
  });

  it('rejects bad distribution parameters', () => {
    expect(() => uniform([2], { low: 1, high: 0, seed: 1 })).toThrow(/uniform: low \(1\) must not exceed high \(0\)/);
    expect(() => uniform([2], { low: -Infinity, seed: 1 })).toThrow(/uniform: low must be a finite number/);
    expect(() => normal([2], { std: -1, seed: 1 })).toThrow(/normal: std must be non-negative, got -1/);
    expect(() => constant([2], '1' as unknown as number)).toThrow(/constant: value must be a number, got a string/);
  });
});

describe('orthogonal', () => {
  /** The Gram matrix of the columns (tall) or rows (wide) of a [rows, cols] array, minus gain²·I: its largest |entry|. */
  const offIdentity = (a: NDArray, rows: number, cols: number, gain = 1): number => {
    const [n, m, at] = rows >= cols ? [rows, cols, (i: number, j: number) => a.data[i * cols + j]!] : [cols, rows, (i: number, j: number) => a.data[j * cols + i]!];
    let worst = 0;
    for (let p = 0; p < m; p++) {
      for (let q = 0; q < m; q++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += at(i, p) * at(i, q);
        worst = Math.max(worst, Math.abs(d - (p === q ? gain * gain : 0)));
      }
    }
    return worst;
  };

  it('has orthonormal columns (tall), rows (wide), or both (square), with leading axes flattened and a gain', () => {
    for (const [shape, rows, cols] of [[[7, 3], 7, 3], [[3, 7], 3, 7], [[5, 5], 5, 5], [[2, 3, 4], 6, 4], [[1, 6], 1, 6], [[64, 256], 64, 256]] as const) {
      const w = orthogonal(shape, { seed: 4 });
      expect(w.shape).toEqual(shape);
      expect(w.dtype).toBe('float32');
      expect(offIdentity(w, rows, cols), `[${shape.join(', ')}]`).toBeLessThan(2e-6);
    }
    const g = orthogonal([4, 6], { seed: 1, gain: 2 });
    expect(offIdentity(g, 4, 6, 2)).toBeLessThan(1e-5);
    expect(Array.from(g.data)).toEqual(Array.from(orthogonal([4, 6], { seed: 1 }).data, (v) => Math.fround(2 * v)));
  });

  it('is fixed by its seed, and differs between seeds', () => {
    expect(Array.from(orthogonal([5, 3], { seed: 9 }).data)).toEqual(Array.from(orthogonal([5, 3], { seed: 9 }).data));
    expect(Array.from(orthogonal([5, 3], { seed: 9 }).data)).not.toEqual(Array.from(orthogonal([5, 3], { seed: 10 }).data));
    expect(orthogonal([0, 3], { seed: 1 }).size).toBe(0);
  });

  it('names what is wrong', () => {
    expect(() => orthogonal([5], { seed: 1 })).toThrow('orthogonal: needs a shape of at least 2 axes (a matrix), got [5]');
    expect(() => orthogonal([2, 2], { seed: 1, gain: Number.NaN })).toThrow('orthogonal: gain must be a finite number, got NaN');
    expect(() => orthogonal([2, 2], {} as never)).toThrow('orthogonal');
  });
});
