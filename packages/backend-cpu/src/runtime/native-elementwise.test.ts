import { afterAll, describe, expect, it } from 'vitest';
import { sx, type BufferSpec, type DType, type ElementwiseKernel, type TypedArray } from '@symgrad/core';
import { compileElementwise } from '../codegen/elementwise.js';
import { nativeCpuStatus } from '../native.js';
import { bufferTable } from './kernel-step.js';
import { compileNativeElementwise, splitByOutputs } from './native-elementwise.js';
import { ALL_DTYPES } from '../testing-fixtures/random-expr.js';
import { elementwiseReference, randomElementwiseCase, type ElementwiseCase } from '../testing-fixtures/elementwise-cases.js';
import { relError, Rng } from '../testing-fixtures/random.js';
import { contiguous, typed } from '../testing-fixtures/strided.js';

/**
 * The addon's bytecode elementwise kernels (native/elementwise.cc) against core's reference
 * evaluator and the TypeScript path, on random expressions, views and dtypes; large kernels
 * on 1 and 2 threads.
 */

const status = nativeCpuStatus();
const addon = status.ok ? status.addon : undefined;
const initialThreads = addon?.numThreads();
afterAll(() => { if (addon && initialThreads) addon.setNumThreads(initialThreads); });

function runNative(c: ElementwiseCase): void {
  const buffers = bufferTable(c.buffers);
  compileElementwise(c.kernel, buffers);
  const n = compileNativeElementwise(c.kernel, buffers, addon!);
  if (!('step' in n)) throw new Error(`fell back: ${n.fallback}`);
  n.step(c.data);
}

const clone = (c: ElementwiseCase): ElementwiseCase => ({ ...c, data: c.data.map((d) => d.slice()) });

/** Libm and V8 may differ in the last bit of a transcendental; everything else must match exactly. */
function close(got: number, want: number): boolean {
  if (Object.is(got, want)) return true;
  if (Number.isNaN(got) || Number.isNaN(want)) return false;
  return Math.abs(got - want) <= 1e-6 * Math.max(Math.abs(want), 1e-30);
}

describe.skipIf(!addon)('native elementwise kernels', () => {
  it('match the reference evaluator on random kernels, views (strided, transposed, broadcast) and dtypes', () => {
    const rng = new Rng(71);
    let inexact = 0;
    let total = 0;
    for (let t = 0; t < 600; t++) {
      const c = randomElementwiseCase(rng, t % 2 ? ALL_DTYPES : ['float32']);
      const want = elementwiseReference(c);
      const ts = clone(c);
      compileElementwise(ts.kernel, bufferTable(ts.buffers))(ts.data);
      runNative(c);
      c.data.forEach((g, b) => {
        for (let i = 0; i < g.length; i++) {
          total++;
          if (Object.is(g[i], want[b]![i])) continue;
          inexact++;
          if (!close(g[i]!, want[b]![i]!)) throw new Error(`case ${t} shape [${c.kernel.shape}]: buffer ${b}[${i}] is ${g[i]}, expected ${want[b]![i]} (TS path: ${ts.data[b]![i]})`);
        }
      });
    }
    // Only a last-bit difference of libm here and there.
    expect(inexact / total).toBeLessThan(0.01);
  });

  it('sizes across the 512-element block (1, primes, non-multiples) match the TypeScript path', () => {
    const rng = new Rng(72);
    for (const size of [1, 2, 511, 512, 513, 1031, 4099]) {
      const c = randomElementwiseCase(rng, ['float32', 'float64'], [size], [1, 1]);
      const ts = clone(c);
      compileElementwise(ts.kernel, bufferTable(ts.buffers))(ts.data);
      runNative(c);
      c.data.forEach((g, b) => {
        for (let i = 0; i < g.length; i++) {
          if (!close(g[i]!, ts.data[b]![i]!)) throw new Error(`size ${size} shape [${c.kernel.shape}]: buffer ${b}[${i}] is ${g[i]}, TS ${ts.data[b]![i]}`);
        }
      });
    }
  });

  it('float32/float64 arithmetic within 1e-6 of a float64 reference', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const rng = new Rng(73);
      const [m, n] = [129, 257];
      const x = sx.input(0, dtype);
      const y = sx.input(1, dtype);
      const expr = sx.binary('add', sx.unary('sigmoid', sx.binary('mul', x, y, dtype)), sx.binary('div', sx.unary('exp', x), y, dtype), dtype);
      const a = Array.from({ length: m * n }, () => rng.uniform(-2, 2));
      const b = Array.from({ length: n }, () => rng.uniform(0.5, 2));
      const data = [typed(dtype, a), typed(dtype, b), typed(dtype, new Array(m * n).fill(0))];
      const buffers: BufferSpec[] = data.map((d, id) => ({ id, dtype, size: d.length, role: 'temp' }));
      const kernel: ElementwiseKernel = {
        kind: 'elementwise', shape: [m, n], inputs: [contiguous(0, [m, n]), { buffer: 1, offset: 0, shape: [m, n], strides: [0, 1] }],
        outputs: [contiguous(2, [m, n])], exprs: [expr], label: 'f',
      };
      runNative({ kernel, buffers, data });
      const ref = a.map((_, i) => {
        const xv = data[0]![i]!;
        const yv = data[1]![i % n]!;
        return 1 / (1 + Math.exp(-xv * yv)) + Math.exp(xv) / yv;
      });
      expect(relError(Array.from(data[2]!), ref)).toBeLessThanOrEqual(dtype === 'float32' ? 1e-6 : 1e-12);
    }
  });

  it('float32 exp, log, sigmoid, tanh, log1p and expm1 (vectorized, native/vmath.h) handle special values and stay within 1 ulp of libm over a sweep', () => {
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1e-38, 88.72, 88.73, 89, 100, -87.3, -103.9, -104, -200, 1, -1, 0.5, 3.4e38, -3.4e38, -0.999999, 1e-7, -1e-7, 9, 9.1, -9.1, 20];
    const rng = new Rng(75);
    // 1031 elements: the vector loops' tails as well as whole vectors.
    const values = [...special, ...Array.from({ length: 1010 }, (_, i) => (i % 2 ? rng.uniform(-110, 110) : Math.exp(rng.uniform(-80, 80))))];
    const ulp = (v: number): number => {
      const f = new Float32Array([Math.abs(v)]);
      const i = new Int32Array(f.buffer);
      i[0] = i[0]! + 1;
      return Math.abs(f[0]! - Math.abs(v)) || Number.MIN_VALUE;
    };
    const reference: Record<string, (v: number) => number> = {
      exp: Math.exp, log: Math.log, tanh: Math.tanh, log1p: Math.log1p, expm1: Math.expm1,
      sigmoid: (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))),
    };
    for (const op of ['exp', 'log', 'sigmoid', 'tanh', 'log1p', 'expm1'] as const) {
      const x = sx.input(0, 'float32');
      const data = [typed('float32', values), typed('float32', new Array(values.length).fill(0))];
      const buffers: BufferSpec[] = data.map((d, id) => ({ id, dtype: 'float32', size: d.length, role: 'temp' }));
      const kernel: ElementwiseKernel = {
        kind: 'elementwise', shape: [values.length], inputs: [contiguous(0, [values.length])],
        outputs: [contiguous(1, [values.length])], exprs: [sx.unary(op, x)], label: op,
      };
      runNative({ kernel, buffers, data });
      for (let i = 0; i < values.length; i++) {
        const v = data[0]![i]!;
        const want = Math.fround(reference[op]!(v));
        const got = data[1]![i]!;
        if (Object.is(got, want)) continue;
        if (Number.isNaN(want) || !Number.isFinite(want) || Math.abs(got - want) > ulp(want)) throw new Error(`${op}(${v}) is ${got}, expected ${want}`);
      }
    }
  });

  it('gives bit-identical results on 1 and 2 threads (large, strided and broadcast views)', () => {
    const rng = new Rng(74);
    for (let t = 0; t < 6; t++) {
      const c = randomElementwiseCase(rng, t % 2 ? ALL_DTYPES : ['float32'], t < 3 ? [181, 199] : [37, 41, 29], [t < 3 ? 2 : 3, t < 3 ? 2 : 3]);
      const two = clone(c);
      addon!.setNumThreads(1);
      runNative(c);
      addon!.setNumThreads(2);
      runNative(two);
      c.data.forEach((g, b) => {
        for (let i = 0; i < g.length; i++) if (!Object.is(g[i], two.data[b]![i])) throw new Error(`case ${t}: buffer ${b}[${i}] differs: ${g[i]} vs ${two.data[b]![i]}`);
      });
    }
  });

  it('updates in place through a transposed view, and handles rank 0', () => {
    const buffers: BufferSpec[] = [{ id: 0, dtype: 'float32', size: 6, role: 'temp' }, { id: 1, dtype: 'float32', size: 1, role: 'temp' }];
    const data: TypedArray[] = [Float32Array.from([1, 2, 3, 4, 5, 6]), new Float32Array(1)];
    const x = sx.input(0, 'float32');
    const t = { buffer: 0, offset: 0, shape: [3, 2], strides: [1, 3] };
    runNative({ kernel: { kind: 'elementwise', shape: [3, 2], inputs: [t], outputs: [t], exprs: [sx.unary('neg', x)], label: 'n' }, buffers, data });
    expect(Array.from(data[0]!)).toEqual([-1, -2, -3, -4, -5, -6]);
    runNative({ kernel: { kind: 'elementwise', shape: [], inputs: [{ buffer: 0, offset: 4, shape: [], strides: [] }], outputs: [{ buffer: 1, offset: 0, shape: [], strides: [] }], exprs: [sx.unary('square', x)], label: 's' }, buffers, data });
    expect(data[1]![0]).toBe(25);
  });

  it('cuts a kernel of more than 64 views into kernels by outputs (40 copies into a concat, say), with the same results', () => {
    const [rows, cols, pieces] = [3, 7, 40];
    const rng = new Rng(76);
    // A concat's pieces copied out of one buffer and scaled: 40 inputs, 40 outputs.
    const data = [typed('float32', Array.from({ length: pieces * rows * cols }, () => rng.uniform(-1, 1))), new Float32Array(pieces * rows * cols)];
    const buffers: BufferSpec[] = data.map((d, id) => ({ id, dtype: 'float32', size: d.length, role: 'temp' }));
    const piece = (buffer: number, p: number) => ({ buffer, offset: p * cols, shape: [rows, cols], strides: [pieces * cols, 1] });
    const kernel: ElementwiseKernel = {
      kind: 'elementwise', shape: [rows, cols], inputs: Array.from({ length: pieces }, (_, p) => piece(0, pieces - 1 - p)),
      outputs: Array.from({ length: pieces }, (_, p) => ({ buffer: 1, offset: p * rows * cols, shape: [rows, cols], strides: [cols, 1] })),
      exprs: Array.from({ length: pieces }, (_, p) => sx.binary('mul', sx.input(p, 'float32'), sx.const(p + 1, 'float32'), 'float32')), label: 'concat',
    };
    expect(splitByOutputs(kernel, 64)!.map((k) => [k.inputs.length, k.outputs.length])).toEqual([[32, 32], [8, 8]]);
    runNative({ kernel, buffers, data });
    for (let p = 0; p < pieces; p++) {
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const want = Math.fround(data[0]![r * pieces * cols + (pieces - 1 - p) * cols + c]! * (p + 1));
          expect(data[1]![p * rows * cols + r * cols + c]).toBe(want);
        }
      }
    }
  });

  it('does not cut where a later part would read what an earlier part wrote, and says why it falls back', () => {
    const n = 33;
    const buffers = bufferTable(Array.from({ length: 2 * n }, (_, id) => ({ id, dtype: 'float32' as DType, size: 4, role: 'temp' as const })));
    const v = (buffer: number) => contiguous(buffer, [4]);
    // Output k overwrites buffer k in place; output n reads buffer 0, which the first part has written by then.
    const inputs = [...Array.from({ length: n }, (_, b) => v(b)), ...Array.from({ length: n - 1 }, (_, b) => v(n + b))];
    const exprs = [...Array.from({ length: n }, (_, b) => sx.unary('neg', sx.input(b, 'float32'))), ...Array.from({ length: n - 1 }, (_, b) => sx.binary('add', sx.input(n + b, 'float32'), sx.input(0, 'float32'), 'float32'))];
    const kernel: ElementwiseKernel = { kind: 'elementwise', shape: [4], inputs, outputs: [...Array.from({ length: n }, (_, b) => v(b)), ...Array.from({ length: n - 1 }, (_, b) => v(n + b))], exprs, label: 'wide' };
    expect(splitByOutputs(kernel, 64)).toBeUndefined();
    expect(compileNativeElementwise(kernel, buffers, addon!)).toEqual({ fallback: '130 views (the addon takes 64)' });
  });

  it('falls back, saying why, for kernels beyond the addon (rank > 16 after merging dims)', () => {
    const rank = 17;
    const shape = new Array<number>(rank).fill(2);
    // Every other dim padded, so no two dims merge.
    const strides = shape.map((_, d) => 3 ** (rank - 1 - d));
    const size = strides.reduce((s, st) => s + st, 1);
    const buffers = bufferTable([{ id: 0, dtype: 'float64' as DType, size, role: 'temp' }, { id: 1, dtype: 'float64' as DType, size, role: 'temp' }]);
    const v = (buffer: number) => ({ buffer, offset: 0, shape, strides });
    const n = compileNativeElementwise({ kind: 'elementwise', shape, inputs: [v(0)], outputs: [v(1)], exprs: [sx.input(0, 'float64')], label: 'deep' }, buffers, addon!);
    expect(n).toEqual({ fallback: 'rank 17 after merging dims (the addon takes 16)' });
  });
});

describe.skipIf(!addon)('native elementwise argument checks', () => {
  const code = Int32Array.from([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  const geo = Int32Array.from([1, 4, 0, 1, 0, 1]);
  it('rejects views beyond their arrays, malformed bytecode and wrong arrays, naming the kernel', () => {
    expect(() => addon!.elementwise(code, new Float64Array(0), geo, [new Float32Array(4), new Float32Array(3)], 1)).toThrow('elementwise: view 1 reaches element 3 of an array of 3');
    expect(() => addon!.elementwise(Int32Array.from([1, 1, 1, 99, 0, 0, 0, 0, 0, 0]), new Float64Array(0), geo, [new Float32Array(4), new Float32Array(4)], 1)).toThrow('elementwise: bytecode instruction 0 is malformed');
    expect(() => addon!.elementwise(Int32Array.from([1, 1, 1, 0, 0, 0, 5, 0, 0, 0]), new Float64Array(0), geo, [new Float32Array(4), new Float32Array(4)], 1)).toThrow('elementwise: bytecode instruction 0 is malformed');
    expect(() => addon!.elementwise(code, new Float64Array(0), geo, [new Float32Array(4), [] as unknown as TypedArray], 1)).toThrow('elementwise: arrays[1] must be a typed array');
    expect(() => addon!.elementwise(code, new Float64Array(0), Int32Array.from([1, 4, 0, -1, 0, 1]), [new Float32Array(4), new Float32Array(4)], 1)).toThrow('elementwise: view 0 has a negative stride');
  });
});
