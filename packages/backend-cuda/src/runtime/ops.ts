import { bytesPerElement } from '@symgrad/core';
import type { NativeOp } from '../native.js';
import type { BufferRef, ProgramPlan } from '../codegen/plan.js';

/**
 * The native op list of one run: the plan's steps with buffer ids replaced by device
 * pointers (plus each reference's element offset) and kernel names by loaded functions.
 * Pure host-side logic; the result is captured once per set of buffer pointers.
 */
export function nativeOps(plan: ProgramPlan, ptrs: readonly bigint[], functions: ReadonlyMap<string, number>, tf32: boolean): NativeOp[] {
  const ptr = (id: number): bigint => {
    const p = ptrs[id];
    if (p === undefined) throw new Error(`cuda: buffer ${id} was not bound (${ptrs.length} buffers given)`);
    return p;
  };
  const at = (r: BufferRef): bigint => ptr(r.buffer) + BigInt(r.offset * bytesPerElement(plan.dtypes[r.buffer]!));
  return plan.steps.map((s): NativeOp => {
    if (s.kind === 'launch') {
      const fnId = functions.get(s.name);
      if (fnId === undefined) throw new Error(`cuda: kernel ${s.name} is not loaded`);
      return { kind: 'launch', what: `${s.name}, ${s.what}`, function: fnId, grid: s.grid, block: s.block, sharedBytes: s.sharedBytes, args: s.buffers.map(ptr) };
    }
    return {
      kind: 'gemm', what: s.what, f64: s.dtype === 'float64', tf32: tf32 && s.dtype === 'float32',
      opA: s.opA, opB: s.opB, m: s.m, n: s.n, k: s.k, lda: s.lda, ldb: s.ldb, ldc: s.ldc, batch: s.batch,
      alpha: s.alpha, beta: s.beta, A: at(s.a), B: at(s.b), C: at(s.c), strideA: s.strideA, strideB: s.strideB, strideC: s.strideC,
    };
  });
}
