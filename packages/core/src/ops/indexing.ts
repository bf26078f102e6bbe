import { defineOp, OpTypeError } from '../ir/op.js';
import type { DType } from '../ir/dtype.js';
import { formatShape, sizeOf, type Dim } from '../ir/type.js';

defineOp({
  name: 'oneHot',
  family: 'indexing',
  arity: 1,
  inferType: ([idx], { depth, dtype }) => {
    if (idx!.dtype !== 'int32') throw new OpTypeError(`indices must be int32, got ${idx!.dtype}`);
    if (!Number.isInteger(depth) || depth <= 0) throw new OpTypeError(`depth must be a positive integer, got ${depth}`);
    return [{ dtype, shape: [...idx!.shape, depth] }];
  },
});

/** The dims of `x` with its `axis` replaced by `idx`'s dims: take's output shape. */
function takeShape(x: readonly Dim[], idx: readonly Dim[], axis: number): Dim[] {
  return [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)];
}

function checkAxis(rank: number, axis: number, what: string): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) throw new OpTypeError(`axis ${axis} is out of range for ${what} of rank ${rank}`);
}

defineOp({
  name: 'take',
  family: 'indexing',
  arity: 2,
  inferType: ([x, idx], { axis }) => {
    if (idx!.dtype !== 'int32') throw new OpTypeError(`indices must be int32, got ${idx!.dtype}`);
    checkAxis(x!.shape.length, axis, 'x');
    return [{ dtype: x!.dtype, shape: takeShape(x!.shape, idx!.shape, axis) }];
  },
});

defineOp({
  name: 'scatterAdd',
  family: 'indexing',
  arity: 3,
  inferType: ([x, idx, u], { axis }) => {
    if (idx!.dtype !== 'int32') throw new OpTypeError(`indices must be int32, got ${idx!.dtype}`);
    if (x!.dtype === 'bool') throw new OpTypeError('x is bool: scatterAdd adds, so it needs a numeric dtype');
    if (u!.dtype !== x!.dtype) throw new OpTypeError(`updates must have x's dtype ${x!.dtype}, got ${u!.dtype}`);
    checkAxis(x!.shape.length, axis, 'x');
    const want = takeShape(x!.shape, idx!.shape, axis);
    const fits = u!.shape.length === want.length && u!.shape.every((d, i) => d === null || want[i] === null || d === want[i]);
    if (!fits) throw new OpTypeError(`updates of shape ${formatShape(u!.shape)} do not match x ${formatShape(x!.shape)} with axis ${axis} replaced by the indices' shape ${formatShape(idx!.shape)}: expected ${formatShape(want)}`);
    return [{ dtype: x!.dtype, shape: [...x!.shape] }];
  },
});

/**
 * take and scatterAdd view x as [outer, size, inner] around their axis, and their indices
 * as n slices: the geometry of their kernels.
 *
 * @example
 * ```ts
 * takeGeometry([2, 7, 3, 4], 1, 5); // { outer: 2, size: 7, inner: 12, n: 5 }
 * ```
 */
export function takeGeometry(shape: readonly number[], axis: number, n: number): { outer: number; size: number; inner: number; n: number } {
  return { outer: sizeOf(shape.slice(0, axis)), size: shape[axis]!, inner: sizeOf(shape.slice(axis + 1)), n };
}

/**
 * An index of take or scatterAdd resolved against its axis's size: a negative one counts
 * from the end; undefined when out of range (take fills, scatterAdd drops).
 *
 * @example
 * ```ts
 * takeIndex(-1, 5); // 4
 * takeIndex(5, 5);  // undefined
 * ```
 */
export function takeIndex(y: number, size: number): number | undefined {
  const v = y < 0 ? y + size : y;
  return v >= 0 && v < size ? v : undefined;
}

/**
 * What take gives at an index out of range, as JAX's `fill` mode: NaN, in int32 −2³¹, in
 * bool true.
 *
 * @example
 * ```ts
 * takeFill('float32'); // NaN
 * takeFill('int32');   // -2147483648
 * ```
 */
export function takeFill(dtype: DType): number {
  return dtype === 'int32' ? -(2 ** 31) : dtype === 'bool' ? 1 : NaN;
}
