/**
 * Test-only: Programs of `softmax` kernels (codegen/softmax.ts) and a float64 reference
 * computed here, independent of core's interpreter. Shared by softmax.test.ts (Node, both
 * runtimes) and the browser bundle (WebGL2 textures), so the special-value rules are
 * checked on a real shader too.
 */
import type { Backend, BufferSpec, Kernel, Program, View } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing/reference';
import { runProgramOnce } from './program-run.js';

export interface SoftmaxCase {
  readonly name: string;
  readonly program: Program;
  /** Each buffer's initial values. */
  readonly init: readonly Float32Array[];
}

export interface SoftmaxCaseResult {
  readonly name: string;
  /** Worst |got − ref| / |ref| over softmax outputs with a finite, nonzero reference. */
  readonly softmaxError: number;
  /** Worst |got − ref| / max(1, |ref|) over log-softmax outputs with a finite reference. */
  readonly logError: number;
  /** The first few elements out of tolerance, special values that differ, and changed elements outside the outputs. */
  readonly failures: string[];
}

/** Per-element bounds the tests hold (float32 results against the float64 reference). */
export const SOFTMAX_TOL = 1e-5;
export const LOG_SOFTMAX_TOL = 1e-5;

const contiguous = (buffer: number, shape: [number, number], offset = 0): View => ({ buffer, offset, shape, strides: [shape[1], 1] });

/**
 * Row-major [rows, cols] logits in [−20, 20], with special rows where there are enough:
 * row 1 a −∞ element (all of the row when cols = 1), row 2 a +∞, row 3 a NaN, row 4 all
 * −∞, row 5 both infinities, row 6 shifted by 10⁴ (the max subtraction must stay exact),
 * row 7 all equal.
 */
export function logits(rng: TestRandom, rows: number, cols: number): Float32Array {
  const x = Float32Array.from({ length: rows * cols }, () => rng.uniform(-20, 20));
  const row = (r: number) => x.subarray(r * cols, (r + 1) * cols);
  if (rows > 1) row(1)[0] = -Infinity;
  if (rows > 2) row(2)[cols - 1] = Infinity;
  if (rows > 3) row(3)[cols >> 1] = NaN;
  if (rows > 4) row(4).fill(-Infinity);
  if (rows > 5) (row(5)[0] = -Infinity, row(5)[cols - 1] = Infinity);
  if (rows > 6) row(6).forEach((v, c, a) => (a[c] = v + 1e4));
  if (rows > 7) row(7).fill(3.5);
  return x;
}

class CaseBuilder {
  readonly buffers: BufferSpec[] = [];
  readonly init: Float32Array[] = [];
  buf(data: Float32Array): number {
    this.buffers.push({ id: this.buffers.length, dtype: 'float32', size: data.length, role: 'temp' });
    this.init.push(data);
    return this.buffers.length - 1;
  }
  /** A buffer of `size` sentinels (what outputs must leave alone outside their views). */
  out(size: number): number {
    return this.buf(new Float32Array(size).fill(123.5));
  }
  done(name: string, kernels: Kernel[]): SoftmaxCase {
    return { name, program: { buffers: this.buffers, kernels }, init: this.init };
  }
}

const sm = (input: View, output: View, log: boolean, label = log ? 'logSoftmax' : 'softmax'): Kernel => ({ kind: 'softmax', input, output, log, dtype: 'float32', label });

/** The grid rows × cols (softmax and log-softmax of one input each), long rows, and views: transposed, broadcast, strided output, in place. */
export function softmaxCases(grid: { rows: readonly number[]; cols: readonly number[] } = { rows: [1, 3, 37], cols: [1, 7, 257] }): SoftmaxCase[] {
  const rng = new TestRandom(2024);
  const cases: SoftmaxCase[] = [];
  const pair = (name: string, rows: number, cols: number, tweak = (_: Float32Array) => {}) => {
    const b = new CaseBuilder();
    const v = logits(rng, rows, cols);
    tweak(v);
    const x = b.buf(Float32Array.from([7, -7, 7, ...v]));
    const input = contiguous(x, [rows, cols], 3);
    cases.push(b.done(name, [sm(input, contiguous(b.out(rows * cols), [rows, cols]), false), sm(input, contiguous(b.out(rows * cols), [rows, cols]), true)]));
  };
  for (const rows of grid.rows) for (const cols of grid.cols) pair(`${rows}×${cols}`, rows, cols);
  // Row 2 ascending: the online sum rescales at every element (the worst case for its rounding).
  pair('long rows 3×1000, one ascending', 3, 1000, (v) => v.subarray(2000).set(Float32Array.from({ length: 1000 }, (_, c) => -20 + 0.04 * c)));
  {
    // xᵀ stored column-major at offset 1: input strides [1, rows]; the output is transposed too, into a larger buffer.
    const [rows, cols] = [37, 7];
    const v = logits(rng, rows, cols);
    const t = new Float32Array(rows * cols + 1).fill(-5);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[1 + c * rows + r] = v[r * cols + c]!;
    const b = new CaseBuilder();
    const x = b.buf(t);
    const input: View = { buffer: x, offset: 1, shape: [rows, cols], strides: [1, rows] };
    cases.push(b.done('transposed input 37×7, strided output', [
      sm(input, contiguous(b.out(rows * cols), [rows, cols]), false),
      sm(input, { buffer: b.out(rows * cols + 5), offset: 2, shape: [rows, cols], strides: [1, rows] }, true),
    ]));
  }
  {
    // One row read by every row (stride 0), as a broadcast view gives it.
    const b = new CaseBuilder();
    const x = b.buf(logits(rng, 1, 9));
    const input: View = { buffer: x, offset: 0, shape: [5, 9], strides: [0, 1] };
    cases.push(b.done('broadcast input 5×9', [sm(input, contiguous(b.out(45), [5, 9]), false), sm(input, contiguous(b.out(45), [5, 9]), true)]));
  }
  {
    // Output view = input view: contiguous at an offset (softmax), transposed (log-softmax).
    const b = new CaseBuilder();
    const a = b.buf(Float32Array.from([1, 2, 3, 4, ...logits(rng, 37, 257)]));
    const t = b.buf(Float32Array.from([9, ...logits(rng, 7, 37)]));
    const av = contiguous(a, [37, 257], 4);
    const tv: View = { buffer: t, offset: 1, shape: [37, 7], strides: [1, 37] };
    cases.push(b.done('in place 37×257 and transposed 37×7', [sm(av, av, false), sm(tv, tv, true)]));
  }
  return cases;
}

/** Flat positions of a view's elements, row-major over its shape. */
function positions(v: View): number[] {
  const [rows, cols] = v.shape as [number, number];
  const out: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out.push(v.offset + r * v.strides[0]! + c * v.strides[1]!);
  return out;
}

/**
 * Core's softmax semantics in float64: max NaN when any element is NaN, a row whose max is
 * ±∞ or NaN is NaN throughout (∞ − ∞ in the sum), −∞ elements give 0 / −∞. Kernels run in
 * order; each reads its whole input before writing (in place allowed). Returns the expected
 * buffers and, per buffer, which positions hold softmax or log-softmax results.
 */
export function softmaxReference(c: SoftmaxCase): { want: Float64Array[]; kind: Map<number, 'softmax' | 'log'>[] } {
  const want = c.init.map((d) => Float64Array.from(d));
  const kind = c.init.map(() => new Map<number, 'softmax' | 'log'>());
  for (const k of c.program.kernels) {
    if (k.kind !== 'softmax') throw new Error(`softmaxReference: kernel '${k.label}' is ${k.kind}`);
    const cols = k.input.shape[1]!;
    const xs = positions(k.input).map((p) => want[k.input.buffer]![p]!);
    const outPos = positions(k.output);
    for (let r = 0; r * cols < xs.length; r++) {
      const x = xs.slice(r * cols, (r + 1) * cols);
      const m = x.some(Number.isNaN) ? NaN : x.reduce((a, v) => Math.max(a, v), -Infinity);
      const s = x.reduce((a, v) => a + Math.exp(v - m), 0);
      x.forEach((v, j) => {
        const p = outPos[r * cols + j]!;
        want[k.output.buffer]![p] = Number.isFinite(m) ? (k.log ? v - m - Math.log(s) : Math.exp(v - m) / s) : NaN;
        kind[k.output.buffer]!.set(p, k.log ? 'log' : 'softmax');
      });
    }
  }
  return { want, kind };
}

/** Runs a case on a backend and compares every buffer with the reference, element by element. */
export async function runSoftmaxCase(backend: Backend, c: SoftmaxCase): Promise<SoftmaxCaseResult> {
  const { want, kind } = softmaxReference(c);
  const results = await runProgramOnce(backend, c.program, c.init);
  let softmaxError = 0, logError = 0;
  const failures: string[] = [];
  for (let i = 0; i < results.length; i++) {
    const got = results[i]!;
    want[i]!.forEach((w, p) => {
      const g = got[p]!;
      const what = kind[i]!.get(p);
      const fail = (why: string) => failures.length < 8 && failures.push(`${c.name}: buffer ${i}[${p}] (${what ?? 'untouched'}): got ${g}, want ${w}${why}`);
      if (!what || !Number.isFinite(w) || w === 0) {
        if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w)) && !(g === 0 && w === 0)) fail(' exactly');
        return;
      }
      const err = Math.abs(g - w) / (what === 'softmax' ? Math.abs(w) : Math.max(1, Math.abs(w)));
      if (what === 'softmax') softmaxError = Math.max(softmaxError, err);
      else logError = Math.max(logError, err);
      if (!(err <= (what === 'softmax' ? SOFTMAX_TOL : LOG_SOFTMAX_TOL))) fail(` (error ${err.toExponential(2)})`);
    });
  }
  return { name: c.name, softmaxError, logError, failures };
}
