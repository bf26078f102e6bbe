import { substituteInputs, sx, type DType, type ElementwiseKernel, type ScalarExpr, type TypedArray } from '@symgrad/core';
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
 * A multi-output kernel (sibling kernels fused: a recurrent layer's copies into a concat,
 * say) cut into kernels of at most `maxViews` views each, each with the outputs it
 * computes and only the inputs those read; undefined where one output alone needs more, or
 * where a later part would read a buffer an earlier part has already written.
 */
export function splitByOutputs(k: ElementwiseKernel, maxViews: number): ElementwiseKernel[] | undefined {
  const inputsOf = (e: ScalarExpr, into: Set<number>): Set<number> => {
    if (e.op === 'input') into.add(e.index);
    else if ('args' in e) for (const a of e.args) inputsOf(a, into);
    return into;
  };
  const parts: { outputs: number[]; inputs: Set<number> }[] = [];
  k.outputs.forEach((_, o) => {
    const need = inputsOf(k.exprs[o]!, new Set());
    const last = parts[parts.length - 1];
    const merged = last && new Set([...last.inputs, ...need]);
    if (last && merged!.size + last.outputs.length + 1 <= maxViews) {
      last.outputs.push(o);
      parts[parts.length - 1] = { outputs: last.outputs, inputs: merged! };
    } else parts.push({ outputs: [o], inputs: need });
  });
  if (parts.some((p) => p.inputs.size + p.outputs.length > maxViews)) return undefined;
  const written = new Set<number>();
  const kernels: ElementwiseKernel[] = [];
  for (const p of parts) {
    const order = [...p.inputs].sort((a, b) => a - b);
    if (order.some((i) => written.has(k.inputs[i]!.buffer))) return undefined;
    const index = new Map(order.map((i, n) => [i, n]));
    const memo = new Map<ScalarExpr, ScalarExpr>();
    kernels.push({
      ...k,
      inputs: order.map((i) => k.inputs[i]!),
      outputs: p.outputs.map((o) => k.outputs[o]!),
      exprs: p.outputs.map((o) => substituteInputs(k.exprs[o]!, (i, dt) => sx.input(index.get(i)!, dt), memo)),
    });
    for (const o of p.outputs) written.add(k.outputs[o]!.buffer);
  }
  return kernels;
}

/**
 * An elementwise kernel on the addon's bytecode interpreter. The kernel must already have
 * been checked (compileElementwise checks it and is the fallback); the geometry is
 * simplified as the TypeScript path's is, then packed once.
 */
export function compileNativeElementwise(k: ElementwiseKernel, buffers: BufferTable, native: NativeCpuAddon, scratch?: KernelScratch): NativeCompiled {
  const views = [...k.inputs, ...k.outputs];
  if (views.length > NATIVE_MAX_VIEWS) {
    const parts = splitByOutputs(k, NATIVE_MAX_VIEWS);
    const compiled = parts?.map((p) => compileNativeElementwise(p, buffers, native, scratch));
    if (!compiled || compiled.some((c) => !('step' in c))) return { fallback: `${views.length} views (the addon takes ${NATIVE_MAX_VIEWS})` };
    const steps = compiled.map((c) => (c as { step: KernelStep }).step);
    return { step: (data) => { for (const step of steps) step(data); } };
  }
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
