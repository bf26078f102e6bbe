import { describe, expect, it } from 'vitest';
import { sx, type BufferSpec, type DType, type MatmulKernel, type TypedArray, type View } from '@symgrad/core';
import { compileMatmul } from './matmul.js';
import { KC, MC, MCC, NC } from './gemm.js';
import { bufferTable } from './kernel-step.js';
import { relError, Rng } from '../testing-fixtures/random.js';
import { contiguous, forEachIndex, offsetOf, typed } from '../testing-fixtures/strided.js';

const SIZES = [1, 2, 3, 4, 5, 7, 13, 17, 37, 63, 65];

interface Case { kernel: MatmulKernel; buffers: BufferSpec[]; data: TypedArray[] }

/** A view of shape [...batchShape, r, c] with a random row stride, column stride and offset. */
function matrixView(rng: Rng, buffer: number, batchShape: number[], r: number, c: number): { view: View; size: number } {
  const colStride = rng.bool(0.8) ? 1 : rng.int(2, 3);
  const rowStride = c * colStride + (rng.bool(0.5) ? 0 : rng.int(1, 4));
  const strides = [rowStride, colStride];
  let s = r * rowStride + rng.int(0, 2);
  for (let d = batchShape.length - 1; d >= 0; d--) {
    strides.unshift(batchShape[d] === 1 ? rng.pick([0, s]) : s);
    s *= Math.max(batchShape[d]!, 1);
  }
  const view: View = { buffer, offset: rng.int(0, 3), shape: [...batchShape, r, c], strides };
  const last = view.shape.reduce((o, d, i) => o + (Math.max(d, 1) - 1) * strides[i]!, view.offset);
  return { view, size: last + 1 };
}

function randomCase(rng: Rng, dtype: DType, dims?: [number, number, number]): Case {
  const [m, n, k] = dims ?? [rng.pick(SIZES), rng.pick(SIZES), rng.pick([0, ...SIZES])];
  const batch = dims ? [] : Array.from({ length: rng.int(0, 2) }, () => rng.int(1, 3));
  const transA = rng.bool();
  const transB = rng.bool();
  const buffers: BufferSpec[] = [];
  const data: TypedArray[] = [];
  const add = (view: { view: View; size: number }, fill: () => number): View => {
    buffers.push({ id: buffers.length, dtype, size: view.size, role: 'temp' });
    data.push(typed(dtype, Array.from({ length: view.size }, fill)));
    return view.view;
  };
  // Operands broadcast over some batch dims (size 1) or drop leading batch dims.
  const opBatch = () => batch.map((d) => (rng.bool(0.3) ? 1 : d)).slice(rng.bool(0.2) ? 1 : 0);
  const a = add(matrixView(rng, 0, opBatch(), transA ? k : m, transA ? m : k), () => rng.uniform(-1, 1));
  const b = add(matrixView(rng, 1, opBatch(), transB ? n : k, transB ? k : n), () => rng.uniform(-1, 1));
  const beta = rng.pick([0, 0, 1, -0.5]);
  const out = add(matrixView(rng, 2, batch, m, n), () => (beta === 0 && rng.bool() ? NaN : rng.uniform(-1, 1)));
  let epilogue: MatmulKernel['epilogue'];
  if (rng.bool()) {
    const shape = [...batch, m, n];
    const bias: View = { buffer: 3, offset: 0, shape, strides: [...batch.map(() => 0), 0, 1] };
    add({ view: bias, size: n }, () => rng.uniform(-1, 1));
    const x = sx.input(0, dtype);
    epilogue = { expr: sx.unary(rng.pick(['relu', 'tanh'] as const), sx.binary('add', x, sx.input(1, dtype), dtype)), inputs: [bias] };
  }
  const alpha = rng.pick([1, 0.5, -2]);
  return { kernel: { kind: 'matmul', batch, m, n, k, a, b, transA, transB, alpha, beta, out, ...(epilogue ? { epilogue } : {}), dtype, label: 'mm' }, buffers, data };
}

/** Naive float64 reference of the output buffer (a triple loop per batch, strides applied directly). */
function reference(c: Case): number[] {
  const kr = c.kernel;
  const want = Array.from(c.data[2]!);
  // Offset of [bi..., 0, 0] and the strides of the last two dims, batch dims aligned right.
  const origin = (v: View, bi: readonly number[]) => {
    const nbv = v.shape.length - 2;
    const idx = [...bi.slice(bi.length - nbv).map((x, i) => (v.shape[i] === 1 ? 0 : x)), 0, 0];
    return { off: offsetOf(v, idx), rs: v.strides[nbv]!, cs: v.strides[nbv + 1]! };
  };
  forEachIndex(kr.batch, (bi) => {
    const a = origin(kr.a, bi);
    const b = origin(kr.b, bi);
    const o = origin(kr.out, bi);
    const e = kr.epilogue ? origin(kr.epilogue.inputs[0]!, bi) : undefined;
    const A = c.data[kr.a.buffer]!;
    const B = c.data[kr.b.buffer]!;
    const [aRow, aDepth] = kr.transA ? [a.cs, a.rs] : [a.rs, a.cs];
    const [bDepth, bCol] = kr.transB ? [b.cs, b.rs] : [b.rs, b.cs];
    for (let i = 0; i < kr.m; i++) {
      for (let j = 0; j < kr.n; j++) {
        let s = 0;
        for (let p = 0; p < kr.k; p++) s += A[a.off + i * aRow + p * aDepth]! * B[b.off + p * bDepth + j * bCol]!;
        const at = o.off + i * o.rs + j * o.cs;
        let v = kr.alpha * s + (kr.beta !== 0 ? kr.beta * want[at]! : 0);
        if (kr.epilogue && e) {
          const z = v + c.data[kr.epilogue.inputs[0]!.buffer]![e.off + i * e.rs + j * e.cs]!;
          v = kr.epilogue.expr.op === 'relu' ? Math.max(z, 0) : Math.tanh(z);
        }
        want[at] = v;
      }
    }
  });
  return want;
}

describe('matmul kernels', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const tol = dtype === 'float32' ? 1e-5 : 1e-12;
    it(`random batched/transposed/strided/broadcast products with alpha, beta and epilogues (${dtype}) within ${tol}`, () => {
      const rng = new Rng(dtype === 'float32' ? 5 : 6);
      for (let t = 0; t < 150; t++) {
        const c = randomCase(rng, dtype);
        const want = reference(c);
        compileMatmul(c.kernel, bufferTable(c.buffers))(c.data);
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
        compileMatmul(c.kernel, bufferTable(c.buffers))(c.data);
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
    compileMatmul(base(2), bufferTable(buffers))(data);
    expect(Array.from(data[2]!)).toEqual([2, 4, NaN, 8]);
    compileMatmul(base(0), bufferTable(buffers))(data);
    expect(Array.from(data[2]!)).toEqual([0, 0, 0, 0]);
    const empty = { ...base(1), m: 0, a: contiguous(0, [0, 0]), out: contiguous(2, [0, 2]) };
    data[2]!.fill(3);
    compileMatmul(empty, bufferTable(buffers))(data);
    expect(Array.from(data[2]!)).toEqual([3, 3, 3, 3]);
  });

  it('int32 products round as an int32 buffer stores them', () => {
    const buffers: BufferSpec[] = [0, 1, 2].map((id) => ({ id, dtype: 'int32', size: 4, role: 'temp' }));
    const data = [Int32Array.from([1, 2, 3, 4]), Int32Array.from([5, 6, 7, 8]), new Int32Array(4)];
    compileMatmul({
      kind: 'matmul', batch: [], m: 2, n: 2, k: 2, a: contiguous(0, [2, 2]), b: contiguous(1, [2, 2]), transA: false, transB: false,
      alpha: 0.5, beta: 0, out: contiguous(2, [2, 2]), dtype: 'int32', label: 'i',
    }, bufferTable(buffers))(data);
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
  });
});
