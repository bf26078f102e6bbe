import { NDArray, type DType } from '@symgrad/core';
import { mulberry32 } from '../random.js';

/**
 * A seeded random source for tests: uniform and normal draws, arrays, labels and He-normal
 * weights, all reproducible from the seed.
 */
export class Prng {
  private readonly next: () => number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An array of uniform values in [lo, hi). */
  uniformArray(shape: readonly number[], lo = -1, hi = 1, dtype: DType = 'float64'): NDArray {
    return this.fill(shape, dtype, () => this.uniform(lo, hi));
  }

  /** Values with magnitude in [lo, hi) and a random sign: away from a kink at 0. */
  awayFromZero(shape: readonly number[], lo = 0.1, hi = 1.5, dtype: DType = 'float64'): NDArray {
    return this.fill(shape, dtype, () => (this.next() < 0.5 ? -1 : 1) * this.uniform(lo, hi));
  }

  /** Normal values with a standard deviation. */
  normalArray(shape: readonly number[], std = 1, dtype: DType = 'float64'): NDArray {
    return this.fill(shape, dtype, () => std * this.normal());
  }

  /** He-normal weights for a [fanIn, fanOut] matrix: N(0, 2 / fanIn). */
  heNormal(shape: readonly [number, number], dtype: DType = 'float64'): NDArray {
    return this.normalArray(shape, Math.sqrt(2 / shape[0]), dtype);
  }

  /** Distinct, well-separated values in a random order (no ties for max/min). */
  distinct(shape: readonly number[], dtype: DType = 'float64'): NDArray {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.37 + this.uniform(0, 0.05));
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [values[i], values[j]] = [values[j]!, values[i]!];
    }
    return NDArray.from({ data: values, shape }, dtype);
  }

  /** int32 labels in [0, classes). */
  labels(shape: readonly number[], classes: number): NDArray {
    return this.fill(shape, 'int32', () => this.int(classes));
  }

  /** Rows of probabilities along the last axis (positive, summing to 1). */
  probabilities(shape: readonly number[]): NDArray {
    const a = this.uniformArray(shape, 0.2, 1);
    const c = shape[shape.length - 1]!;
    for (let r = 0; r < a.size; r += c) {
      let s = 0;
      for (let k = 0; k < c; k++) s += a.data[r + k]!;
      for (let k = 0; k < c; k++) a.data[r + k] = a.data[r + k]! / s;
    }
    return a;
  }

  private fill(shape: readonly number[], dtype: DType, draw: () => number): NDArray {
    const a = new NDArray(dtype, shape);
    for (let i = 0; i < a.size; i++) a.data[i] = draw();
    return a;
  }
}

/** A new seeded random source. */
export function prng(seed: number): Prng {
  return new Prng(seed);
}
