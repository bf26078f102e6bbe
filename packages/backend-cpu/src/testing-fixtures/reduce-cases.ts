import { evalScalarExpr, roundTo, sx, type BufferSpec, type DType, type ReduceKernel, type ReduceKind, type TypedArray, type View } from '@symgrad/core';
import { randomExprs } from './random-expr.js';
import type { Rng } from './random.js';
import { forEachIndex, offsetOf, randomLayout, typed } from './strided.js';

/** Random reduce kernels over random views, and their expected output (shared by the TypeScript and native tests). */

export const AWKWARD = [1, 2, 3, 5, 7, 13];
export const REDUCE_OPS: readonly ReduceKind[] = ['sum', 'max', 'min', 'argmax'];

export interface ReduceCase { kernel: ReduceKernel; buffers: BufferSpec[]; data: TypedArray[] }

/** The straightforward reference: per kept index, walk the reduced indices in row-major order. */
export function reduceReference(c: ReduceCase): number[] {
  const k = c.kernel;
  const kept = k.shape.map((_, d) => d).filter((d) => !k.axes.includes(d));
  const out = Array.from(c.data[k.output.buffer]!);
  forEachIndex(kept.map((d) => k.shape[d]!), (ki) => {
    let acc = k.op === 'sum' ? 0 : k.op === 'min' ? Infinity : -Infinity;
    let at = 0;
    let seen = false;
    forEachIndex(k.axes.map((d) => k.shape[d]!), (ri) => {
      const idx = new Array<number>(k.shape.length);
      kept.forEach((d, i) => { idx[d] = ki[i]!; });
      k.axes.forEach((d, i) => { idx[d] = ri[i]!; });
      const x = evalScalarExpr(k.prologue, k.inputs.map((v) => c.data[v.buffer]![offsetOf(v, idx)]!));
      if (k.op === 'sum') acc += x;
      else if (k.op === 'min') { if (!seen || (!Number.isNaN(acc) && (x < acc || Number.isNaN(x)))) acc = x; }
      else if (!seen || (!Number.isNaN(acc) && (x > acc || Number.isNaN(x)))) { acc = x; at = ri[0] ?? 0; }
      seen = true;
    });
    const v = k.op === 'argmax' ? at : roundTo(k.prologue.dtype, acc);
    out[offsetOf(k.output, ki)] = roundTo(c.buffers[k.output.buffer]!.dtype, k.epilogue ? evalScalarExpr(k.epilogue, [v]) : v);
  });
  return out;
}

export function randomReduceCase(rng: Rng, dtype: DType, sizes: readonly number[] = AWKWARD, ranks: readonly [number, number] = [0, 4]): ReduceCase {
  const rank = rng.int(ranks[0], ranks[1]);
  const shape = Array.from({ length: rank }, () => rng.pick(sizes));
  const op = rank === 0 ? rng.pick(['sum', 'max', 'min'] as const) : rng.pick(REDUCE_OPS);
  const axes = op === 'argmax' ? [rng.int(0, rank - 1)] : shape.map((_, d) => d).filter(() => rng.bool());
  const buffers: BufferSpec[] = [];
  const data: TypedArray[] = [];
  const inputs: View[] = [];
  const nIn = rng.int(1, 2);
  for (let i = 0; i < nIn; i++) {
    const { view, size } = randomLayout(rng, buffers.length, shape, i > 0);
    buffers.push({ id: buffers.length, dtype, size, role: 'temp' });
    // Some NaNs and ties: max/min/argmax must handle both.
    data.push(typed(dtype, Array.from({ length: size }, () => (rng.bool(0.03) ? NaN : rng.bool(0.2) ? 0.5 : rng.uniform(-3, 3)))));
    inputs.push(view);
  }
  const keptShape = shape.filter((_, d) => !axes.includes(d));
  const outDtype: DType = op === 'argmax' ? 'int32' : dtype;
  const { view: output, size } = randomLayout(rng, buffers.length, keptShape, false);
  buffers.push({ id: buffers.length, dtype: outDtype, size, role: 'temp' });
  data.push(typed(outDtype, new Array(size).fill(9)));
  const x = sx.input(0, dtype);
  const prologue = nIn === 1 && rng.bool() ? x : randomExprs(rng, nIn, rng.int(1, 4), [dtype], { inputDtypes: [dtype, dtype], dtypes: [dtype] })[0]!;
  const epilogue = rng.bool() ? sx.unary(rng.pick(['neg', 'sqrt', 'exp', 'abs'] as const), sx.input(0, op === 'argmax' ? 'int32' : dtype), outDtype) : undefined;
  return { kernel: { kind: 'reduce', op, shape, axes, inputs, prologue, ...(epilogue ? { epilogue } : {}), output, label: op }, buffers, data };
}

