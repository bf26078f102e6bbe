import type { DType, ElementwiseKernel, TypedArray } from '@symgrad/core';
import { compileBytecode } from '../codegen/bytecode.js';
import { packGeometry, simplifyGeometry } from '../codegen/strided-loops.js';
import type { NativeCpuAddon } from '../native.js';
import type { BufferTable, KernelStep } from './kernel-step.js';

/** The most dims and views the addon's kernels take (native/bytecode.h kMaxRank, elementwise.cc kMaxViews). */
export const NATIVE_MAX_RANK = 16;
export const NATIVE_MAX_VIEWS = 64;

/** A native step, or why the kernel stays on the TypeScript path. */
export type NativeCompiled = { readonly step: KernelStep } | { readonly fallback: string };

/** [rank, shape…, per view: offset, strides…]: the geometry the addon's kernels read. */
export function nativeGeometry(g: { readonly shape: readonly number[]; readonly views: readonly { offset: number; strides: readonly number[] }[] }): Int32Array {
  const packed = packGeometry(g);
  const out = new Int32Array(packed.length + 1);
  out[0] = g.shape.length;
  out.set(packed, 1);
  return out;
}

/**
 * An array a kernel step owns (allocated once at compile time), named in the kernel's views
 * by an id no Program buffer has (negative): a matmul's product where its output is also read.
 */
export interface KernelScratch {
  readonly id: number;
  readonly dtype: DType;
  readonly array: TypedArray;
}

/**
 * An elementwise kernel on the addon's bytecode interpreter. The kernel must already have
 * been checked (compileElementwise checks it and is the fallback); the geometry is
 * simplified as the TypeScript path's is, then packed once.
 */
export function compileNativeElementwise(k: ElementwiseKernel, buffers: BufferTable, native: NativeCpuAddon, scratch?: KernelScratch): NativeCompiled {
  const views = [...k.inputs, ...k.outputs];
  if (views.length > NATIVE_MAX_VIEWS) return { fallback: `${views.length} views (the addon takes ${NATIVE_MAX_VIEWS})` };
  const geo = simplifyGeometry({ shape: k.shape, views });
  if (geo.shape.length > NATIVE_MAX_RANK) return { fallback: `rank ${geo.shape.length} after merging dims (the addon takes ${NATIVE_MAX_RANK})` };
  const nIn = k.inputs.length;
  const dtypeOf = (id: number) => (scratch && id === scratch.id ? scratch.dtype : buffers.dtype(id));
  const bc = compileBytecode(k.exprs, nIn, (i) => dtypeOf(k.inputs[i]!.buffer), 'native elementwise');
  const geometry = nativeGeometry(geo);
  const ids = views.map((v) => v.buffer);
  const arrays: TypedArray[] = ids.map(() => new Float64Array(0));
  return {
    step: (data) => {
      for (let v = 0; v < ids.length; v++) arrays[v] = scratch && ids[v] === scratch.id ? scratch.array : data[ids[v]!]!;
      native.elementwise(bc.code, bc.consts, geometry, arrays, nIn);
    },
  };
}
