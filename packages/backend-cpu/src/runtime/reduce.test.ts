import { describe, expect, it } from 'vitest';
import { evalScalarExpr, roundTo, sx, type BufferSpec, type DType, type ReduceKernel, type ReduceKind, type TypedArray, type View } from '@symgrad/core';
import { compileReduce } from './reduce.js';
import { bufferTable } from './kernel-step.js';
import { randomExprs } from '../testing-fixtures/random-expr.js';
import { relError, Rng } from '../testing-fixtures/random.js';
import { contiguous, forEachIndex, offsetOf, randomLayout, typed } from '../testing-fixtures/strided.js';

const AWKWARD = [1, 2, 3, 5, 7, 13];
const OPS: readonly ReduceKind[] = ['sum', 'max', 'min', 'argmax'];

interface Case { kernel: ReduceKernel; buffers: BufferSpec[]; data: TypedArray[] }

/** The straightforward reference: per kept index, walk the reduced indices in row-major order. */
function reference(c: Case): number[] {
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

function randomCase(rng: Rng, dtype: DType): Case {
  const rank = rng.int(0, 4);
  const shape = Array.from({ length: rank }, () => rng.pick(AWKWARD));
  const op = rank === 0 ? rng.pick(['sum', 'max', 'min'] as const) : rng.pick(OPS);
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

describe('reduce kernels', () => {
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    it(`sum/max/min/argmax over random axes, views and prologues (${dtype}) match the reference exactly`, () => {
      const rng = new Rng(dtype.length * 101);
      for (let t = 0; t < 300; t++) {
        const c = randomCase(rng, dtype);
        const want = reference(c);
        compileReduce(c.kernel, bufferTable(c.buffers))(c.data);
        const got = Array.from(c.data[c.kernel.output.buffer]!);
        got.forEach((g, i) => {
          if (!Object.is(g, want[i])) throw new Error(`case ${t} (${c.kernel.op} axes [${c.kernel.axes}] of [${c.kernel.shape}]): [${i}] = ${g}, expected ${want[i]}`);
        });
      }
    });
  }

  it('sums of squares within 1e-5 (float32) and 1e-12 (float64) of a float64 reference', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const rng = new Rng(3);
      const shape = [37, 13, 7];
      const n = 37 * 13 * 7;
      const values = Array.from({ length: n }, () => rng.uniform(-1, 1));
      const data = [typed(dtype, values), typed(dtype, new Array(13).fill(0))];
      const buffers: BufferSpec[] = [{ id: 0, dtype, size: n, role: 'temp' }, { id: 1, dtype, size: 13, role: 'temp' }];
      const x = sx.input(0, dtype);
      compileReduce({ kind: 'reduce', op: 'sum', shape, axes: [0, 2], inputs: [contiguous(0, shape)], prologue: sx.unary('square', x), output: contiguous(1, [13]), label: 's' }, bufferTable(buffers))(data);
      const want = new Array<number>(13).fill(0);
      forEachIndex(shape, ([i, j, l]) => { const v = data[0]![(i! * 13 + j!) * 7 + l!]!; want[j!] += v * v; });
      expect(relError(Array.from(data[1]!), want)).toBeLessThanOrEqual(dtype === 'float32' ? 1e-5 : 1e-12);
    }
  });

  it('empty reductions: sum 0, max -Infinity, min +Infinity, argmax 0', () => {
    const buffers: BufferSpec[] = [{ id: 0, dtype: 'float32', size: 0, role: 'temp' }, { id: 1, dtype: 'float32', size: 3, role: 'temp' }, { id: 2, dtype: 'int32', size: 3, role: 'temp' }];
    const got: Record<string, number[]> = {};
    for (const op of OPS) {
      const data = [new Float32Array(0), new Float32Array(3).fill(5), new Int32Array(3).fill(5)];
      const out = op === 'argmax' ? 2 : 1;
      compileReduce({ kind: 'reduce', op, shape: [3, 0], axes: [1], inputs: [contiguous(0, [3, 0])], prologue: sx.input(0, 'float32'), output: contiguous(out, [3]), label: op }, bufferTable(buffers))(data);
      got[op] = Array.from(data[out]!);
    }
    expect(got).toEqual({ sum: [0, 0, 0], max: [-Infinity, -Infinity, -Infinity], min: [Infinity, Infinity, Infinity], argmax: [0, 0, 0] });
  });

  it('max propagates NaN, argmax takes the first maximum and the first NaN', () => {
    const buffers: BufferSpec[] = [{ id: 0, dtype: 'float64', size: 12, role: 'temp' }, { id: 1, dtype: 'float64', size: 3, role: 'temp' }, { id: 2, dtype: 'int32', size: 3, role: 'temp' }];
    const data = [Float64Array.from([1, 3, 3, 2, NaN, 5, NaN, 1, -Infinity, -Infinity, -Infinity, -Infinity]), new Float64Array(3), new Int32Array(3)];
    const x = sx.input(0, 'float64');
    const k = (op: ReduceKind, out: number): ReduceKernel => ({ kind: 'reduce', op, shape: [3, 4], axes: [1], inputs: [contiguous(0, [3, 4])], prologue: x, output: contiguous(out, [3]), label: op });
    compileReduce(k('max', 1), bufferTable(buffers))(data);
    compileReduce(k('argmax', 2), bufferTable(buffers))(data);
    expect(Array.from(data[1]!)).toEqual([3, NaN, -Infinity]);
    expect(Array.from(data[2]!)).toEqual([1, 0, 0]);
  });
});

describe('reduce kernel errors', () => {
  const buffers = bufferTable([{ id: 0, dtype: 'float32', size: 12, role: 'temp' }, { id: 1, dtype: 'float32', size: 4, role: 'temp' }]);
  const x = sx.input(0, 'float32');
  const kernel = (over: Partial<ReduceKernel>): ReduceKernel => ({
    kind: 'reduce', op: 'sum', shape: [3, 4], axes: [0], inputs: [contiguous(0, [3, 4])], prologue: x, output: contiguous(1, [4]), label: 'r', ...over,
  });
  it('rejects bad axes, ops, shapes and epilogues', () => {
    expect(() => compileReduce(kernel({ axes: [2] }), buffers)).toThrow('axis 2 is out of range for rank 2');
    expect(() => compileReduce(kernel({ axes: [0, 0] }), buffers)).toThrow('axis 0 is repeated');
    expect(() => compileReduce(kernel({ op: 'argmax', axes: [0, 1], output: contiguous(1, []) }), buffers)).toThrow('argmax reduces exactly one axis, got 2');
    expect(() => compileReduce(kernel({ op: 'prod' as ReduceKind }), buffers)).toThrow("unknown reduce op 'prod'");
    expect(() => compileReduce(kernel({ output: contiguous(1, [3]) }), buffers)).toThrow('output has shape [3], expected [4]');
    expect(() => compileReduce(kernel({ epilogue: sx.input(1, 'float32') }), buffers)).toThrow('render-js: input(1) is out of range: the expression has 1 input');
  });
});
