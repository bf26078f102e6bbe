import type { DType, ElementwiseKernel, TypedArray } from '@symgrad/core';
import { compileCached } from './function-cache.js';
import { renderScalarExprs } from './render-js.js';
import { emitNest, geometryPrelude, packGeometry, simplifyGeometry, strideClass, type StrideClass } from './strided-loops.js';
import type { BufferTable, KernelStep } from '../runtime/kernel-step.js';
import { checkView, shapeSize } from '../runtime/view-check.js';

/** A generated elementwise loop: data table, buffer id per view (inputs then outputs), packed geometry. */
type ElementwiseFn = (data: readonly TypedArray[], ids: Int32Array, g: Int32Array) => void;

/** `value` (already rounded to `dtype`) as stored by a typed array of `storage`: only bool needs a 0/1 conversion. */
export function storeJs(storage: DType, dtype: DType, value: string): string {
  return storage === 'bool' && dtype !== 'bool' ? `(${value} ? 1 : 0)` : value;
}

/**
 * The source of an elementwise kernel's loop for a rank, the storage dtypes of its views
 * and how each view moves along the innermost dim. Shapes, strides and offsets are
 * arguments, so kernels that differ only in geometry share one function.
 */
export function elementwiseSource(k: ElementwiseKernel, rank: number, storage: readonly DType[], inner: readonly StrideClass[]): string {
  const nIn = k.inputs.length;
  const nViews = nIn + k.outputs.length;
  const arrays = [
    ...k.inputs.map((_, i) => `I${i} = data[ids[${i}]]`),
    ...k.outputs.map((_, j) => `O${j} = data[ids[${nIn + j}]]`),
  ];
  const body = (ptr: (v: number) => string): string => {
    const r = renderScalarExprs(k.exprs, { inputCount: nIn, load: (i) => `I${i}[${ptr(i)}]`, storage: (i) => storage[i] });
    const stores = k.outputs.map((_, j) => `O${j}[${ptr(nIn + j)}] = ${storeJs(storage[nIn + j]!, k.exprs[j]!.dtype, r.results[j]!)};\n`);
    return r.code + stores.join('');
  };
  const dims = Array.from({ length: rank }, (_, d) => d);
  const views = Array.from({ length: nViews }, (_, v) => v);
  return `return function elementwise(data, ids, g) {\n${geometryPrelude(rank, nViews)}const ${arrays.join(', ')};\n${
    emitNest({ prefix: 'p', dims, views, start: (v) => `o${v}`, inner: (v) => inner[v]!, body })}};`;
}

/**
 * Compiles an elementwise kernel: checks its views, simplifies its geometry (drops size-1
 * dims, merges contiguous ones) and binds the shared generated loop to its buffers.
 */
export function compileElementwise(k: ElementwiseKernel, buffers: BufferTable): KernelStep {
  if (k.exprs.length !== k.outputs.length) throw new Error(`has ${k.exprs.length} expressions for ${k.outputs.length} outputs`);
  k.inputs.forEach((v, i) => checkView(v, `input ${i}`, buffers, k.shape));
  k.outputs.forEach((v, j) => checkView(v, `output ${j}`, buffers, k.shape));
  if (shapeSize(k.shape) === 0 || k.outputs.length === 0) {
    // Nothing to compute; the expressions are still checked.
    renderScalarExprs(k.exprs, { inputCount: k.inputs.length, load: () => '0' });
    return () => {};
  }
  const views = [...k.inputs, ...k.outputs];
  const geo = simplifyGeometry({ shape: k.shape, views });
  const storage = views.map((v) => buffers.dtype(v.buffer));
  const rank = geo.shape.length;
  const inner = geo.views.map((v) => (rank ? strideClass(v.strides[rank - 1]!) : 'any'));
  const fn = compileCached<ElementwiseFn>(elementwiseSource(k, rank, storage, inner));
  const ids = Int32Array.from(views, (v) => v.buffer);
  const g = packGeometry(geo);
  return (data) => fn(data, ids, g);
}
