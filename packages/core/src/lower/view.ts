import { contiguousStrides, sizeOf } from '../ir/type.js';
import type { View } from './program.js';

/** A view of a whole buffer in row-major order. */
export function contiguousView(buffer: number, shape: readonly number[], offset = 0): View {
  return { buffer, offset, shape: [...shape], strides: contiguousStrides(shape) };
}

/** True when the view's elements are consecutive in row-major order (size-1 axes ignored). */
export function isContiguous(v: View): boolean {
  let expect = 1;
  for (let i = v.shape.length - 1; i >= 0; i--) {
    if (v.shape[i] === 1) continue;
    if (v.strides[i] !== expect) return false;
    expect *= v.shape[i]!;
  }
  return true;
}

export function transposeView(v: View, perm: readonly number[]): View {
  return { buffer: v.buffer, offset: v.offset, shape: perm.map((p) => v.shape[p]!), strides: perm.map((p) => v.strides[p]!) };
}

/** Aligns `v` to `shape` from the right; broadcast axes get stride 0. */
export function broadcastView(v: View, shape: readonly number[]): View {
  const off = shape.length - v.shape.length;
  const strides = shape.map((d, i) => {
    if (i < off) return 0;
    const s = v.shape[i - off]!;
    return s === d ? (d === 1 ? 0 : v.strides[i - off]!) : 0;
  });
  return { buffer: v.buffer, offset: v.offset, shape: [...shape], strides };
}

/** Selects start + k·step for k < length on every axis. */
export function sliceView(v: View, start: readonly number[], step: readonly number[], length: readonly number[]): View {
  let offset = v.offset;
  start.forEach((s, i) => {
    if (length[i]! > 0) offset += s * v.strides[i]!;
  });
  return { buffer: v.buffer, offset, shape: [...length], strides: v.strides.map((s, i) => s * step[i]!) };
}

/** The same elements under a new shape, or undefined when that needs a copy. */
export function reshapeView(v: View, shape: readonly number[]): View | undefined {
  if (sizeOf(shape) !== sizeOf(v.shape)) return undefined;
  if (!isContiguous(v)) return undefined;
  return contiguousView(v.buffer, shape, v.offset);
}

export function sameView(a: View, b: View): boolean {
  return a.buffer === b.buffer && a.offset === b.offset && a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i] && (d === 1 || a.strides[i] === b.strides[i]));
}
