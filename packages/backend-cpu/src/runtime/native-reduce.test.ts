import { afterAll, describe, expect, it } from 'vitest';
import { sx, type BufferSpec, type ReduceKernel, type ReduceKind, type TypedArray } from '@symgrad/core';
import { nativeCpuStatus } from '../native.js';
import { bufferTable } from './kernel-step.js';
import { compileNativeReduce } from './native-reduce.js';
import { compileReduce } from './reduce.js';
import { randomReduceCase, reduceReference, REDUCE_OPS, type ReduceCase } from '../testing-fixtures/reduce-cases.js';
import { relError, Rng } from '../testing-fixtures/random.js';
import { contiguous, forEachIndex, typed } from '../testing-fixtures/strided.js';

/**
 * The addon's reduce kernels (native/reduce.cc) against the reference and the TypeScript
 * path: random ops, axes, views, prologues and epilogues; empty reductions; NaN and ties;
 * large reductions on 1 and 2 threads.
 */

const status = nativeCpuStatus();
const addon = status.ok ? status.addon : undefined;
const initialThreads = addon?.numThreads();
afterAll(() => { if (addon && initialThreads) addon.setNumThreads(initialThreads); });

function runNative(c: { kernel: ReduceKernel; buffers: BufferSpec[]; data: TypedArray[] }): void {
  const n = compileNativeReduce(c.kernel, bufferTable(c.buffers), addon!);
  if (!('step' in n)) throw new Error(`fell back: ${n.fallback}`);
  n.step(c.data);
}

const close = (got: number, want: number) =>
  Object.is(got, want) || (!Number.isNaN(got) && !Number.isNaN(want) && Math.abs(got - want) <= 1e-6 * Math.max(Math.abs(want), 1e-30));

function expectMatches(c: ReduceCase, want: readonly number[], what: string): void {
  const got = c.data[c.kernel.output.buffer]!;
  for (let i = 0; i < got.length; i++) {
    if (!close(got[i]!, want[i]!)) throw new Error(`${what} (${c.kernel.op} axes [${c.kernel.axes}] of [${c.kernel.shape}]): [${i}] = ${got[i]}, expected ${want[i]}`);
  }
}

describe.skipIf(!addon)('native reduce kernels', () => {
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    it(`sum/max/min/argmax over random axes, views, prologues and epilogues (${dtype}) match the reference and the TypeScript path`, () => {
      const rng = new Rng(dtype.length * 103);
      for (let t = 0; t < 300; t++) {
        const c = randomReduceCase(rng, dtype);
        const want = reduceReference(c);
        const ts: ReduceCase = { ...c, data: c.data.map((d) => d.slice()) };
        compileReduce(ts.kernel, bufferTable(ts.buffers))(ts.data);
        runNative(c);
        expectMatches(c, want, `case ${t} vs reference`);
        expectMatches(c, Array.from(ts.data[c.kernel.output.buffer]!), `case ${t} vs TypeScript`);
      }
    });
  }

  it('reductions across the 512-element block (sizes 1, primes, non-multiples) match the reference', () => {
    const rng = new Rng(105);
    for (const size of [1, 511, 512, 513, 1031]) {
      for (let t = 0; t < 4; t++) {
        const c = randomReduceCase(rng, 'float32', [size, 3], [2, 2]);
        runNative(c);
        expectMatches(c, reduceReference(c), `size ${size}`);
      }
    }
  });

  it('sums within 1e-6 of a float64 reference (float32 accumulates in float64)', () => {
    const rng = new Rng(106);
    const shape = [37, 13, 301];
    const n = 37 * 13 * 301;
    const values = Array.from({ length: n }, () => rng.uniform(-1, 1));
    const data = [typed('float32', values), typed('float32', new Array(13).fill(0))];
    const buffers: BufferSpec[] = [{ id: 0, dtype: 'float32', size: n, role: 'temp' }, { id: 1, dtype: 'float32', size: 13, role: 'temp' }];
    const x = sx.input(0, 'float32');
    runNative({ kernel: { kind: 'reduce', op: 'sum', shape, axes: [0, 2], inputs: [contiguous(0, shape)], prologue: sx.unary('square', x), output: contiguous(1, [13]), label: 's' }, buffers, data });
    const want = new Array<number>(13).fill(0);
    forEachIndex(shape, ([i, j, l]) => { const v = data[0]![(i! * 13 + j!) * 301 + l!]!; want[j!] += v * v; });
    expect(relError(Array.from(data[1]!), want)).toBeLessThanOrEqual(1e-6);
  });

  it('gives bit-identical results on 1 and 2 threads', () => {
    const rng = new Rng(107);
    for (let t = 0; t < 8; t++) {
      const c = randomReduceCase(rng, t % 2 ? 'float64' : 'float32', [97, 211, 5], [3, 3]);
      const two: ReduceCase = { ...c, data: c.data.map((d) => d.slice()) };
      addon!.setNumThreads(1);
      runNative(c);
      addon!.setNumThreads(2);
      runNative(two);
      const a = c.data[c.kernel.output.buffer]!;
      const b = two.data[c.kernel.output.buffer]!;
      for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`case ${t}: [${i}] ${a[i]} vs ${b[i]}`);
    }
  });

  it('reduces long runs in chunks on every thread: the same bits on 1, 2 and 3 threads, the reference values, NaN and first ties kept', () => {
    // Runs of ≥ 2·65536 elements are chunked (native/reduce.cc kChunk), whatever the thread count.
    const R = 3 * 65536 + 17;
    const rng = new Rng(108);
    for (const [rows, op, dtype] of [[1, 'sum', 'float32'], [3, 'sum', 'float64'], [2, 'max', 'float32'], [2, 'min', 'float64'], [3, 'argmax', 'float32']] as const) {
      const n = rows * R;
      const values = Array.from({ length: n }, () => rng.uniform(-1, 1));
      // Row 1 (where present): a NaN in its third chunk; every row: a tie for the maximum across chunks.
      for (let r = 0; r < rows; r++) {
        values[r * R + 70_000] = 5;
        values[r * R + 140_000] = 5;
      }
      if (rows > 1) values[R + 150_000] = NaN;
      const shape = [rows, R];
      const buffers: BufferSpec[] = [{ id: 0, dtype, size: n, role: 'temp' }, { id: 1, dtype: op === 'argmax' ? 'int32' : dtype, size: rows, role: 'temp' }];
      const kernel: ReduceKernel = { kind: 'reduce', op, shape, axes: [1], inputs: [contiguous(0, shape)], prologue: sx.input(0, dtype), output: contiguous(1, [rows]), label: op };
      const outs = [1, 2, 3].map((threads) => {
        addon!.setNumThreads(threads);
        const data = [typed(dtype, values), typed(buffers[1]!.dtype, new Array(rows).fill(0))];
        runNative({ kernel, buffers, data });
        return Array.from(data[1]!);
      });
      addon!.setNumThreads(initialThreads!);
      expect(outs[1], `${op} ${dtype}: 2 threads`).toEqual(outs[0]);
      expect(outs[2], `${op} ${dtype}: 3 threads`).toEqual(outs[0]);
      const stored = Array.from(typed(dtype, values));
      for (let r = 0; r < rows; r++) {
        const row = stored.slice(r * R, (r + 1) * R);
        const hasNaN = row.some((v) => Number.isNaN(v));
        const got = outs[0]![r]!;
        if (op === 'sum') {
          if (hasNaN) expect(got).toBe(NaN);
          else expect(Math.abs(got - row.reduce((a, b) => a + b, 0))).toBeLessThanOrEqual(1e-6 * R);
        }
        if (op === 'max') expect(got).toBe(hasNaN ? NaN : 5);
        if (op === 'min') expect(got).toBe(hasNaN ? NaN : row.reduce((a, b) => Math.min(a, b), Infinity));
        if (op === 'argmax') expect(got).toBe(hasNaN ? 150_000 : 70_000);
      }
    }
  });

  it('reduces over leading axes (a bias gradient) row by row: the same bits as the same values reduced along rows, on 1, 2 and 3 threads', () => {
    const rng = new Rng(109);
    // [R, K] reduced over axis 0 (outputs contiguous, the reduced axis strided) against its transpose reduced over axis 1.
    const cases = [[1, 64, 'sum', 'float32'], [37, 64, 'sum', 'float64'], [1031, 67, 'sum', 'float32'], [5, 515, 'max', 'float32'], [211, 100, 'min', 'float64'], [97, 130, 'argmax', 'float32'], [2 * 65536 + 5, 64, 'sum', 'float32'], [2 * 65536 + 5, 64, 'argmax', 'float64']] as const;
    for (const [R, K, op, dtype] of cases) {
      const values = Array.from({ length: R * K }, () => rng.uniform(-1, 1));
      // In every column a tie for the maximum, and a NaN in column 3.
      for (let k = 0; k < K; k++) values[(R - 1) * K + k] = values[k] = 3;
      values[(R >> 1) * K + 3] = NaN;
      const transposed = Array.from({ length: R * K }, (_, i) => values[(i % R) * K + Math.floor(i / R)]!);
      const outDtype = op === 'argmax' ? 'int32' : dtype;
      const buffers: BufferSpec[] = [{ id: 0, dtype, size: R * K, role: 'temp' }, { id: 1, dtype: outDtype, size: K, role: 'temp' }];
      const run = (layout: 'columns' | 'rows', threads: number) => {
        const kernel: ReduceKernel = layout === 'columns'
          ? { kind: 'reduce', op, shape: [R, K], axes: [0], inputs: [contiguous(0, [R, K])], prologue: sx.binary('mul', sx.input(0, dtype), sx.const(2, dtype), dtype), output: contiguous(1, [K]), label: op }
          : { kind: 'reduce', op, shape: [K, R], axes: [1], inputs: [contiguous(0, [K, R])], prologue: sx.binary('mul', sx.input(0, dtype), sx.const(2, dtype), dtype), output: contiguous(1, [K]), label: op };
        addon!.setNumThreads(threads);
        const data = [typed(dtype, layout === 'columns' ? values : transposed), typed(outDtype, new Array(K).fill(0))];
        runNative({ kernel, buffers, data });
        return Array.from(data[1]!);
      };
      const rows = run('rows', 1);
      for (const threads of [1, 2, 3]) expect(run('columns', threads), `${op} ${dtype} [${R}, ${K}] on ${threads} thread(s)`).toEqual(rows);
      addon!.setNumThreads(initialThreads!);
      if (op === 'argmax') expect(rows.filter((_, k) => k !== 3)).toEqual(new Array(K - 1).fill(0));
      if (op !== 'argmax') expect(rows[3]).toBe(NaN);
    }
  });

  it('empty reductions, NaN propagation and ties as the TypeScript path', () => {
    const buffers: BufferSpec[] = [{ id: 0, dtype: 'float32', size: 0, role: 'temp' }, { id: 1, dtype: 'float32', size: 3, role: 'temp' }, { id: 2, dtype: 'int32', size: 3, role: 'temp' }];
    const got: Record<string, number[]> = {};
    for (const op of REDUCE_OPS) {
      const data = [new Float32Array(0), new Float32Array(3).fill(5), new Int32Array(3).fill(5)];
      const out = op === 'argmax' ? 2 : 1;
      runNative({ kernel: { kind: 'reduce', op, shape: [3, 0], axes: [1], inputs: [contiguous(0, [3, 0])], prologue: sx.input(0, 'float32'), output: contiguous(out, [3]), label: op }, buffers, data });
      got[op] = Array.from(data[out]!);
    }
    expect(got).toEqual({ sum: [0, 0, 0], max: [-Infinity, -Infinity, -Infinity], min: [Infinity, Infinity, Infinity], argmax: [0, 0, 0] });
    const b2: BufferSpec[] = [{ id: 0, dtype: 'float64', size: 12, role: 'temp' }, { id: 1, dtype: 'float64', size: 3, role: 'temp' }, { id: 2, dtype: 'int32', size: 3, role: 'temp' }];
    const data = [Float64Array.from([1, 3, 3, 2, NaN, 5, NaN, 1, -Infinity, -Infinity, -Infinity, -Infinity]), new Float64Array(3), new Int32Array(3)];
    const k = (op: ReduceKind, out: number): ReduceKernel => ({ kind: 'reduce', op, shape: [3, 4], axes: [1], inputs: [contiguous(0, [3, 4])], prologue: sx.input(0, 'float64'), output: contiguous(out, [3]), label: op });
    runNative({ kernel: k('max', 1), buffers: b2, data });
    runNative({ kernel: k('argmax', 2), buffers: b2, data });
    expect(Array.from(data[1]!)).toEqual([3, NaN, -Infinity]);
    expect(Array.from(data[2]!)).toEqual([1, 0, 0]);
  });

  it('rejects bad calls naming the kernel', () => {
    const code = Int32Array.from([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    const geo = Int32Array.from([2, 3, 4, 0, 4, 1, 0, 1, 0]);
    const none = new Float64Array(0);
    expect(() => addon!.reduce(0, 0, code, none, null, none, geo, 1, [new Float32Array(12), new Float32Array(2)])).toThrow('reduce: view 1 reaches element 2 of an array of 2');
    expect(() => addon!.reduce(7 as 0, 0, code, none, null, none, geo, 1, [new Float32Array(12), new Float32Array(3)])).toThrow('reduce: op must be 0 (sum), 1 (max), 2 (min) or 3 (argmax)');
    expect(() => addon!.reduce(0, 0, code, none, null, none, Int32Array.from([2, 3, 4, 0, 4, 1, 0, 1, 1]), 1, [new Float32Array(12), new Float32Array(8)])).toThrow('reduce: the output must not move along reduced dims');
  });
});
