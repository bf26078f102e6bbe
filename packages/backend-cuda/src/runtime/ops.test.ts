import { describe, expect, it } from 'vitest';
import { contiguousView, sx } from '@symgrad/core';
import { planProgram } from '../codegen/program-source.js';
import { scheduleStreams } from '../codegen/schedule.js';
import { nativeOps } from './ops.js';

describe('nativeOps', () => {
  const plan = planProgram({
    buffers: [{ id: 0, dtype: 'float32', size: 400, role: 'input' }, { id: 1, dtype: 'float64', size: 40, role: 'input' }, { id: 2, dtype: 'float32', size: 400, role: 'output' }],
    kernels: [
      { kind: 'matmul', batch: [], m: 2, n: 17, k: 18, a: { buffer: 0, offset: 5, shape: [2, 18], strides: [18, 1] }, b: contiguousView(2, [18, 17]), transA: false, transB: false, alpha: 1, beta: 0, out: { buffer: 2, offset: 12, shape: [2, 17], strides: [17, 1] }, dtype: 'float32', label: 'mm' },
      { kind: 'elementwise', shape: [4], inputs: [contiguousView(1, [4])], outputs: [contiguousView(2, [4])], exprs: [sx.unary('cast', sx.input(0, 'float64'), 'float32')], label: 'cast' },
    ],
  });

  it('binds pointers plus byte offsets, functions by name, and tf32 on float32 GEMMs only', () => {
    const ptrs = [0x1000n, 0x2000n, 0x3000n];
    const ops = nativeOps(plan, ptrs, new Map([['k1_elementwise', 7]]), true);
    expect(ops[0]).toMatchObject({ kind: 'gemm', tf32: true, f64: false, A: 0x3000n, B: 0x1000n + 20n, C: 0x3000n + 48n });
    expect(ops[1]).toMatchObject({ kind: 'launch', function: 7, args: [0x2000n, 0x3000n] });
    expect(nativeOps(plan, ptrs, new Map([['k1_elementwise', 7]]), false)[0]).toMatchObject({ tf32: false });
  });

  it('names a missing buffer or kernel', () => {
    expect(() => nativeOps(plan, [1n], new Map([['k1_elementwise', 0]]), false)).toThrow('cuda: buffer 2 was not given: 1 buffer given for a Program of 3');
    expect(() => nativeOps(plan, [1n, 2n, 3n], new Map(), false)).toThrow(/k1_elementwise is not loaded/);
  });

  it('places ops on their streams with their waits, and passes cuBLASLt epilogues with the bias address', () => {
    const lt = planProgram({
      buffers: [0, 1, 2, 3, 4].map((id) => ({ id, dtype: 'float32' as const, size: 400, role: 'temp' as const })),
      kernels: [
        { kind: 'matmul', batch: [], m: 2, n: 17, k: 18, a: contiguousView(0, [2, 18]), b: contiguousView(1, [18, 17]), transA: false, transB: false, alpha: 1, beta: 0, out: contiguousView(2, [2, 17]), dtype: 'float32', label: 'a',
          epilogue: { expr: sx.unary('relu', sx.binary('add', sx.input(0, 'float32'), sx.input(1, 'float32'), 'float32')), inputs: [{ buffer: 3, offset: 4, shape: [2, 17], strides: [0, 1] }] } },
        { kind: 'matmul', batch: [], m: 2, n: 17, k: 18, a: contiguousView(0, [2, 18]), b: contiguousView(1, [18, 17]), transA: false, transB: false, alpha: 1, beta: 0, out: contiguousView(4, [2, 17]), dtype: 'float32', label: 'b' },
      ],
    }, { gemm: 'cublasLt' });
    const ops = nativeOps(lt, [0x1000n, 0x2000n, 0x3000n, 0x4000n, 0x5000n], new Map(), false, { schedule: scheduleStreams(lt.steps, 2) });
    expect(ops[0]).toMatchObject({ kind: 'gemm', lt: true, epilogue: 3, bias: 0x4000n + 16n, biasBatchStride: 0, stream: 0, waits: [] });
    expect(ops[1]).toMatchObject({ kind: 'gemm', lt: true, epilogue: 0, bias: 0n, stream: 1, waits: [] });
    expect(nativeOps(plan, [1n, 2n, 3n], new Map([['k1_elementwise', 0]]), false)).toEqual([expect.objectContaining({ lt: false, epilogue: 0, stream: 0, waits: [] }), expect.objectContaining({ stream: 0, waits: [] })]);
    expect(() => nativeOps(lt, [1n, 2n, 3n, 4n, 5n], new Map(), false, { schedule: scheduleStreams(lt.steps.slice(1), 2) })).toThrow('cuda: a schedule of 1 steps for a plan of 2');
  });
});
