import { describe, expect, it } from 'vitest';
import { contiguousView, sx } from '@symgrad/core';
import { planProgram } from '../codegen/program-source.js';
import { nativeOps } from './ops.js';

describe('nativeOps', () => {
  const plan = planProgram({
    buffers: [{ id: 0, dtype: 'float32', size: 40, role: 'input' }, { id: 1, dtype: 'float64', size: 40, role: 'input' }, { id: 2, dtype: 'float32', size: 40, role: 'output' }],
    kernels: [
      { kind: 'matmul', batch: [], m: 2, n: 3, k: 4, a: { buffer: 0, offset: 5, shape: [2, 4], strides: [4, 1] }, b: contiguousView(2, [4, 3]), transA: false, transB: false, alpha: 1, beta: 0, out: { buffer: 2, offset: 12, shape: [2, 3], strides: [3, 1] }, dtype: 'float32', label: 'mm' },
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
    expect(() => nativeOps(plan, [1n], new Map([['k1_elementwise', 0]]), false)).toThrow(/buffer 2 was not bound/);
    expect(() => nativeOps(plan, [1n, 2n, 3n], new Map(), false)).toThrow(/k1_elementwise is not loaded/);
  });
});
