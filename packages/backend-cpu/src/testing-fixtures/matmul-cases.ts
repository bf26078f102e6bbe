import { sx, type BufferSpec, type DType, type MatmulKernel, type TypedArray, type View } from '@symgrad/core';
import type { Rng } from './random.js';
import { forEachIndex, offsetOf, typed } from './strided.js';

/** Random matmul kernels and their float64 reference, for the TypeScript and the native GEMM tests. */

const SIZES = [1, 2, 3, 4, 5, 7, 13, 17, 37, 63, 65];

export interface MatmulCase { kernel: MatmulKernel; buffers: BufferSpec[]; data: TypedArray[] }

/** A view of shape [...batchShape, r, c] with a random row stride, column stride and offset. */
export function matrixView(rng: Rng, buffer: number, batchShape: number[], r: number, c: number): { view: View; size: number } {
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

export function randomMatmulCase(rng: Rng, dtype: DType, dims?: [number, number, number]): MatmulCase {
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
  const x = sx.input(0, dtype);
  const kind = rng.pick(['none', 'none', 'bias', 'relu', 'mask'] as const);
  if (kind === 'bias') {
    const shape = [...batch, m, n];
    const bias: View = { buffer: 3, offset: 0, shape, strides: [...batch.map(() => 0), 0, 1] };
    add({ view: bias, size: n }, () => rng.uniform(-1, 1));
    const sum = sx.binary('add', x, sx.input(1, dtype), dtype);
    const act = rng.pick(['relu', 'tanh', 'none'] as const);
    epilogue = { expr: act === 'none' ? sum : sx.unary(act, sum), inputs: [bias] };
  } else if (kind === 'relu') {
    // relu alone and the backward mask are the epilogues the native GEMM fuses.
    epilogue = { expr: sx.unary('relu', x), inputs: [] };
  } else if (kind === 'mask') {
    const h = add(matrixView(rng, 3, batch.map((d) => (rng.bool(0.3) ? 1 : d)), m, n), () => rng.pick([-1, 0, 0.5, NaN, -0]));
    const cond = sx.binary('gt', sx.input(1, dtype), sx.const(0, dtype), 'bool');
    epilogue = { expr: sx.where(cond, x, sx.const(0, dtype), dtype), inputs: [h] };
  }
  const alpha = rng.pick([1, 0.5, -2]);
  return { kernel: { kind: 'matmul', batch, m, n, k, a, b, transA, transB, alpha, beta, out, ...(epilogue ? { epilogue } : {}), dtype, label: 'mm' }, buffers, data };
}

/** Naive float64 reference of the output buffer (a triple loop per batch, strides applied directly). */
export function matmulReference(c: MatmulCase): number[] {
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
    const e = kr.epilogue?.inputs[0] ? origin(kr.epilogue.inputs[0], bi) : undefined;
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
          const other = c.data[kr.epilogue.inputs[0]!.buffer]![e.off + i * e.rs + j * e.cs]!;
          if (kr.epilogue.expr.op === 'where') v = other > 0 ? v : 0;
          else if (kr.epilogue.expr.op === 'add') v += other;
          else v = kr.epilogue.expr.op === 'relu' ? Math.max(v + other, 0) : Math.tanh(v + other);
        } else if (kr.epilogue) {
          v = v > 0 || Number.isNaN(v) ? v : 0;
        }
        want[at] = v;
      }
    }
  });
  return want;
}

