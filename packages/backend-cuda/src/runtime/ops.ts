import { bytesPerElement } from '@symgrad/core';
import type { NativeGemmEpilogue, NativeOp } from '../native.js';
import type { BufferRef, GemmEpilogue, ProgramPlan } from '../codegen/plan.js';
import type { StreamSchedule } from '../codegen/schedule.js';

function epilogueCode(e: GemmEpilogue): NativeGemmEpilogue {
  switch (e.kind) {
    case 'relu': return 1;
    case 'bias': return 2;
    case 'reluBias': return 3;
  }
}

/** Where a run's steps go: their streams. */
export interface OpPlacement {
  readonly schedule?: StreamSchedule;
}

/**
 * The native op list of one run: the plan's steps with buffer ids replaced by device
 * pointers (plus each reference's element offset), kernel names by loaded functions, and
 * each step placed on its stream (all on stream 0 without a schedule). Pure host-side logic;
 * the result is captured once per set of buffer pointers.
 */
export function nativeOps(plan: ProgramPlan, ptrs: readonly bigint[], functions: ReadonlyMap<string, number>, tf32: boolean, { schedule }: OpPlacement = {}): NativeOp[] {
  if (schedule && schedule.stream.length !== plan.steps.length) throw new Error(`cuda: a schedule of ${schedule.stream.length} steps for a plan of ${plan.steps.length}`);
  const ptr = (id: number): bigint => {
    const p = ptrs[id];
    if (p === undefined) throw new Error(`cuda: buffer ${id} was not given: ${ptrs.length} buffer${ptrs.length === 1 ? '' : 's'} given for a Program of ${plan.dtypes.length}`);
    return p;
  };
  const at = (r: BufferRef): bigint => ptr(r.buffer) + BigInt(r.offset * bytesPerElement(plan.dtypes[r.buffer]!));
  return plan.steps.map((s, i): NativeOp => {
    const placement = { stream: schedule?.stream[i] ?? 0, waits: schedule?.waits[i] ?? [] };
    if (s.kind === 'launch') {
      const fnId = functions.get(s.name);
      if (fnId === undefined) throw new Error(`cuda: kernel ${s.name} is not loaded`);
      return { kind: 'launch', what: `${s.name}, ${s.what}`, function: fnId, grid: s.grid, block: s.block, sharedBytes: s.sharedBytes, args: s.buffers.map(ptr), ...placement };
    }
    return {
      kind: 'gemm', what: s.what, f64: s.dtype === 'float64', tf32: tf32 && s.dtype === 'float32', lt: plan.gemm === 'cublasLt',
      opA: s.opA, opB: s.opB, m: s.m, n: s.n, k: s.k, lda: s.lda, ldb: s.ldb, ldc: s.ldc, batch: s.batch,
      alpha: s.alpha, beta: s.beta, A: at(s.a), B: at(s.b), C: at(s.c), strideA: s.strideA, strideB: s.strideB, strideC: s.strideC,
      epilogue: s.epilogue ? epilogueCode(s.epilogue) : 0, bias: s.epilogue?.bias ? at(s.epilogue.bias) : 0n, biasBatchStride: s.epilogue?.biasBatchStride ?? 0,
      ...placement,
    };
  });
}
