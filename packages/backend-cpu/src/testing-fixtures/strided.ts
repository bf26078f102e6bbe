import { allocTyped, roundTo, type BufferSpec, type DType, type TypedArray, type View } from '@symgrad/core';
import { bufferTable } from '../runtime/kernel-step.js';
import type { Rng } from './random.js';

/** Visits every multi-index of a shape in row-major order. */
export function forEachIndex(shape: readonly number[], f: (idx: readonly number[]) => void): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    f(idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

export const offsetOf = (v: View, idx: readonly number[]): number => idx.reduce((o, x, d) => o + x * v.strides[d]!, v.offset);

export function contiguous(buffer: number, shape: readonly number[], offset = 0): View {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return { buffer, offset, shape: [...shape], strides };
}

/**
 * A random view of `shape` into a fresh buffer: contiguous, permuted (transposed) or padded
 * (each dim's stride larger than needed, as a slice with steps), with an offset; when
 * `broadcast`, some dims get stride 0. Returns the view and the buffer size it needs.
 */
export function randomLayout(rng: Rng, buffer: number, shape: readonly number[], broadcast: boolean): { view: View; size: number } {
  const rank = shape.length;
  const order = Array.from({ length: rank }, (_, d) => d);
  if (rng.bool()) for (let i = rank - 1; i > 0; i--) { const j = rng.int(0, i); [order[i], order[j]] = [order[j]!, order[i]!]; }
  const padded = rng.bool(0.4);
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    const d = order[i]!;
    if (broadcast && rng.bool(0.3)) { strides[d] = 0; continue; }
    strides[d] = s * (padded ? rng.int(1, 3) : 1);
    s = strides[d]! * shape[d]!;
    if (padded) s += rng.int(0, 2);
  }
  const offset = rng.bool() ? rng.int(1, 5) : 0;
  const last = shape.reduce((o, n, d) => o + (Math.max(n, 1) - 1) * strides[d]!, offset);
  return { view: { buffer, offset, shape: [...shape], strides }, size: last + 1 + rng.int(0, 3) };
}

/** A typed array of a dtype holding values (rounded as the dtype stores them). */
export function typed(dtype: DType, values: readonly number[]): TypedArray {
  const a = allocTyped(dtype, values.length);
  values.forEach((v, i) => { a[i] = roundTo(dtype, v); });
  return a;
}

/** The buffers of a kernel test: each added with its dtype and contents, or laid out at random for a view. */
export class TestBuffers {
  specs: BufferSpec[] = [];
  data: TypedArray[] = [];
  add(dtype: DType, values: readonly number[]): number {
    const id = this.specs.length;
    this.specs.push({ id, dtype, size: values.length, role: 'temp' });
    this.data.push(typed(dtype, values));
    return id;
  }
  /** A new buffer holding a random (strided, optionally broadcast) view of `shape`. */
  layout(rng: Rng, dtype: DType, shape: number[], fill: () => number, broadcast = false): View {
    const { view, size } = randomLayout(rng, this.specs.length, shape, broadcast);
    this.add(dtype, Array.from({ length: size }, fill));
    return view;
  }
  table() { return bufferTable(this.specs); }
  copy(): TypedArray[] { return this.data.map((d) => d.slice()); }
}
