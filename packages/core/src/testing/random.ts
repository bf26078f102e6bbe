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

/** ‖a − b‖ / max(‖b‖, tiny): the norm-wise relative error used by every numerical test. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relativeError: lengths differ (${a.length} vs ${b.length})`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
    if (Number.isNaN(x) || (x === y)) continue;
    num += (x - y) ** 2;
    den += y * y;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}
