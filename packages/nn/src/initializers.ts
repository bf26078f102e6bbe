/**
 * Weight initializers: functions from a shape (and a seed) to a float32 `NDArray`, to pass
 * to `shared()`.
 *
 * Fan-in and fan-out follow the layout symgrad's layers use, `x · W` with `W` of shape
 * `[in, out]` (as Keras): for a shape `[…receptive, in, out]`, fanIn = in × ∏receptive and
 * fanOut = out × ∏receptive; a vector `[n]` has fanIn = fanOut = n; a scalar has 1 and 1.
 *
 * Random initializers draw from Philox-4x32-10 keyed by the seed (see `philox.ts`): the same
 * seed gives the same values on every machine; different seeds give different values. Use a
 * different seed for each weight.
 */
import { kindOf, NDArray } from '@symgrad/core';
import { fillStandardNormal, fillUniform01, seedToKey } from './philox.js';

/** The seed of a random initializer: any safe integer. */
export interface SeedOptions {
  readonly seed: number;
}

export interface UniformOptions extends SeedOptions {
  /** Lower bound; 0 by default. */
  readonly low?: number;
  /** Upper bound; 1 by default. */
  readonly high?: number;
}

export interface NormalOptions extends SeedOptions {
  /** 0 by default. */
  readonly mean?: number;
  /** Standard deviation; 1 by default. */
  readonly std?: number;
}

function formatShape(shape: unknown): string {
  return Array.isArray(shape) ? `[${shape.map((d) => String(d)).join(', ')}]` : String(shape);
}

/** Checks a shape and returns its element count, naming the initializer in errors. */
function checkShape(who: string, shape: unknown): number {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${who}: shape must be an array of dimensions such as [784, 256], got ${typeof shape === 'object' ? String(shape) : typeof shape}`);
  }
  let size = 1;
  shape.forEach((d: unknown, axis) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`${who}: invalid shape ${formatShape(shape)}: dimension ${axis} is ${typeof d === 'number' ? d : typeof d}, not a non-negative integer`);
    }
    size *= d;
  });
  if (!Number.isSafeInteger(size) || size > 2 ** 32 - 1) {
    throw new RangeError(`${who}: shape ${formatShape(shape)} has ${size} elements, more than a typed array can hold`);
  }
  return size;
}

function checkOptions(who: string, options: unknown): SeedOptions {
  if (typeof options !== 'object' || options === null || !('seed' in options)) {
    throw new TypeError(`${who}: options must give a seed, e.g. ${who}(shape, { seed: 1 })`);
  }
  seedToKey((options as SeedOptions).seed, who);
  return options as SeedOptions;
}

function checkFinite(who: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${who}: ${name} must be a finite number, got ${v}`);
}

/**
 * Fan-in and fan-out of a weight of this shape (see the module comment for the layout).
 *
 * @example
 * ```ts
 * fans([784, 256]);       // { fanIn: 784, fanOut: 256 }
 * fans([3, 3, 16, 32]);   // { fanIn: 144, fanOut: 288 }  (a 3×3 convolution kernel)
 * ```
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  checkShape('fans', shape);
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  let receptive = 1;
  for (let i = 0; i < shape.length - 2; i++) receptive *= shape[i]!;
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

/**
 * An array of zeros (biases).
 *
 * @example
 * ```ts
 * const b = shared(zeros([256]), 'b');
 * ```
 */
export function zeros(shape: readonly number[]): NDArray {
  checkShape('zeros', shape);
  return NDArray.zeros(shape, 'float32');
}

/**
 * An array holding one value.
 *
 * @example
 * ```ts
 * constant([256], 0.01); // NDArray float32 [256], every element 0.01
 * ```
 */
export function constant(shape: readonly number[], value: number): NDArray {
  checkShape('constant', shape);
  if (typeof value !== 'number') throw new TypeError(`constant: value must be a number, got ${kindOf(value)}`);
  return NDArray.full(shape, value, 'float32');
}

/**
 * Uniform numbers in [low, high) (after rounding to float32 a value can equal `high`).
 *
 * @example
 * ```ts
 * uniform([2, 3], { low: -1, high: 1, seed: 0 });
 * ```
 */
export function uniform(shape: readonly number[], options: UniformOptions): NDArray {
  return uniformIn('uniform', shape, options, options?.low ?? 0, options?.high ?? 1);
}

/**
 * Normal numbers with a mean and a standard deviation (not truncated).
 *
 * @example
 * ```ts
 * normal([2, 3], { std: 0.01, seed: 0 });
 * ```
 */
export function normal(shape: readonly number[], options: NormalOptions): NDArray {
  return normalWith('normal', shape, options, options?.mean ?? 0, options?.std ?? 1);
}

/**
 * Glorot (Xavier) uniform: U(−l, l) with l = √(6 / (fanIn + fanOut)), so the variance is
 * 2 / (fanIn + fanOut). For tanh and sigmoid layers.
 *
 * @example
 * ```ts
 * const w = shared(glorotUniform([784, 256], { seed: 1 }), 'w');
 * ```
 */
export function glorotUniform(shape: readonly number[], options: SeedOptions): NDArray {
  const size = checkShape('glorotUniform', shape);
  const { fanIn, fanOut } = fans(shape);
  const limit = size === 0 ? 0 : Math.sqrt(6 / (fanIn + fanOut));
  return uniformIn('glorotUniform', shape, options, -limit, limit);
}

/**
 * Glorot (Xavier) normal: N(0, σ²) with σ = √(2 / (fanIn + fanOut)), untruncated (as
 * PyTorch's `xavier_normal_`).
 *
 * @example
 * ```ts
 * const w = shared(glorotNormal([784, 256], { seed: 1 }), 'w');
 * ```
 */
export function glorotNormal(shape: readonly number[], options: SeedOptions): NDArray {
  const size = checkShape('glorotNormal', shape);
  const { fanIn, fanOut } = fans(shape);
  return normalWith('glorotNormal', shape, options, 0, size === 0 ? 0 : Math.sqrt(2 / (fanIn + fanOut)));
}

/**
 * He (Kaiming) uniform: U(−l, l) with l = √(6 / fanIn), so the variance is 2 / fanIn.
 * For relu layers.
 *
 * @example
 * ```ts
 * const w = shared(heUniform([784, 256], { seed: 1 }), 'w');
 * ```
 */
export function heUniform(shape: readonly number[], options: SeedOptions): NDArray {
  const size = checkShape('heUniform', shape);
  const { fanIn } = fans(shape);
  return uniformIn('heUniform', shape, options, size === 0 ? 0 : -Math.sqrt(6 / fanIn), size === 0 ? 0 : Math.sqrt(6 / fanIn));
}

/**
 * He (Kaiming) normal: N(0, σ²) with σ = √(2 / fanIn), untruncated (as PyTorch's
 * `kaiming_normal_` in fan-in mode). For relu layers.
 *
 * @example
 * ```ts
 * const w1 = shared(heNormal([1000, 1000], { seed: 1 }), 'w1');
 * ```
 */
export function heNormal(shape: readonly number[], options: SeedOptions): NDArray {
  const size = checkShape('heNormal', shape);
  const { fanIn } = fans(shape);
  return normalWith('heNormal', shape, options, 0, size === 0 ? 0 : Math.sqrt(2 / fanIn));
}

/** The options of `orthogonal`: a seed and a scale. */
export interface OrthogonalOptions extends SeedOptions {
  /** Multiplies the matrix; 1 by default. */
  readonly gain?: number;
}

/**
 * Orthogonal (Saxe et al., Keras's and PyTorch's `orthogonal`): the shape flattened to a
 * matrix [∏ leading axes, last axis] whose columns (a tall matrix) or rows (a wide one) are
 * orthonormal, times `gain`: the Q of a standard normal matrix's QR decomposition, with R's
 * diagonal made positive so Q is uniformly distributed. The default of recurrent kernels,
 * whose repeated products then neither grow nor shrink at first.
 *
 * @example
 * ```ts
 * const u = shared(orthogonal([64, 256], { seed: 2 }), 'lstm/recurrent_kernel'); // rows orthonormal
 * ```
 */
export function orthogonal(shape: readonly number[], options: OrthogonalOptions): NDArray {
  const size = checkShape('orthogonal', shape);
  const { seed } = checkOptions('orthogonal', options);
  const gain = options.gain ?? 1;
  checkFinite('orthogonal', 'gain', gain);
  if (shape.length < 2) throw new RangeError(`orthogonal: needs a shape of at least 2 axes (a matrix), got ${formatShape(shape)}`);
  const cols = shape[shape.length - 1]!;
  const rows = cols === 0 ? 0 : size / cols;
  // Columns of a tall n×m normal matrix (n ≥ m), orthonormalized in order by modified
  // Gram–Schmidt twice over (exact to float64 rounding, and R's diagonal is positive).
  const [n, m] = rows >= cols ? [rows, cols] : [cols, rows];
  const z = new Float64Array(n * m);
  fillStandardNormal(z, seed);
  const q = Array.from({ length: m }, (_, j) => Float64Array.from({ length: n }, (_, i) => z[i * m + j]!));
  for (let j = 0; j < m; j++) {
    const v = q[j]!;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const u = q[p]!;
        let d = 0;
        for (let i = 0; i < n; i++) d += u[i]! * v[i]!;
        for (let i = 0; i < n; i++) v[i] = v[i]! - d * u[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) v[i] = norm > 0 ? v[i]! / norm : 0;
  }
  const out = new Float32Array(size);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows >= cols ? q[c]![r]! : q[r]![c]!);
  }
  return new NDArray('float32', shape, out);
}

function uniformIn(who: string, shape: readonly number[], options: SeedOptions, low: number, high: number): NDArray {
  const size = checkShape(who, shape);
  const { seed } = checkOptions(who, options);
  checkFinite(who, 'low', low);
  checkFinite(who, 'high', high);
  if (!(low <= high)) throw new RangeError(`${who}: low (${low}) must not exceed high (${high})`);
  const u = new Float64Array(size);
  fillUniform01(u, seed);
  const out = new Float32Array(size);
  const width = high - low;
  for (let i = 0; i < size; i++) out[i] = low + width * u[i]!;
  return new NDArray('float32', shape, out);
}

function normalWith(who: string, shape: readonly number[], options: SeedOptions, mean: number, std: number): NDArray {
  const size = checkShape(who, shape);
  const { seed } = checkOptions(who, options);
  checkFinite(who, 'mean', mean);
  checkFinite(who, 'std', std);
  if (std < 0) throw new RangeError(`${who}: std must be non-negative, got ${std}`);
  const z = new Float64Array(size);
  fillStandardNormal(z, seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = mean + std * z[i]!;
  return new NDArray('float32', shape, out);
}
