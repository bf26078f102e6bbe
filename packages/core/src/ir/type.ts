import type { DType } from './dtype.js';

/** A dimension: a static size, or `null` when it is known only at call time. */
export type Dim = number | null;

/**
 * The static type of a symbolic tensor. A dimension of static size 1 is broadcastable
 * (as Theano's broadcastable pattern); a `null` dimension must match exactly at run time.
 */
export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/**
 * A TensorType with its own copy of `shape`, so the caller's array can change afterwards.
 *
 * @example
 * ```ts
 * tensorType('float32', [null, 784]); // a batch of flattened images, batch size known at call time
 * ```
 */
export function tensorType(dtype: DType, shape: readonly Dim[]): TensorType {
  return { dtype, shape: [...shape] };
}

/**
 * A shape as messages print it, `?` standing for a dimension known only at call time.
 *
 * @example
 * ```ts
 * formatShape([null, 3]); // '[?, 3]'
 * ```
 */
export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/**
 * dtype and shape as one token, as `Variable.describe()` and error messages print them.
 *
 * @example
 * ```ts
 * formatType(tensorType('int32', [2, null])); // 'int32[2, ?]'
 * ```
 */
export function formatType(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

/**
 * Whether every dimension is known; narrows the shape to numbers, so its size can be
 * computed.
 *
 * @example
 * ```ts
 * if (isConcrete(x.shape)) console.log(`${sizeOf(x.shape)} elements`);
 * ```
 */
export function isConcrete(shape: readonly Dim[]): shape is readonly number[] {
  return shape.every((d) => d !== null);
}

/**
 * Number of elements of a concrete shape: 1 for a scalar's `[]`, 0 when any dimension is 0.
 *
 * @example
 * ```ts
 * sizeOf([2, 3, 4]); // 24
 * ```
 */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Row-major (C order) strides in elements: the layout of a whole buffer, which
 * `contiguousView` gives a view.
 *
 * @example
 * ```ts
 * contiguousStrides([2, 3, 4]); // [12, 4, 1]
 * ```
 */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * Equality of static shapes, dimension by dimension, without broadcasting; `null` equals
 * `null` (both unknown, not proven to be the same size).
 *
 * @example
 * ```ts
 * sameShape([null, 3], [null, 3]); // true
 * sameShape([1, 3], [3]); // false
 * ```
 */
export function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Normalizes a possibly negative axis against a rank, or returns undefined when out of
 * range, so the caller words its own error.
 *
 * @example
 * ```ts
 * normalizeAxis(-1, 3); // 2
 * normalizeAxis(3, 3); // undefined
 * ```
 */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  if (!Number.isInteger(axis)) return undefined;
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}
