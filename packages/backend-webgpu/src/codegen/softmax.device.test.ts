import { describe, expect } from 'vitest';
import { fn, NDArray, T, type BufferSpec, type Program, type SoftmaxKernel, type View } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing';
import { WebGPUBackend } from '../backend.js';
import { deviceTests, uploadProgramBuffers } from '../testing-fixtures/device.js';
import '../index.js';

// The fused row softmax on the device (SwiftShader in CI) against float64 computed here.
// The backend allows seven workgroups per grid dimension, so 37 rows of 257 or more
// columns (a workgroup each) take the 2-D split, 7 × 6 with five groups idle.
const deviceIt = deviceTests(() => WebGPUBackend.create({ limits: { maxComputeWorkgroupsPerDimension: 7 } }));

const at = (v: View, r: number, c: number): number => v.offset + r * v.strides[0]! + c * v.strides[1]!;

/** Row softmax or log-softmax in float64 of a strided view, with the reference interpreter's NaN and ±∞ rules. */
function reference(x: ArrayLike<number>, v: View, log: boolean): number[][] {
  const [rows, cols] = v.shape as [number, number];
  return Array.from({ length: rows }, (_, r) => {
    const row = Array.from({ length: cols }, (_, c) => x[at(v, r, c)]!);
    const m = row.some(Number.isNaN) ? NaN : row.reduce((a, e) => (e > a ? e : a), -Infinity);
    const s = row.reduce((a, e) => a + Math.exp(e - m), 0);
    return row.map((e) => (log ? e - m - Math.log(s) : Math.exp(e - m) / s));
  });
}

/**
 * Softmax: |error| ≤ 1e-5·|reference| (so an exact 0 stays 0); log-softmax: |error| ≤
 * 1e-5·max(1, |reference|). NaN and ±∞ exactly where the reference has them. Mismatches
 * are collected and asserted once (an expect per element makes the big cases slow).
 */
function expectClose(got: ArrayLike<number>, out: View, want: number[][], log: boolean, what: string): void {
  const bad: string[] = [];
  want.forEach((row, r) => row.forEach((w, c) => {
    const g = got[at(out, r, c)]!;
    const ok = Number.isFinite(w) ? Math.abs(g - w) <= 1e-5 * (log ? Math.max(1, Math.abs(w)) : Math.abs(w)) : Object.is(g, w);
    if (!ok && bad.length < 5) bad.push(`[${r}, ${c}]: ${g} vs ${w}`);
  }));
  expect(bad, what).toEqual([]);
}

const kernel = (input: View, output: View, log: boolean): SoftmaxKernel =>
  ({ kind: 'softmax', input, output, log, dtype: 'float32', label: log ? 'logSoftmax' : 'softmax' });

/** Runs a Program of softmax kernels and checks every output against the float64 reference of its input. */
async function check(b: WebGPUBackend, program: Program, init: Float64Array[], what: string): Promise<void> {
  const bufs = uploadProgramBuffers(b, program, init);
  const exe = b.compile(program, { precision: 'fp32' });
  try {
    exe.run(bufs);
    const got = await Promise.all(bufs.map((x) => b.read(x)));
    // Kernels run in order, so a kernel's input is what earlier kernels left.
    const host = init.map((a) => Float64Array.from(a, Math.fround));
    const written = new Set<string>();
    for (const k of program.kernels as SoftmaxKernel[]) {
      const want = reference(host[k.input.buffer]!, k.input, k.log);
      expectClose(got[k.output.buffer]!, k.output, want, k.log, `${what} ${k.label}`);
      want.forEach((row, r) => row.forEach((w, c) => {
        host[k.output.buffer]![at(k.output, r, c)] = Math.fround(w);
        written.add(`${k.output.buffer}:${at(k.output, r, c)}`);
      }));
    }
    // Elements no view covers keep their initial values.
    const touched = host.flatMap((h, i) => Array.from(h).flatMap((v, j) => (written.has(`${i}:${j}`) || Object.is(got[i]![j], v) ? [] : [`buffer ${i}[${j}]`])));
    expect(touched.slice(0, 5), `${what}: written outside every output`).toEqual([]);
  } finally {
    exe.dispose();
    bufs.forEach((x) => b.free(x));
  }
}

const buffers = (...sizes: number[]): BufferSpec[] => sizes.map((size, id) => ({ id, dtype: 'float32', size, role: 'input' }));

/** Logits uniform in [−20, 20] (every exp(x − max) a normal float32) with −∞, +∞ and NaN planted in some rows. */
function logits(rng: TestRandom, rows: number, cols: number): Float64Array {
  const x = Float64Array.from({ length: rows * cols }, () => Math.fround(rng.uniform(-20, 20)));
  const put = (r: number, c: number, v: number) => { if (r < rows) x[r * cols + (c % cols)] = v; };
  put(1, 3, -Infinity); // one −∞ entry: that element is 0 (log: −∞); all of a 1-column row: NaN
  put(1, 5, -Infinity);
  put(6, 2, Infinity); // +∞: ∞ − ∞ makes the row NaN
  put(9, 4, NaN);
  put(9, 0, Infinity);
  for (let c = 0; c < cols; c++) put(20, c, -Infinity); // no finite entry: NaN
  put(30, 1, -Infinity);
  put(30, 0, NaN);
  return x;
}

describe('fused row softmax', () => {
  deviceIt('softmax and log-softmax, rows 1, 3, 37 × cols 1, 7, 257, 1000, 4099, rows with −∞, +∞ and NaN', async (b) => {
    const rng = new TestRandom(99);
    for (const rows of [1, 3, 37]) {
      for (const cols of [1, 7, 257, 1000, 4099]) {
        const n = rows * cols;
        const view: View = { buffer: 0, offset: 0, shape: [rows, cols], strides: [cols, 1] };
        const program: Program = {
          buffers: buffers(n, n, n),
          kernels: [kernel(view, { ...view, buffer: 1 }, false), kernel(view, { ...view, buffer: 2 }, true)],
        };
        await check(b, program, [logits(rng, rows, cols), new Float64Array(n), new Float64Array(n)], `${rows}×${cols}`);
      }
    }
  });

  deviceIt('transposed, broadcast and in-place inputs, strided outputs (cols 7, 300, 4099)', async (b) => {
    const rng = new TestRandom(7);
    const rows = 5;
    for (const cols of [7, 300, 4099]) {
      const n = rows * cols;
      // Buffer 0 holds xᵀ after 3 padding elements; buffer 1 is x contiguous, rewritten in place.
      const xT: View = { buffer: 0, offset: 3, shape: [rows, cols], strides: [1, rows] };
      const strided = (buffer: number): View => ({ buffer, offset: 2, shape: [rows, cols], strides: [2 * cols + 1, 2] });
      const outSize = 2 + (rows - 1) * (2 * cols + 1) + 2 * (cols - 1) + 1;
      const program: Program = {
        buffers: buffers(n + 3, n, outSize, outSize, n),
        kernels: [
          kernel(xT, strided(2), false),
          kernel(xT, strided(3), true),
          kernel({ buffer: 1, offset: 0, shape: [rows, cols], strides: [0, 1] }, { buffer: 4, offset: 0, shape: [rows, cols], strides: [cols, 1] }, true),
          kernel({ buffer: 1, offset: 0, shape: [rows, cols], strides: [cols, 1] }, { buffer: 1, offset: 0, shape: [rows, cols], strides: [cols, 1] }, false),
        ],
      };
      const x = logits(rng, rows, cols);
      const t = new Float64Array(n + 3).fill(-7);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[3 + c * rows + r] = x[r * cols + c]!;
      const sentinel = () => new Float64Array(outSize).fill(123.5);
      await check(b, program, [t, x.slice(), sentinel(), sentinel(), new Float64Array(n)], `strided ${rows}×${cols}`);
    }
  });

  deviceIt('T.softmax and T.logSoftmax lower to it, over rows holding ±∞ and NaN', async () => {
    const x = T.matrix('x');
    const f = fn([x], [T.softmax(x), T.logSoftmax(x), T.softmax(x.T)], { backend: 'webgpu' });
    const rows = 40, cols = 9;
    const X = new NDArray('float32', [rows, cols], Float32Array.from(logits(new TestRandom(3), rows, cols)));
    const [p, lp, pt] = await f(X);
    // Three fused kernels, no max/sum reductions (core copies xᵀ to a contiguous buffer first).
    const kinds = f.program!.kernels.map((k) => k.kind);
    expect(kinds.filter((k) => k === 'softmax')).toHaveLength(3);
    expect(kinds).not.toContain('reduce');
    const contiguous = (r: number, c: number): View => ({ buffer: 0, offset: 0, shape: [r, c], strides: [c, 1] });
    expectClose(p!.data, contiguous(rows, cols), reference(X.data, contiguous(rows, cols), false), false, 'softmax');
    expectClose(lp!.data, contiguous(rows, cols), reference(X.data, contiguous(rows, cols), true), true, 'log-softmax');
    expectClose(pt!.data, contiguous(cols, rows), reference(X.data, { buffer: 0, offset: 0, shape: [cols, rows], strides: [1, cols] }, false), false, 'softmax of xᵀ');
    f.dispose();
  });
});
