import type { MatmulKernel, TypedArray } from '@symgrad/core';
import { compileWriteout } from '../codegen/matmul-epilogue.js';
import type { NativeCpuAddon } from '../native.js';
import { gemm, type Flush } from './gemm.js';
import type { BufferTable, KernelStep } from './kernel-step.js';
import { compileNativeMatmul } from './native-matmul.js';
import { matrixStrides } from './matmul-views.js';

/**
 * Matmul kernels: out = alpha·op(A)·op(B) + beta·out over the batch dims, then the
 * epilogue. Each batch runs the blocked GEMM (gemm.ts); its float64 blocks are written out
 * by a generated loop that applies alpha, beta and the epilogue. Any strides are accepted
 * (the IR's unit last stride is not required); batch dims of size 1 or missing on the left
 * broadcast.
 */

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
const NO_DATA: readonly TypedArray[] = [];

const nativeSteps = new WeakSet<KernelStep>();

/** Whether compileMatmul chose the native GEMM for this step. */
export function isNativeMatmul(step: KernelStep): boolean {
  return nativeSteps.has(step);
}

export function checkScalars(k: MatmulKernel): void {
  for (const [name, v] of [['m', k.m], ['n', k.n], ['k', k.k]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${name} = ${String(v)} is not a non-negative integer`);
  }
  k.batch.forEach((d) => {
    if (!Number.isInteger(d) || d < 0) throw new Error(`batch ${fmt(k.batch)} has a size that is not a non-negative integer`);
  });
  if (typeof k.alpha !== 'number' || typeof k.beta !== 'number') {
    const show = (v: unknown) => `${typeof v === 'string' ? `'${v}'` : String(v)} (${typeof v})`;
    throw new Error(`alpha and beta must be numbers, got alpha = ${show(k.alpha)} and beta = ${show(k.beta)}`);
  }
}

/**
 * Compiles a matmul kernel into a step: the native GEMM when an addon is given and the
 * kernel suits it (native-matmul.ts), else the blocked TypeScript GEMM batch by batch.
 */
export function compileMatmul(k: MatmulKernel, buffers: BufferTable, native?: NativeCpuAddon): KernelStep {
  checkScalars(k);
  const fast = native ? compileNativeMatmul(k, buffers, native) : undefined;
  if (fast) {
    nativeSteps.add(fast);
    return fast;
  }
  const { batch, m, n } = k;
  const nb = batch.length;
  const sa = matrixStrides(k.a, 'a', batch, k.transA ? k.k : m, k.transA ? m : k.k, buffers, false);
  const sb = matrixStrides(k.b, 'b', batch, k.transB ? n : k.k, k.transB ? k.k : n, buffers, false);
  const so = matrixStrides(k.out, 'out', batch, m, n, buffers, true);
  const epi = k.epilogue;
  const se = (epi?.inputs ?? []).map((v, i) => matrixStrides(v, `epilogue input ${i}`, batch, m, n, buffers, false));
  // op(A)(i, p) and op(B)(p, j) strides.
  const [aRs, aCs] = k.transA ? [sa[nb + 1]!, sa[nb]!] : [sa[nb]!, sa[nb + 1]!];
  const [bRs, bCs] = k.transB ? [sb[nb + 1]!, sb[nb]!] : [sb[nb]!, sb[nb + 1]!];
  const outViews = [k.out, ...(epi?.inputs ?? [])];
  const outStrides = [so, ...se];
  const writeout = compileWriteout({
    dtype: k.dtype,
    storage: outViews.map((v) => buffers.dtype(v.buffer)),
    betaZero: k.beta === 0,
    ...(epi ? { epilogue: epi.expr } : {}),
  });
  const ids = Int32Array.from(outViews, (v) => v.buffer);
  const g = new Int32Array(3 * outViews.length);
  const base = new Float64Array(outViews.length);
  const counter = new Int32Array(nb);
  const batchCount = batch.reduce((x, y) => x * y, 1);
  const { alpha, beta } = k;
  let current = NO_DATA;

  // Writes one finished block: offsets of its first element in the output and epilogue inputs.
  const flush: Flush = (acc, ldc, row0, rows, col0, cols) => {
    for (let v = 0; v < outStrides.length; v++) {
      const s = outStrides[v]!;
      g[3 * v] = base[v]! + row0 * s[nb]! + col0 * s[nb + 1]!;
      g[3 * v + 1] = s[nb]!;
      g[3 * v + 2] = s[nb + 1]!;
    }
    writeout(acc, ldc, rows, cols, alpha, beta, current, ids, g);
  };

  return (data) => {
    current = data;
    const a = data[k.a.buffer]!;
    const b = data[k.b.buffer]!;
    counter.fill(0);
    let aOff = k.a.offset;
    let bOff = k.b.offset;
    for (let v = 0; v < outViews.length; v++) base[v] = outViews[v]!.offset;
    for (let t = 0; t < batchCount; t++) {
      gemm(m, n, k.k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, flush);
      // Odometer over the batch dims: advance the last dim, carrying into earlier ones.
      for (let d = nb - 1; d >= 0; d--) {
        const back = ++counter[d]! < batch[d]! ? 1 : 1 - batch[d]!;
        if (back !== 1) counter[d] = 0;
        aOff += back * sa[d]!;
        bOff += back * sb[d]!;
        for (let v = 0; v < outViews.length; v++) base[v]! += back * outStrides[v]![d]!;
        if (back === 1) break;
      }
    }
    current = NO_DATA;
  };
}
