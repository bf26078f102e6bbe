import type { DType, ElementwiseKernel, GatherKernel, MatmulKernel, OneHotKernel, ReduceKernel, ScalarExpr, View } from '@symgrad/core';
import { scalarExprNodes } from '@symgrad/core';
import { floatLiteral as num, renderExprs } from './expr.js';
import { threadBuilder, type KernelLaunch, type KernelSourceBuilder } from './source.js';

/**
 * Pure functions from Program IR kernels to gpu.js kernel launches: one launch per output
 * (gpu.js kernels return one value per thread). No device handles: testable without gpu.js.
 */

export type DTypeOf = (buffer: number) => DType;

/** The input indices an expression reads. */
function usedInputs(e: ScalarExpr): Set<number> {
  const s = new Set<number>();
  for (const n of scalarExprNodes([e])) if (n.op === 'input') s.add(n.index);
  return s;
}

/** outputs[j][i] = exprs[j](inputs…[i]): one launch per output. */
export function elementwiseLaunches(k: ElementwiseKernel, dtypeOf: DTypeOf): KernelLaunch[] {
  return k.outputs.map((out, j) => {
    const expr = k.exprs[j]!;
    const { b, flat } = threadBuilder();
    const idx = b.decompose(flat, k.shape);
    const used = usedInputs(expr);
    const srcs = k.inputs.map((v, i) => (used.has(i) ? b.read(v, idx) : '0.0'));
    const r = renderExprs([expr], srcs, 'e');
    b.lines.push(...r.statements);
    return b.finish(`${k.label} [output ${j}]`, r.results[0]!, out, dtypeOf(out.buffer));
  });
}

/** A loop over the reduced axes per output element, then the epilogue. */
export function reduceLaunch(k: ReduceKernel, dtypeOf: DTypeOf): KernelLaunch {
  const { b, flat } = threadBuilder();
  const axes = new Set(k.axes);
  const keptDims = k.shape.map((_, d) => d).filter((d) => !axes.has(d));
  const redDims = k.shape.map((_, d) => d).filter((d) => axes.has(d));
  const kept = b.decompose(flat, keptDims.map((d) => k.shape[d]!));
  const count = redDims.reduce((a, d) => a * k.shape[d]!, 1);
  const init = k.op === 'sum' ? '0.0' : k.op === 'min' ? num(Infinity) : num(-Infinity);
  const acc = b.let('a', init);
  const best = k.op === 'argmax' ? b.let('q', '0.0') : '';
  b.loop(count, (rf) => {
    const red = b.decompose(rf, redDims.map((d) => k.shape[d]!));
    const full: string[] = [];
    keptDims.forEach((d, i) => (full[d] = kept[i]!));
    redDims.forEach((d, i) => (full[d] = red[i]!));
    const used = usedInputs(k.prologue);
    const r = renderExprs([k.prologue], k.inputs.map((v, i) => (used.has(i) ? b.read(v, full) : '0.0')), `p${rf}_`);
    b.lines.push(...r.statements);
    const v = r.results[0]!;
    switch (k.op) {
      case 'sum': b.lines.push(`${acc} = ${acc} + ${v};`); break;
      // NaN wins and stays (the reference's NaN-propagating max/min).
      case 'max': b.lines.push(`if (${v} > ${acc} || ${v} != ${v}) {`, `  ${acc} = ${v};`, '}'); break;
      case 'min': b.lines.push(`if (${v} < ${acc} || ${v} != ${v}) {`, `  ${acc} = ${v};`, '}'); break;
      // Ties keep the first index; the first NaN is the maximum.
      case 'argmax': b.lines.push(`if (${v} > ${acc} || (${v} != ${v} && ${acc} == ${acc})) {`, `  ${acc} = ${v};`, `  ${best} = ${rf};`, '}'); break;
    }
  });
  let result = k.op === 'argmax' ? best : acc;
  if (k.epilogue) {
    const r = renderExprs([k.epilogue], [result], 'o');
    b.lines.push(...r.statements);
    result = r.results[0]!;
  }
  return b.finish(k.label, result, k.output, dtypeOf(k.output.buffer));
}

/** Batch strides of a stored matrix view, aligned to the kernel's batch dims. */
export function batchStrides(v: View, batchRank: number): number[] {
  const s = v.strides.slice(0, -2);
  return [...Array<number>(Math.max(0, batchRank - s.length)).fill(0), ...s.slice(Math.max(0, s.length - batchRank))];
}

/**
 * The k loop of one output element, unrolled by 4 with four independent accumulators: a GPU
 * thread keeps them in registers and overlaps the four fetch-multiply-adds, and pairwise
 * summing them halves the rounding error's growth with k. Operand positions advance by
 * adding strides (no index multiplication per step). k % 4 tail steps follow straight-line,
 * so any k works. Returns the variable holding the sum.
 */
function unrolledDot(b: KernelSourceBuilder, aBuf: number, ao: string, aK: number, bBuf: number, bo: string, bK: number, k: number): string {
  const ap = b.let('ap', ao);
  const bp = b.let('bp', bo);
  const acc = [0, 1, 2, 3].map(() => b.let('s', '0.0'));
  const step = (j: number, lane: string): string =>
    `${lane} = ${lane} + ${b.readAt(aBuf, j ? `${ap} + ${num(j * aK)}` : ap)} * ${b.readAt(bBuf, j ? `${bp} + ${num(j * bK)}` : bp)};`;
  const blocks = Math.floor(k / 4);
  if (blocks > 0) {
    const n = b.fresh('n');
    b.lines.push(
      `for (let ${n} = 0; ${n} < ${blocks}; ${n}++) {`,
      ...acc.map((lane, j) => `  ${step(j, lane)}`),
      `  ${ap} = ${ap} + ${num(4 * aK)};`,
      `  ${bp} = ${bp} + ${num(4 * bK)};`,
      '}',
    );
  }
  for (let j = 0; j < k % 4; j++) b.lines.push(step(j, acc[j]!));
  return b.let('s', `(${acc[0]} + ${acc[1]}) + (${acc[2]} + ${acc[3]})`);
}

/** Strides of op(A) along m and k and of op(B) along k and n, the transposes applied. */
export function matmulOperandStrides(k: MatmulKernel): { aM: number; aK: number; bK: number; bN: number } {
  const as = k.a.strides, bs = k.b.strides;
  const [aM, aK] = k.transA ? [as[as.length - 1]!, as[as.length - 2]!] : [as[as.length - 2]!, as[as.length - 1]!];
  const [bK, bN] = k.transB ? [bs[bs.length - 1]!, bs[bs.length - 2]!] : [bs[bs.length - 2]!, bs[bs.length - 1]!];
  return { aM, aK, bK, bN };
}

/** alpha·s + beta·out, then the epilogue, at output index `idx`: the variable holding the stored value. */
export function matmulEpilogue(b: KernelSourceBuilder, k: MatmulKernel, idx: readonly string[], s: string): string {
  let v = b.let('v', k.alpha === 1 ? s : `${num(k.alpha)} * ${s}`);
  if (k.beta !== 0) v = b.let('v', `${v} + ${num(k.beta)} * ${b.read(k.out, idx)}`);
  if (k.epilogue) {
    const used = usedInputs(k.epilogue.expr);
    const srcs = [v, ...k.epilogue.inputs.map((e, i) => (used.has(i + 1) ? b.read(e, idx) : '0.0'))];
    const r = renderExprs([k.epilogue.expr], srcs, 'o');
    b.lines.push(...r.statements);
    v = r.results[0]!;
  }
  return v;
}

/** One output element per thread: alpha·op(A)·op(B) + beta·out, then the epilogue. */
export function matmulLaunch(k: MatmulKernel, dtypeOf: DTypeOf): KernelLaunch {
  const { b, flat } = threadBuilder();
  const idx = b.decompose(flat, [...k.batch, k.m, k.n]);
  const bi = idx.slice(0, k.batch.length);
  const [mi, ni] = idx.slice(k.batch.length) as [string, string];
  const { aM, aK, bK, bN } = matmulOperandStrides(k);
  const base = (v: View, strides: number[], inner: string): string =>
    [num(v.offset), ...strides.flatMap((s, d) => (s !== 0 && k.batch[d] !== 1 ? [`${bi[d]} * ${num(s)}`] : [])), inner].join(' + ');
  const ao = b.let('ao', base(k.a, batchStrides(k.a, k.batch.length), `${mi} * ${num(aM)}`));
  const bo = b.let('bo', base(k.b, batchStrides(k.b, k.batch.length), `${ni} * ${num(bN)}`));
  const s = unrolledDot(b, k.a.buffer, ao, aK, k.b.buffer, bo, bK, k.k);
  return b.finish(k.label, matmulEpilogue(b, k, idx, s), k.out, dtypeOf(k.out.buffer));
}

/** output[r] = input[r, indices[r]]; NaN for an index out of range. */
export function gatherLaunch(k: GatherKernel, dtypeOf: DTypeOf): KernelLaunch {
  const { b, flat } = threadBuilder();
  const classes = k.input.shape[1]!;
  const y = b.let('y', b.read(k.indices, [flat]));
  const yc = b.let('y', `Math.min(Math.max(${y}, 0.0), ${num(Math.max(0, classes - 1))})`);
  const v = b.let('v', b.read(k.input, [flat, yc]));
  return b.finish(k.label, `(${y} >= 0.0 && ${y} < ${num(classes)} ? ${v} : ${num(NaN)})`, k.output, dtypeOf(k.output.buffer));
}

/** output[…, c] = indices[…] == c. */
export function oneHotLaunch(k: OneHotKernel, dtypeOf: DTypeOf): KernelLaunch {
  const { b, flat } = threadBuilder();
  const idx = b.decompose(flat, k.output.shape);
  const v = b.let('y', b.read(k.indices, idx.slice(0, -1)));
  return b.finish(k.label, `(${v} == ${idx[idx.length - 1]} ? 1.0 : 0.0)`, k.output, dtypeOf(k.output.buffer));
}
