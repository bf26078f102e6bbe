import { describe, expect } from 'vitest';
import { fn, NDArray, T, type Program } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing';
import { WebGPUBackend } from '../backend.js';
import { deviceTests, uploadProgramBuffers } from '../testing-fixtures/device.js';
import '../index.js';

// The fused row softmax on the device (SwiftShader in CI) against float64 computed here. The
// backend allows three workgroups per grid dimension, so 5 rows take the 2-D split (one idle).
const deviceIt = deviceTests(() => WebGPUBackend.create({ limits: { maxComputeWorkgroupsPerDimension: 3 } }));

/** Row softmax or log-softmax in float64, with the reference interpreter's NaN and ±∞ rules. */
function reference(x: ArrayLike<number>, rows: number, cols: number, log: boolean): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: cols }, (_, c) => x[r * cols + c]!);
    const m = row.some(Number.isNaN) ? NaN : row.reduce((a, v) => (v > a ? v : a), -Infinity);
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    for (const v of row) out.push(log ? v - m - Math.log(s) : Math.exp(v - m) / s);
  }
  return out;
}

/** Softmax: |error| ≤ 1e-6 + 1e-5·|reference|; log-softmax: ≤ 1e-5·max(1, |reference|); NaN and ±∞ exactly where the reference has them. */
function expectClose(got: ArrayLike<number>, want: readonly number[], log: boolean, what: string): void {
  want.forEach((w, i) => {
    const g = got[i]!;
    if (!Number.isFinite(w)) return void expect(g, `${what}[${i}]`).toBe(w);
    const tol = log ? 1e-5 * Math.max(1, Math.abs(w)) : 1e-6 + 1e-5 * Math.abs(w);
    expect(Math.abs(g - w), `${what}[${i}]: ${g} vs ${w}`).toBeLessThanOrEqual(tol);
  });
}

describe('fused row softmax', () => {
  deviceIt('softmax and log-softmax at awkward sizes (rows 1, 3, 5; cols 1, 7, 257, 4099)', async (b) => {
    const rng = new TestRandom(99);
    for (const rows of [1, 3, 5]) {
      for (const cols of [1, 7, 257, 4099]) {
        const x = Float64Array.from({ length: rows * cols }, () => Math.fround(rng.uniform(-20, 20)));
        for (const log of [false, true]) {
          const program: Program = {
            buffers: [{ id: 0, dtype: 'float32', size: rows * cols, role: 'input' }, { id: 1, dtype: 'float32', size: rows * cols, role: 'output' }],
            kernels: [{ kind: 'softmax', input: { buffer: 0, offset: 0, shape: [rows, cols], strides: [cols, 1] }, output: { buffer: 1, offset: 0, shape: [rows, cols], strides: [cols, 1] }, log, dtype: 'float32', label: 'softmax' }],
          };
          const bufs = uploadProgramBuffers(b, program, [x, new Float64Array(rows * cols)]);
          const exe = b.compile(program, { precision: 'fp32' });
          try {
            exe.run(bufs);
            expectClose(await b.read(bufs[1]!), reference(x, rows, cols, log), log, `${log ? 'log-softmax' : 'softmax'} ${rows}×${cols}`);
          } finally {
            exe.dispose();
            bufs.forEach((v) => b.free(v));
          }
        }
      }
    }
  });

  deviceIt('T.softmax and T.logSoftmax lower to it, over rows holding ±∞ and NaN', async () => {
    const x = T.matrix('x');
    const f = fn([x], [T.softmax(x), T.logSoftmax(x)], { backend: 'webgpu' });
    const rows = 4, cols = 9;
    const X = new NDArray('float32', [rows, cols], Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i) * 3));
    X.data[1 * cols + 2] = -Infinity; // a row with one −∞: that element is 0 (log: −∞)
    X.data[2 * cols + 4] = Infinity; // +∞: the row is NaN (∞ − ∞)
    X.data[3 * cols + 1] = NaN;
    const [p, lp] = await f(X);
    expect(f.program!.kernels.map((k) => k.kind)).toEqual(['softmax', 'softmax']);
    expectClose(p!.data, reference(X.data, rows, cols, false), false, 'softmax');
    expectClose(lp!.data, reference(X.data, rows, cols, true), true, 'log-softmax');
    f.dispose();
  });
});
