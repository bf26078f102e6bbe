import { contiguousStrides, sizeOf } from '../ir/type.js';
import type { View } from './program.js';

/**
 * A view of a whole buffer (or of the elements from `offset` on) in row-major order: the
 * layout of every buffer a lowering allocates.
 *
 * @example
 * ```ts
 * contiguousView(3, [2, 3]); // { buffer: 3, offset: 0, shape: [2, 3], strides: [3, 1] }
 * ```
 */
export function contiguousView(buffer: number, shape: readonly number[], offset = 0): View {
  return { buffer, offset, shape: [...shape], strides: contiguousStrides(shape) };
}

/**
 * True when the view's elements are consecutive in row-major order (size-1 axes ignored),
 * so a kernel can address it with one linear index.
 *
 * @example
 * ```ts
 * if (!isContiguous(k.output)) throw new Error(`kernel ${i} (random): the output view must be contiguous`);
 * ```
 */
export function isContiguous(v: View): boolean {
  let expect = 1;
  for (let i = v.shape.length - 1; i >= 0; i--) {
    if (v.shape[i] === 1) continue;
    if (v.strides[i] !== expect) return false;
    expect *= v.shape[i]!;
  }
  return true;
}

/**
 * The view with its axes permuted (axis i of the result is axis `perm[i]` of `v`): a
 * transpose moves no data.
 *
 * @example
 * ```ts
 * transposeView(contiguousView(0, [2, 3]), [1, 0]); // shape [3, 2], strides [1, 3]
 * ```
 */
export function transposeView(v: View, perm: readonly number[]): View {
  return { buffer: v.buffer, offset: v.offset, shape: perm.map((p) => v.shape[p]!), strides: perm.map((p) => v.strides[p]!) };
}

/**
 * Aligns `v` to `shape` from the right; broadcast axes get stride 0, so the elements are
 * read repeatedly instead of copied. Does not check that the shapes broadcast
 * (`checkBroadcastTo` does).
 *
 * @example
 * ```ts
 * broadcastView(contiguousView(1, [3]), [2, 3]); // a bias row for each of 2 rows: strides [0, 1]
 * ```
 */
export function broadcastView(v: View, shape: readonly number[]): View {
  const off = shape.length - v.shape.length;
  const strides = shape.map((d, i) => {
    if (i < off) return 0;
    const s = v.shape[i - off]!;
    return s === d ? (d === 1 ? 0 : v.strides[i - off]!) : 0;
  });
  return { buffer: v.buffer, offset: v.offset, shape: [...shape], strides };
}

/**
 * Selects start + k·step for k < length on every axis, by moving the offset and scaling
 * the strides (no copy); `resolveSliceAxis` gives start and length for Python-style bounds.
 *
 * @example
 * ```ts
 * sliceView(contiguousView(0, [2, 3]), [0, 1], [1, 2], [2, 1]); // x[:, 1::2]: offset 1, shape [2, 1], strides [3, 2]
 * ```
 */
export function sliceView(v: View, start: readonly number[], step: readonly number[], length: readonly number[]): View {
  let offset = v.offset;
  start.forEach((s, i) => {
    if (length[i]! > 0) offset += s * v.strides[i]!;
  });
  return { buffer: v.buffer, offset, shape: [...length], strides: v.strides.map((s, i) => s * step[i]!) };
}

/**
 * The same elements under a new shape, or undefined when that needs a copy (the view is
 * not contiguous, e.g. a transpose), so the caller emits a copy kernel only then.
 *
 * @example
 * ```ts
 * reshapeView(contiguousView(0, [2, 3]), [6]); // { buffer: 0, offset: 0, shape: [6], strides: [1] }
 * reshapeView(transposeView(contiguousView(0, [2, 3]), [1, 0]), [6]); // undefined
 * ```
 */
export function reshapeView(v: View, shape: readonly number[]): View | undefined {
  if (sizeOf(shape) !== sizeOf(v.shape)) return undefined;
  if (!isContiguous(v)) return undefined;
  return contiguousView(v.buffer, shape, v.offset);
}

/**
 * Whether two views address the same elements in the same order (strides of size-1 axes
 * ignored): the one overlap the aliasing rule allows between what a kernel reads and writes.
 *
 * @example
 * ```ts
 * const inPlace = sameView(k.inputs[0]!, k.outputs[0]!); // an elementwise kernel updating its input
 * ```
 */
export function sameView(a: View, b: View): boolean {
  return a.buffer === b.buffer && a.offset === b.offset && a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i] && (d === 1 || a.strides[i] === b.strides[i]));
}
