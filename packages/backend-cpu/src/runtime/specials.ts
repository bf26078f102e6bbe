import type { GatherKernel, OneHotKernel, SoftmaxCrossEntropyKernel, SoftmaxKernel, View } from '@symgrad/core';
import type { BufferTable, KernelStep } from './kernel-step.js';
import { checkView, shapeSize } from './view-check.js';

/**
 * The indexing, loss and row-softmax kernels, in plain TypeScript over strided views (their cost is
 * linear in their data, so no code is generated). Labels and indices are valid when they
 * are integers in [0, classes); anything else gives NaN from gather and a NaN loss, and a
 * row of zeros from oneHot (the softmax cross-entropy gradient then has no one-hot term).
 */

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

function rowsAndClasses(v: View, what: string): [number, number] {
  if (v.shape.length !== 2) throw new Error(`${what} has shape ${fmt(v.shape)}, expected [rows, classes]`);
  return [v.shape[0]!, v.shape[1]!];
}

const validIndex = (y: number, classes: number): boolean => Number.isInteger(y) && y >= 0 && y < classes;

/** output[r] = input[r, indices[r]], NaN where the index is out of range. */
export function compileGather(k: GatherKernel, buffers: BufferTable): KernelStep {
  const [rows, classes] = rowsAndClasses(k.input, 'input');
  checkView(k.input, 'input', buffers);
  checkView(k.indices, 'indices', buffers, [rows]);
  checkView(k.output, 'output', buffers, [rows]);
  const toBool = buffers.dtype(k.output.buffer) === 'bool' && buffers.dtype(k.input.buffer) !== 'bool';
  const [xr, xc] = k.input.strides as [number, number];
  const is = k.indices.strides[0]!;
  const os = k.output.strides[0]!;
  return (data) => {
    const x = data[k.input.buffer]!;
    const idx = data[k.indices.buffer]!;
    const out = data[k.output.buffer]!;
    let pi = k.indices.offset;
    let po = k.output.offset;
    let px = k.input.offset;
    for (let r = 0; r < rows; r++) {
      const y = idx[pi]!;
      const v = validIndex(y, classes) ? x[px + y * xc]! : NaN;
      out[po] = toBool ? (v ? 1 : 0) : v;
      pi += is;
      po += os;
      px += xr;
    }
  };
}

/** output[..., c] = indices[...] === c ? 1 : 0. */
export function compileOneHot(k: OneHotKernel, buffers: BufferTable): KernelStep {
  if (!Number.isInteger(k.depth) || k.depth < 0) throw new Error(`depth ${String(k.depth)} is not a non-negative integer`);
  const shape = k.indices.shape;
  checkView(k.indices, 'indices', buffers);
  checkView(k.output, 'output', buffers, [...shape, k.depth]);
  const rank = shape.length;
  const count = shapeSize(shape);
  const depth = k.depth;
  const is = k.indices.strides;
  const os = k.output.strides;
  const cs = os[rank]!;
  const counter = new Int32Array(rank);
  return (data) => {
    const idx = data[k.indices.buffer]!;
    const out = data[k.output.buffer]!;
    if (depth === 0) return;
    counter.fill(0);
    let pi = k.indices.offset;
    let po = k.output.offset;
    for (let t = 0; t < count; t++) {
      const y = idx[pi]!;
      for (let c = 0, p = po; c < depth; c++, p += cs) out[p] = y === c ? 1 : 0;
      // Odometer over the indices' shape.
      for (let d = rank - 1; d >= 0; d--) {
        pi += is[d]!;
        po += os[d]!;
        if (++counter[d]! < shape[d]!) break;
        pi -= is[d]! * shape[d]!;
        po -= os[d]! * shape[d]!;
        counter[d] = 0;
      }
    }
  };
}

/**
 * loss[r] = logsumexp(z[r]) − z[r, y[r]] (max-subtracted, so large logits do not overflow);
 * with `grad`, grad[r, c] = (softmax(z[r])[c] − [c = y[r]]) · scale[r]. Computed in float64
 * and rounded as the output buffers store it.
 */
export function compileSoftmaxCrossEntropy(k: SoftmaxCrossEntropyKernel, buffers: BufferTable): KernelStep {
  const [rows, classes] = rowsAndClasses(k.logits, 'logits');
  checkView(k.logits, 'logits', buffers);
  checkView(k.labels, 'labels', buffers, [rows]);
  checkView(k.loss, 'loss', buffers, [rows]);
  const grad = k.grad;
  if (grad) {
    checkView(grad.output, 'grad output', buffers, [rows, classes]);
    checkView(grad.scale, 'grad scale', buffers, [rows]);
  }
  const [zr, zc] = k.logits.strides as [number, number];
  const ls = k.labels.strides[0]!;
  const os = k.loss.strides[0]!;
  const [gr, gc] = (grad?.output.strides ?? [0, 0]) as [number, number];
  const ss = grad?.scale.strides[0] ?? 0;
  // exp(z − max) of the current row, kept for the gradient.
  const e = new Float64Array(classes);
  return (data) => {
    const z = data[k.logits.buffer]!;
    const labels = data[k.labels.buffer]!;
    const loss = data[k.loss.buffer]!;
    const g = grad ? data[grad.output.buffer]! : undefined;
    const scale = grad ? data[grad.scale.buffer]! : undefined;
    for (let r = 0; r < rows; r++) {
      const row = k.logits.offset + r * zr;
      let m = -Infinity;
      for (let c = 0, p = row; c < classes; c++, p += zc) {
        const v = z[p]!;
        if (v > m || v !== v) m = v;
      }
      let s = 0;
      for (let c = 0, p = row; c < classes; c++, p += zc) {
        const x = Math.exp(z[p]! - m);
        e[c] = x;
        s += x;
      }
      const y = labels[k.labels.offset + r * ls]!;
      const ok = validIndex(y, classes);
      loss[k.loss.offset + r * os] = ok ? m + Math.log(s) - z[row + y * zc]! : NaN;
      if (g && scale && grad) {
        const sc = scale[grad.scale.offset + r * ss]!;
        for (let c = 0, p = grad.output.offset + r * gr; c < classes; c++, p += gc) g[p] = (e[c]! / s - (c === y ? 1 : 0)) * sc;
      }
    }
  };
}

/**
 * Row softmax (or log-softmax) over the last axis, in float64 rounded as the output stores
 * it: one pass for the maximum (a NaN makes the row NaN), one for exp(x − max) and its sum,
 * one to normalize.
 */
export function compileSoftmax(k: SoftmaxKernel, buffers: BufferTable): KernelStep {
  const [rows, cols] = rowsAndClasses(k.input, 'input');
  checkView(k.input, 'input', buffers);
  checkView(k.output, 'output', buffers, [rows, cols]);
  const [xr, xc] = k.input.strides as [number, number];
  const [or, oc] = k.output.strides as [number, number];
  const log = k.log;
  // The row's shifted logits, so an output that aliases the input is safe.
  const e = new Float64Array(cols);
  return (data) => {
    const x = data[k.input.buffer]!;
    const out = data[k.output.buffer]!;
    for (let r = 0; r < rows; r++) {
      const row = k.input.offset + r * xr;
      let m = -Infinity;
      for (let c = 0, p = row; c < cols; c++, p += xc) {
        const v = x[p]!;
        if (v > m || v !== v) m = v;
      }
      let s = 0;
      for (let c = 0, p = row; c < cols; c++, p += xc) {
        const d = x[p]! - m;
        e[c] = log ? d : Math.exp(d);
        s += log ? Math.exp(d) : e[c]!;
      }
      const ls = log ? Math.log(s) : 0;
      for (let c = 0, p = k.output.offset + r * or; c < cols; c++, p += oc) out[p] = log ? e[c]! - ls : e[c]! / s;
    }
  };
}
