import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeCudaWorkspace, runWithFakeCuda } from '../testing-fixtures/fake-cuda.js';

// scatterAdd where nearly every update collides: 1000 updates of 5 elements into a table of
// 3 rows, indices in [-4, 3] (three in four in range, from either end: about 250 updates per
// row), so thousands of threads in 20 blocks atomicAdd into 15 elements. Run by the CUDA
// backend over the fake CUDA userspace (whose atomics are exact read-modify-writes, as the
// device's are) and compared with a float64 loop over the same numbers. The conformance cases
// have a few repeated indices; this is the case the atomics are for.
const { scratch, libDir, reason } = fakeCudaWorkspace('scatter-add-');

const RUNNER = `
import { fn, T } from '@symgrad/core';
import '@symgrad/backend-cuda';
import { relativeError, TestRandom } from '@symgrad/core/testing/reference';
const [rows, width, n] = [3, 5, 1000];
const rng = new TestRandom(2024);
const idx = rng.array([n], 'int32', -4, 3);
const out = [];
for (const dtype of ['float32', 'float64', 'int32']) {
  // Updates in [0, 1) for floats: every sum is of terms of one sign, so its rounding error is
  // bounded relative to the sum itself. int32 updates of up to 2^30 make sums that wrap.
  const [lo, hi] = dtype === 'int32' ? [-(2 ** 30), 2 ** 30] : [0, 1];
  const xv = rng.array([rows, width], dtype, lo, hi), uv = rng.array([n, width], dtype, lo, hi);
  const x = T.tensor(dtype, [rows, width], 'x'), i = T.tensor('int32', [n], 'i'), u = T.tensor(dtype, [n, width], 'u');
  const f = fn([x, i, u], [T.scatterAdd(x, i, u)], { backend: 'cuda' });
  const [got] = await f(xv, idx, uv);
  // The float64 loop (int32: wrapping as the device's integer adds do), and the most updates any row gets.
  const want = Float64Array.from(xv.data);
  const perRow = new Array(rows).fill(0);
  for (let j = 0; j < n; j++) {
    const y = idx.data[j] < 0 ? idx.data[j] + rows : idx.data[j];
    if (y < 0 || y >= rows) continue;
    perRow[y]++;
    for (let c = 0; c < width; c++) {
      const s = want[y * width + c] + uv.data[j * width + c];
      want[y * width + c] = dtype === 'int32' ? s | 0 : s;
    }
  }
  out.push({ dtype, kinds: f.program.kernels.map((k) => k.kind), err: relativeError(got.data, want), exact: got.data.every((v, k) => v === want[k]), maxPerRow: Math.max(...perRow), dropped: n - perRow.reduce((a, b) => a + b, 0) });
  f.dispose();
}
console.log('RESULT ' + JSON.stringify(out));
`;
const runner = join(scratch, 'scatter-add-runner.mjs');
writeFileSync(runner, RUNNER);

interface Row { dtype: string; kinds: string[]; err: number; exact: boolean; maxPerRow: number; dropped: number }

describe.skipIf(!libDir)(`scatterAdd with heavy collisions over the fake CUDA userspace${libDir ? '' : ` (skipped: ${reason})`}`, () => {
  it('1000 updates into 3 rows match a float64 loop: float32 and float64 within the worst-case bound of their sums, int32 exactly (wrapping)', async () => {
    const r = await runWithFakeCuda(libDir!, runner, { FAKE_CUDA_LOG: join(scratch, 'log.txt') }, 300_000);
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, `child exited ${r.code}:\n${r.stderr.slice(-4000)}`).toBeDefined();
    const rows = JSON.parse(line!.slice(7)) as Row[];
    expect(rows.map((row) => row.dtype)).toEqual(['float32', 'float64', 'int32']);
    for (const row of rows) {
      // The copy of x into the output, then one scatterAdd kernel: the atomics did the adding.
      expect(row.kinds, row.dtype).toEqual(['elementwise', 'scatterAdd']);
      // Most updates collide (about 250 per row), and the out-of-range ones (index -4 or 3) are dropped.
      expect(row.maxPerRow).toBeGreaterThan(200);
      expect(row.dropped).toBeGreaterThan(150);
    }
    // A sum of m terms of one sign, added in any order, is within (m - 1)·u of the exact sum
    // relative to it (u the unit roundoff: 2^-24 in float32, 2^-53 in float64); each element
    // adds x and at most maxPerRow updates.
    const [f32, f64, i32] = rows as [Row, Row, Row];
    expect(f32.err).toBeLessThanOrEqual(f32.maxPerRow * 2 ** -24);
    expect(f64.err).toBeLessThanOrEqual(f64.maxPerRow * 2 ** -53);
    expect(i32.exact).toBe(true);
  });
});
