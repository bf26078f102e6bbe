import { afterAll, describe, expect, it } from 'vitest';
import type { DType, SoftmaxCrossEntropyKernel, SoftmaxKernel, TypedArray, View } from '@symgrad/core';
import { nativeCpuStatus } from '../native.js';
import type { KernelStep } from './kernel-step.js';
import type { NativeCompiled } from './native-elementwise.js';
import { compileNativeGather, compileNativeOneHot, compileNativeScatterAdd, compileNativeSoftmax, compileNativeSoftmaxCrossEntropy, compileNativeTake } from './native-specials.js';
import { compileScatterAdd, compileTake } from './indexing.js';
import { compileGather, compileOneHot, compileSoftmax, compileSoftmaxCrossEntropy } from './specials.js';
import { relError, Rng } from '../testing-fixtures/random.js';
import { offsetOf, TestBuffers } from '../testing-fixtures/strided.js';

/**
 * The addon's specials (native/specials.cc) against the TypeScript path and, for the loss,
 * a float64 reference; strided views, bad labels, sizes 1 and primes; 1 vs 2 threads.
 */

const status = nativeCpuStatus();
const addon = status.ok ? status.addon : undefined;
const initialThreads = addon?.numThreads();
afterAll(() => { if (addon && initialThreads) addon.setNumThreads(initialThreads); });

const SIZES = [1, 2, 7, 13, 37];


const step = (n: NativeCompiled): KernelStep => {
  if (!('step' in n)) throw new Error(`fell back: ${n.fallback}`);
  return n.step;
};

const close = (got: number, want: number, tol: number) =>
  Object.is(got, want) || (!Number.isNaN(got) && !Number.isNaN(want) && Math.abs(got - want) <= tol * Math.max(Math.abs(want), 1));

function expectClose(got: TypedArray[], want: TypedArray[], tol: number, what: string): void {
  got.forEach((g, b) => {
    for (let i = 0; i < g.length; i++) if (!close(g[i]!, want[b]![i]!, tol)) throw new Error(`${what}: buffer ${b}[${i}] = ${g[i]}, TypeScript ${want[b]![i]}`);
  });
}

function sceCase(rng: Rng, dtype: 'float32' | 'float64', rows: number, classes: number, withGrad: boolean) {
  const b = new TestBuffers();
  const big = rng.bool(0.3) ? 1000 : 20;
  const logits = b.layout(rng, dtype, [rows, classes], () => rng.uniform(-big, big));
  const labels = b.layout(rng, 'int32', [rows], () => (rng.bool(0.1) ? rng.pick([-1, classes]) : rng.int(0, classes - 1)));
  const loss = b.layout(rng, dtype, [rows], () => 0);
  const grad = withGrad ? { output: b.layout(rng, dtype, [rows, classes], () => 0), scale: b.layout(rng, dtype, [rows], () => rng.uniform(0.1, 1), true) } : undefined;
  const k: SoftmaxCrossEntropyKernel = { kind: 'softmaxCrossEntropy', logits, labels, loss, ...(grad ? { grad } : {}), dtype, label: 'sce' };
  return { b, k };
}

describe.skipIf(!addon)('native specials', () => {
  it('softmaxCrossEntropy (loss, and loss + gradient) matches the TypeScript path and a float64 reference', () => {
    const rng = new Rng(81);
    for (let t = 0; t < 80; t++) {
      const dtype = t % 2 ? 'float64' : 'float32';
      const { b, k } = sceCase(rng, dtype, rng.pick(SIZES), rng.pick(SIZES), rng.bool(0.7));
      const ts = b.copy();
      compileSoftmaxCrossEntropy(k, b.table())(ts);
      step(compileNativeSoftmaxCrossEntropy(k, addon!))(b.data);
      expectClose(b.data, ts, dtype === 'float32' ? 1e-6 : 1e-13, `case ${t}`);
      // The float64 reference, on the max-shifted logits.
      const [rows, classes] = k.logits.shape as [number, number];
      const read = (v: View, idx: number[]) => b.data[v.buffer]![offsetOf(v, idx)]!;
      const want: number[] = [];
      const got: number[] = [];
      for (let r = 0; r < rows; r++) {
        const z = Array.from({ length: classes }, (_, c) => read(k.logits, [r, c]));
        const m = Math.max(...z);
        const s = z.reduce((a, v) => a + Math.exp(v - m), 0);
        const y = read(k.labels, [r]);
        want.push(y >= 0 && y < classes ? Math.log(s) + m - z[y]! : NaN);
        got.push(read(k.loss, [r]));
      }
      expect(relError(got, want), `case ${t}`).toBeLessThanOrEqual(dtype === 'float32' ? 1e-5 : 1e-12);
    }
  });

  it('softmaxCrossEntropy gives bit-identical results on 1 and 2 threads', () => {
    const rng = new Rng(82);
    const { b, k } = sceCase(rng, 'float32', 4099, 13, true);
    const two = b.copy();
    addon!.setNumThreads(1);
    step(compileNativeSoftmaxCrossEntropy(k, addon!))(b.data);
    addon!.setNumThreads(2);
    step(compileNativeSoftmaxCrossEntropy(k, addon!))(two);
    b.data.forEach((d, i) => expect(Array.from(d)).toEqual(Array.from(two[i]!)));
  });

  it('row softmax and log-softmax match the TypeScript path and a float64 reference, on strided views and special values', () => {
    const rng = new Rng(84);
    for (let t = 0; t < 80; t++) {
      const dtype = t % 2 ? 'float64' : 'float32';
      const [rows, cols] = [rng.pick(SIZES), rng.pick([...SIZES, 1031])];
      const b = new TestBuffers();
      const special = [NaN, Infinity, -Infinity];
      const input = b.layout(rng, dtype, [rows, cols], () => (rng.bool(0.01) ? rng.pick(special) : rng.uniform(-40, 40)));
      const output = b.layout(rng, dtype, [rows, cols], () => 7);
      const k: SoftmaxKernel = { kind: 'softmax', input, output, log: rng.bool(0.5), dtype, label: 'sm' };
      const ts = b.copy();
      compileSoftmax(k, b.table())(ts);
      step(compileNativeSoftmax(k, addon!))(b.data);
      expectClose(b.data, ts, dtype === 'float32' ? 1e-6 : 1e-13, `case ${t}`);
      const read = (d: TypedArray, v: View, idx: number[]) => d[offsetOf(v, idx)]!;
      for (let r = 0; r < rows; r++) {
        const x = Array.from({ length: cols }, (_, c) => read(b.data[input.buffer]!, input, [r, c]));
        const m = x.some(Number.isNaN) ? NaN : x.reduce((a, v) => (v > a ? v : a), -Infinity);
        const s = x.reduce((a, v) => a + Math.exp(v - m), 0);
        const want = x.map((v) => (k.log ? v - m - Math.log(s) : Math.exp(v - m) / s));
        const bad = want.findIndex((w, c) => !close(read(b.data[output.buffer]!, output, [r, c]), w, dtype === 'float32' ? 1e-5 : 1e-12));
        expect(bad, `case ${t} row ${r}: column ${bad} differs from the float64 reference`).toBe(-1);
      }
    }
  });

  it('row softmax of many short rows (blocks of rows share one exp call) gives each row the bits it gets alone, and the float64 reference', () => {
    const rng = new Rng(86);
    for (const [rows, cols] of [[1031, 40], [613, 7], [5, 2047], [3, 2049]] as const) {
      const dtype = 'float32';
      const b = new TestBuffers();
      // Masked attention scores: some entries far below exp's range.
      const input = b.layout(rng, dtype, [rows, cols], () => (rng.bool(0.2) ? -1e9 : rng.uniform(-8, 8)));
      const output = b.layout(rng, dtype, [rows, cols], () => 0);
      for (const log of [false, true]) {
        const k: SoftmaxKernel = { kind: 'softmax', input, output, log, dtype, label: 'sm' };
        step(compileNativeSoftmax(k, addon!))(b.data);
        const read = (d: TypedArray, v: View, idx: number[]) => d[offsetOf(v, idx)]!;
        for (const r of [0, 1, rows >> 1, rows - 2, rows - 1].filter((i) => i >= 0)) {
          const x = Array.from({ length: cols }, (_, c) => read(b.data[input.buffer]!, input, [r, c]));
          const one = new Float32Array(cols);
          addon!.softmax(Float32Array.from(x), one, Int32Array.from([1, cols, 0, cols, 1, 0, cols, 1, log ? 1 : 0]));
          const got = Array.from({ length: cols }, (_, c) => read(b.data[output.buffer]!, output, [r, c]));
          expect(got, `${rows}x${cols} row ${r}: differs from the row alone`).toEqual(Array.from(one));
          const m = Math.max(...x);
          const s = x.reduce((a, v) => a + Math.exp(v - m), 0);
          const bad = x.findIndex((v, c) => !close(got[c]!, log ? v - m - Math.log(s) : Math.exp(v - m) / s, 1e-5));
          expect(bad, `${rows}x${cols} row ${r}: column ${bad} differs from the float64 reference`).toBe(-1);
        }
      }
    }
  });

  it('row softmax of contiguous float32 rows (the vmath tier loop) gives the bits of the strided loop, NaN and masked rows included', () => {
    const rng = new Rng(87);
    for (const [rows, cols] of [[1, 1], [7, 1], [3, 2049], [61, 1000], [613, 7], [1031, 40], [2, 8], [5, 9]] as const) {
      const x = Float32Array.from({ length: rows * cols }, () => (rng.bool(0.01) ? rng.pick([NaN, Infinity, -Infinity, -1e9]) : rng.uniform(-30, 30)));
      // The same values every other element: a column stride of 2 takes specials.cc's own loop.
      const spread = new Float32Array(rows * cols * 2);
      x.forEach((v, i) => (spread[2 * i] = v));
      for (const log of [0, 1]) {
        const fast = new Float32Array(rows * cols);
        addon!.softmax(x, fast, Int32Array.from([rows, cols, 0, cols, 1, 0, cols, 1, log]));
        const strided = new Float32Array(rows * cols * 2);
        addon!.softmax(spread, strided, Int32Array.from([rows, cols, 0, 2 * cols, 2, 0, 2 * cols, 2, log]));
        const bad = Array.from(fast).findIndex((v, i) => !Object.is(v, strided[2 * i]));
        expect(bad, `${rows}x${cols} log ${log}: element ${bad} is ${fast[bad]} contiguous, ${strided[2 * bad]} strided`).toBe(-1);
      }
    }
  });

  it('row softmax gives bit-identical results on 1 and 2 threads, and rejects bad arguments', () => {
    const rng = new Rng(85);
    for (const [rows, cols] of [[257, 1000], [1031, 40]] as const) {
      const b = new TestBuffers();
      const input = b.layout(rng, 'float32', [rows, cols], () => rng.uniform(-5, 5));
      const output = b.layout(rng, 'float32', [rows, cols], () => 0);
      const k: SoftmaxKernel = { kind: 'softmax', input, output, log: false, dtype: 'float32', label: 'sm' };
      const two = b.copy();
      addon!.setNumThreads(1);
      step(compileNativeSoftmax(k, addon!))(b.data);
      addon!.setNumThreads(2);
      step(compileNativeSoftmax(k, addon!))(two);
      b.data.forEach((d, i) => expect(Array.from(d)).toEqual(Array.from(two[i]!)));
    }
    const f = (n: number) => new Float32Array(n);
    expect(() => addon!.softmax(f(5), f(6), Int32Array.from([2, 3, 0, 3, 1, 0, 3, 1, 0]))).toThrow('softmax: input reaches element 5 of an array of 5');
    expect(() => addon!.softmax(f(6), new Int32Array(6), Int32Array.from([2, 3, 0, 3, 1, 0, 3, 1, 0]))).toThrow('softmax: input and output must be float32 or float64 arrays');
    expect(() => addon!.softmax(f(6), f(6), Int32Array.from([2, 3]))).toThrow('softmax: geometry must hold 9 numbers, rows and cols first');
  });

  it('gather and oneHot match the TypeScript path on strided views and out-of-range indices', () => {
    const rng = new Rng(83);
    for (let t = 0; t < 60; t++) {
      const [rows, classes] = [rng.pick(SIZES), rng.pick(SIZES)];
      const dtype = rng.pick(['float32', 'float64', 'int32', 'bool'] as const);
      const b = new TestBuffers();
      const input = b.layout(rng, rng.pick(['float32', 'float64'] as const), [rows, classes], () => rng.uniform(-5, 5));
      const indices = b.layout(rng, 'int32', [rows], () => rng.int(-1, classes));
      const output = b.layout(rng, dtype, [rows], () => 3);
      const g = { kind: 'gather' as const, input, indices, output, label: 'g' };
      const ts = b.copy();
      compileGather(g, b.table())(ts);
      step(compileNativeGather(g, addon!))(b.data);
      expectClose(b.data, ts, 0, `gather case ${t}`);

      const shape = Array.from({ length: rng.int(0, 3) }, () => rng.pick([1, 2, 3, 7]));
      const depth = rng.pick([0, 1, 4, 13]);
      const o = new TestBuffers();
      const idx = o.layout(rng, rng.pick(['int32', 'float32'] as const), shape, () => rng.int(-1, depth));
      const out = o.layout(rng, dtype, [...shape, depth], () => 5);
      const h = { kind: 'oneHot' as const, indices: idx, depth, output: out, dtype, label: 'o' };
      const ots = o.copy();
      compileOneHot(h, o.table())(ots);
      step(compileNativeOneHot(h, addon!))(o.data);
      expectClose(o.data, ots, 0, `oneHot case ${t}`);
    }
  });

  it('take and scatterAdd match the TypeScript path on strided views, with repeated and out-of-range indices', () => {
    const rng = new Rng(84);
    for (let t = 0; t < 60; t++) {
      const [outer, size, inner, n] = [rng.pick(SIZES), rng.pick([1, 2, 7]), rng.pick(SIZES), rng.pick([1, 5, 40])];
      const dtype = rng.pick(['float32', 'float64', 'int32'] as const);
      const b = new TestBuffers();
      const big = b.layout(rng, dtype, [outer, size, inner], () => rng.int(-9, 9));
      const indices = b.layout(rng, 'int32', [n], () => rng.int(-size - 1, size));
      const small = b.layout(rng, dtype, [outer, n, inner], () => (dtype === 'int32' ? rng.int(-9, 9) : rng.uniform(-1, 1)), rng.bool(0.2));
      const fill = dtype === 'int32' ? -(2 ** 31) : rng.pick([NaN, 0]);
      const take = { kind: 'take' as const, input: big, indices, output: small, fill, label: 't' };
      const ts = b.copy();
      compileTake(take, b.table())(ts);
      step(compileNativeTake(take, addon!))(b.data);
      expectClose(b.data, ts, 0, `take case ${t}`);
      const scatter = { kind: 'scatterAdd' as const, updates: small, indices, output: big, label: 's' };
      compileScatterAdd(scatter, b.table())(ts);
      step(compileNativeScatterAdd(scatter, addon!))(b.data);
      expectClose(b.data, ts, 0, `scatterAdd case ${t}`); // the same adds in the same order
    }
  });

  it('rejects views beyond their arrays, naming the kernel', () => {
    const f = (n: number) => new Float32Array(n);
    expect(() => addon!.softmaxCrossEntropy(f(6), new Int32Array(2), f(2), null, null, Int32Array.from([2, 3, 0, 3, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0])))
      .not.toThrow();
    expect(() => addon!.softmaxCrossEntropy(f(5), new Int32Array(2), f(2), null, null, Int32Array.from([2, 3, 0, 3, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0])))
      .toThrow('softmaxCrossEntropy: logits reaches element 5 of an array of 5');
    expect(() => addon!.softmaxCrossEntropy(f(6), new Int32Array(2), f(2), f(6), f(1), Int32Array.from([2, 3, 0, 3, 1, 0, 1, 0, 1, 0, 3, 1, 0, 1])))
      .toThrow('softmaxCrossEntropy: grad scale reaches element 1 of an array of 1');
    expect(() => addon!.gather(f(6), new Int32Array(2), f(1), Int32Array.from([2, 3, 0, 3, 1, 0, 1, 0, 1])))
      .toThrow('gather: output reaches element 1 of an array of 1');
    expect(() => addon!.oneHot(new Int32Array(2), f(5), Int32Array.from([2, 2, 3, 0, 1, 0, 0, 3, 1])))
      .toThrow('oneHot: view 1 reaches element 5 of an array of 5');
    expect(() => addon!.gather(f(6), new Int32Array(2), f(2), Int32Array.from([2, 3]))).toThrow('gather: geometry must hold 9 numbers, rows and classes first');
    // [outer 1, size 3, inner 2, n 2]: input [1, 3, 2] contiguous, indices stride 1, output [1, 2, 2] contiguous.
    const g = Int32Array.from([1, 3, 2, 2, 0, 6, 2, 1, 0, 1, 0, 4, 2, 1]);
    expect(() => addon!.take(f(6), new Int32Array(2), f(4), g, 0)).not.toThrow();
    expect(() => addon!.take(f(5), new Int32Array(2), f(4), g, 0)).toThrow('take: input reaches element 5 of an array of 5');
    expect(() => addon!.take(f(6), new Int32Array(1), f(4), g, 0)).toThrow('take: indices reaches element 1 of an array of 1');
    expect(() => addon!.take(f(6), new Int32Array(2), f(4), g, undefined as never)).toThrow('take: expected 5 arguments, the fill value last');
    expect(() => addon!.scatterAdd(f(3), new Int32Array(2), f(6), g)).toThrow('scatterAdd: updates reaches element 3 of an array of 3');
    expect(() => addon!.scatterAdd(f(4), new Int32Array(2), f(6), Int32Array.from([1, 3]))).toThrow('scatterAdd: geometry must hold 14 numbers, outer, size, inner and n first');
  });
});
