import { describe, expect, it } from 'vitest';
import { sx, type BufferSpec, type MatmulKernel } from '@symgrad/core';
import { compileMatmul } from './matmul.js';
import { KC, MC, MCC, NC } from './gemm.js';
import { bufferTable } from './kernel-step.js';
import { nativeCpuStatus, type NativeCpuAddon } from '../native.js';
import { matmulReference as reference, randomMatmulCase as randomCase } from '../testing-fixtures/matmul-cases.js';
import { relError, Rng } from '../testing-fixtures/random.js';
import { contiguous } from '../testing-fixtures/strided.js';

// Every test runs on the TypeScript GEMM and, where the addon loaded, on the native one.
const status = nativeCpuStatus();
const PATHS: [string, NativeCpuAddon | undefined][] = [['typescript', undefined]];
if (status.ok) PATHS.push(['native', status.addon]);

describe.each(PATHS)('matmul kernels (%s)', (_path, native) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const tol = dtype === 'float32' ? 1e-5 : 1e-12;
    it(`random batched/transposed/strided/broadcast products with alpha, beta and epilogues (${dtype}) within ${tol}`, () => {
      const rng = new Rng(dtype === 'float32' ? 5 : 6);
      for (let t = 0; t < 150; t++) {
        const c = randomCase(rng, dtype);
        const want = reference(c);
        compileMatmul(c.kernel, bufferTable(c.buffers), native)(c.data);
        const err = relError(Array.from(c.data[2]!), want);
        const { m, n, k, batch, transA, transB } = c.kernel;
        expect(err, `case ${t}: batch [${batch}] m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`).toBeLessThanOrEqual(tol);
      }
    });

    it(`sizes across every cache block boundary (${dtype})`, () => {
      const rng = new Rng(77);
      for (const dims of [[MCC + 13, NC + 5, 2 * KC + 7], [MC + 1, 3, KC + 1], [1, NC * 2 + 1, 5], [37, 1, 300]] as [number, number, number][]) {
        const c = randomCase(rng, dtype, dims);
        const want = reference(c);
        compileMatmul(c.kernel, bufferTable(c.buffers), native)(c.data);
        expect(relError(Array.from(c.data[2]!), want), `dims ${dims}`).toBeLessThanOrEqual(tol);
      }
    });
  }

  it('k = 0 gives beta·out; beta = 0 never reads out; empty shapes do nothing', () => {
    const buffers: BufferSpec[] = [
      { id: 0, dtype: 'float32', size: 0, role: 'temp' }, { id: 1, dtype: 'float32', size: 0, role: 'temp' }, { id: 2, dtype: 'float32', size: 4, role: 'temp' },
    ];
    const base = (beta: number): MatmulKernel => ({
      kind: 'matmul', batch: [], m: 2, n: 2, k: 0, a: contiguous(0, [2, 0]), b: contiguous(1, [0, 2]), transA: false, transB: false,
      alpha: 1, beta, out: contiguous(2, [2, 2]), dtype: 'float32', label: 'k0',
    });
    const data = [new Float32Array(0), new Float32Array(0), Float32Array.from([1, 2, NaN, 4])];
    compileMatmul(base(2), bufferTable(buffers), native)(data);
    expect(Array.from(data[2]!)).toEqual([2, 4, NaN, 8]);
    compileMatmul(base(0), bufferTable(buffers), native)(data);
    expect(Array.from(data[2]!)).toEqual([0, 0, 0, 0]);
    const empty = { ...base(1), m: 0, a: contiguous(0, [0, 0]), out: contiguous(2, [0, 2]) };
    data[2]!.fill(3);
    compileMatmul(empty, bufferTable(buffers), native)(data);
    expect(Array.from(data[2]!)).toEqual([3, 3, 3, 3]);
  });

  it('int32 products round as an int32 buffer stores them', () => {
    const buffers: BufferSpec[] = [0, 1, 2].map((id) => ({ id, dtype: 'int32', size: 4, role: 'temp' }));
    const data = [Int32Array.from([1, 2, 3, 4]), Int32Array.from([5, 6, 7, 8]), new Int32Array(4)];
    compileMatmul({
      kind: 'matmul', batch: [], m: 2, n: 2, k: 2, a: contiguous(0, [2, 2]), b: contiguous(1, [2, 2]), transA: false, transB: false,
      alpha: 0.5, beta: 0, out: contiguous(2, [2, 2]), dtype: 'int32', label: 'i',
    }, bufferTable(buffers), native)(data);
    expect(Array.from(data[2]!)).toEqual([9, 11, 21, 25]);
  });
});

describe('matmul kernel errors', () => {
  const buffers = bufferTable([{ id: 0, dtype: 'float32', size: 6, role: 'temp' }, { id: 1, dtype: 'float32', size: 12, role: 'temp' }, { id: 2, dtype: 'float32', size: 8, role: 'temp' }]);
  const kernel = (over: Partial<MatmulKernel>): MatmulKernel => ({
    kind: 'matmul', batch: [], m: 2, n: 4, k: 3, a: contiguous(0, [2, 3]), b: contiguous(1, [3, 4]), transA: false, transB: false,
    alpha: 1, beta: 0, out: contiguous(2, [2, 4]), dtype: 'float32', label: 'mm', ...over,
  });
  it('rejects operands whose shapes disagree with m, n, k and bad sizes', () => {
    expect(() => compileMatmul(kernel({ transA: true }), buffers)).toThrow('a has shape [2, 3], expected [3, 2]');
    expect(() => compileMatmul(kernel({ out: contiguous(2, [4, 2]) }), buffers)).toThrow('out has shape [4, 2], expected [2, 4]');
    expect(() => compileMatmul(kernel({ batch: [2] }), buffers)).toThrow('out has shape [2, 4], expected [2, 2, 4]');
    expect(() => compileMatmul(kernel({ k: 2.5 }), buffers)).toThrow('k = 2.5 is not a non-negative integer');
    expect(() => compileMatmul(kernel({ b: contiguous(1, [3, 4], 1) }), buffers)).toThrow('b reaches element 12 of buffer 1, which has 12 elements');
    expect(() => compileMatmul(kernel({ epilogue: { expr: sx.input(0, 'float32'), inputs: [contiguous(0, [3])] } }), buffers)).toThrow('epilogue input 0 has shape [3], expected [2, 4]');
    expect(() => compileMatmul(kernel({ alpha: '2' as unknown as number }), buffers)).toThrow("alpha and beta must be numbers, got alpha = '2' (string) and beta = 0 (number)");
    expect(() => compileMatmul(kernel({ beta: undefined as unknown as number }), buffers)).toThrow('alpha and beta must be numbers, got alpha = 1 (number) and beta = undefined (undefined)');
  });
});
