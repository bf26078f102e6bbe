import { describe, expect, it } from 'vitest';
import { sx, type BufferSpec, type ReduceKernel, type ReduceKind } from '@symgrad/core';
import { compileReduce } from './reduce.js';
import { bufferTable } from './kernel-step.js';
import { relError, Rng } from '../testing-fixtures/random.js';
import { contiguous, forEachIndex, typed } from '../testing-fixtures/strided.js';
import { REDUCE_OPS as OPS, randomReduceCase as randomCase, reduceReference as reference } from '../testing-fixtures/reduce-cases.js';

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
