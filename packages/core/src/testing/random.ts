import { allocTyped, type DType } from '../ir/dtype.js';
import { NDArray } from '../host/ndarray.js';

/**
 * A small seeded generator (mulberry32) for reproducible test data. Not for models:
 * initializers and dropout use their own documented generators.
 *
 * @example
 * ```ts
 * const rng = new TestRandom(42);
 * const x = rng.array([3, 4], 'float32', -1, 1);
 * ```
 */
export class TestRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** Values for a buffer of a dtype: floats uniform in [lo, hi), ints in [lo, hi], bools fair. */
  fill(dtype: DType, size: number, lo = -1, hi = 1): number[] {
    return Array.from({ length: size }, () =>
      dtype === 'int32' ? this.int(Math.ceil(lo), Math.floor(hi)) : dtype === 'bool' ? (this.bool() ? 1 : 0) : this.uniform(lo, hi),
    );
  }

  /** Values uniform in [lo, hi) (ints in [lo, hi], bools fair). */
  array(shape: readonly number[], dtype: DType = 'float32', lo = -1, hi = 1): NDArray {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = allocTyped(dtype, n);
    for (let i = 0; i < n; i++) {
      data[i] = dtype === 'int32' ? this.int(lo, hi) : dtype === 'bool' ? (this.next() < 0.5 ? 1 : 0) : this.uniform(lo, hi);
    }
    return new NDArray(dtype, shape, data);
  }
}

/**
 * ‖a − b‖ / ‖b‖ with NaNs required at the same places: the norm-wise relative error of every
 * numerical test (Infinity where a NaN is missing or extra).
 *
 * @example
 * ```ts
 * relativeError([1, 2.000001], [1, 2]);            // ≈ 4.5e-7
 * expect(relativeError(got.data, want)).toBeLessThan(1e-5);
 * ```
 */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relativeError: lengths differ (${a.length} vs ${b.length})`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
    if (Number.isNaN(x) || x === y) {
      if (!Number.isNaN(y) && Number.isFinite(y)) den += y * y;
      continue;
    }
    num += (x - y) ** 2;
    den += y * y;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-300);
}

/** Numbers that exercise edge cases of scalar semantics (signed zeros, NaN, infinities, int32 and float32 limits). */
export const SPECIAL_VALUES: readonly number[] = [
  0, -0, 1, -1, 0.5, -0.5, 2, -2, 3.75, -3.75, NaN, Infinity, -Infinity, 1e-30, -1e-30, 1e30, -1e30,
  2147483647, -2147483648, 2147483648, 4294967296.5, -4294967297, 1e300, -1e300, 5e-324, 709.8, -745.2, 88.8, -104,
  Math.PI, -Math.E, 0.1, 16777217, 100, -100, 30, -30,
];
