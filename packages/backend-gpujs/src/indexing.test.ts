import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, type Kernel, type ScatterAddKernel, type TakeKernel } from '@symgrad/core';
import { generateKernel, isHostLaunch } from './codegen/generate.js';
import type { KernelLaunch } from './codegen/source.js';
import { runProgramOnce } from './testing-fixtures/program-run.js';
import { textureBackendForTests } from './testing-fixtures/texture-backend.js';
import { indexingCases, indexingReference, INDEXING_TOL, runIndexingCase, type IndexingCase, type IndexingCaseResult } from './testing-fixtures/indexing-cases.js';
import './index.js';

// `take` and `scatterAdd` (codegen/indexing.ts) against a float64 loop written in
// testing-fixtures/indexing-cases.ts: scatterAdd elements within INDEXING_TOL (1e-5) ·
// (|old| + Σ|updates added|) and 1e-5 normwise per buffer; takes, int32, NaN, ±∞ and
// everything outside the outputs exact. Repeated indices: 200 slices into 3 rows, 1500 into
// one (past gpu.js's default 1000-iteration loop cap).
const CASES = indexingCases();
const worst: Record<string, number> = {};

function expectClean(r: IndexingCaseResult, mode: string): void {
  expect(r.failures, r.name).toEqual([]);
  expect(r.error).toBeLessThanOrEqual(INDEXING_TOL);
  worst[mode] = Math.max(worst[mode] ?? 0, r.error);
}

afterAll(() => {
  for (const [mode, e] of Object.entries(worst)) console.log(`gpujs take/scatterAdd, ${mode}: worst normwise relative error ${e.toExponential(2)}`);
});

describe('take and scatterAdd, host-array mode (gpu.js webasm/cpu)', () => {
  it.each(CASES.map((c): [string, IndexingCase] => [c.name, c]))('%s', async (_, c) => {
    expectClean(await runIndexingCase(await getBackend('gpujs'), c), 'host arrays');
  });

  it('adds repeated indices in the same order every run (bit-identical results)', async () => {
    const b = await getBackend('gpujs');
    const c = CASES[0]!;
    const runOnce = async (): Promise<Float32Array> => Float32Array.from((await runProgramOnce(b, c.program, c.init))[0]!);
    const first = await runOnce();
    expect(Array.from(await runOnce())).toEqual(Array.from(first));
  });
});

describe('take and scatterAdd, texture mode (stand-in textures over gpu.js)', () => {
  const textures = textureBackendForTests();

  it.each(CASES.map((c): [string, IndexingCase] => [c.name, c]))('%s', async (_, c) => {
    const b = await textures();
    expectClean(await runIndexingCase(b, c), 'textures');
    // In place through the previous texture (no host round trip), nothing left behind.
    expect(b.textureStats().fallbacks).toBe(0);
    expect(b.textureStats().live).toBe(0);
  });

  it('accumulates into the same buffer run after run without reading it back', async () => {
    const b = await textures();
    const c = CASES[0]!;
    const scatter = { ...c, program: { ...c.program, kernels: c.program.kernels.slice(0, 1) } };
    const bufs = scatter.program.buffers.map((s, i) => {
      const buf = b.allocate(s.dtype, s.size);
      b.write(buf, scatter.init[i]!);
      return buf;
    });
    const exe = b.compile(scatter.program, { precision: 'fp32' });
    const reads = b.textureStats().hostReads;
    for (let r = 0; r < 3; r++) exe.run(bufs);
    expect(b.textureStats().hostReads).toBe(reads);
    // Three runs add the same slices three times: the float64 loop applied three times, each
    // result stored as float32 as the buffer holds it.
    let init = scatter.init;
    for (let r = 0; r < 3; r++) init = indexingReference({ ...scatter, init }).want.map((w, i) => (scatter.init[i] instanceof Int32Array ? Int32Array.from(w) : Float32Array.from(w)));
    const got = await b.read(bufs[0]!);
    const want = Array.from(init[0]!);
    const err = Math.sqrt(want.reduce((a, w, i) => a + (got[i]! - w) ** 2, 0) / want.reduce((a, w) => a + w * w, 0));
    expect(err).toBeLessThanOrEqual(INDEXING_TOL);
    exe.dispose();
    bufs.forEach((x) => b.free(x));
    expect(b.textureStats().live).toBe(0);
  });
});

describe('indexing launches', () => {
  const take: TakeKernel = {
    kind: 'take', input: { buffer: 0, offset: 0, shape: [2, 7, 3], strides: [21, 3, 1] }, indices: { buffer: 1, offset: 0, shape: [5], strides: [1] },
    output: { buffer: 2, offset: 0, shape: [2, 5, 3], strides: [15, 3, 1] }, fill: NaN, label: 'tk',
  };
  const scatterAdd: ScatterAddKernel = { kind: 'scatterAdd', updates: take.output, indices: take.indices, output: take.input, label: 'sa' };
  const gpu = (k: Kernel): KernelLaunch[] => generateKernel(k, () => 'float32').map((l) => {
    if (isHostLaunch(l)) throw new Error('host launch');
    return l;
  });

  it('take: one thread per output element, reading the input and the indices', () => {
    const [l] = gpu(take);
    expect(l).toMatchObject({ size: 30, output: take.output, params: [0, 1] });
  });

  it('scatterAdd: one thread per output element, reading its old value, with a constant-bound loop over n', () => {
    const ls = gpu({ ...scatterAdd, indices: { buffer: 1, offset: 0, shape: [1500], strides: [0] }, updates: { ...scatterAdd.updates, shape: [2, 1500, 3], strides: [4500, 3, 1] } });
    expect(ls).toHaveLength(1);
    expect(ls[0]).toMatchObject({ size: 42, output: scatterAdd.output, params: [0, 1, 2] });
    // A literal bound: gpu.js emits a plain GLSL loop, not one capped at loopMaxIterations (1000).
    expect(ls[0]!.source).toMatch(/for \(let n\d+ = 0; n\d+ < 1500; n\d+\+\+\)/);
  });

  it('scatterAdd adds repeated indices in index order, reading updates only where they are added', () => {
    // Evaluated as plain JavaScript, as gpu.js's cpu mode runs it: 200 indices into 3 rows.
    const n = 200;
    const k: ScatterAddKernel = {
      kind: 'scatterAdd', label: 'sa', indices: { buffer: 1, offset: 0, shape: [n], strides: [1] },
      updates: { buffer: 0, offset: 0, shape: [1, n, 1], strides: [n, 1, 1] }, output: { buffer: 2, offset: 0, shape: [1, 3, 1], strides: [3, 1, 1] },
    };
    const [l] = gpu(k);
    const run = new Function(`return ${l!.source}`)() as (this: { thread: { x: number } }, ...b: Float32Array[]) => number;
    // −3…3: −3, −2, −1 count from the end (rows 0, 1, 2), 3 is dropped.
    const idx = Float32Array.from({ length: n }, (_, j) => (j % 7) - 3);
    const upd = Float32Array.from({ length: n }, (_, j) => Math.sin(j));
    upd[2] = NaN; // index −1: row 2 becomes NaN
    upd[6] = NaN; // index 3, dropped: must not reach any row
    const old = Float32Array.from([0.5, -1, 2]);
    const got = [0, 1, 2].map((x) => run.call({ thread: { x } }, upd, idx, old));
    const want = [0.5, -1, 2];
    for (let j = 0; j < n; j++) {
      const y = idx[j]! < 0 ? idx[j]! + 3 : idx[j]!;
      if (y < 3) want[y] = want[y]! + upd[j]!;
    }
    // The same additions in the same order, in float64 both: bit-identical.
    expect(got).toEqual(want);
    expect(want[2]).toBeNaN();
    expect(Number.isFinite(want[0]) && Number.isFinite(want[1])).toBe(true);
  });

  it('refuse views of the wrong shapes, naming the kernel and the shapes', () => {
    expect(() => gpu({ ...take, output: { ...take.output, shape: [2, 4, 3] } })).toThrow(
      "gpujs codegen: take kernel 'tk': expected [outer, size, inner], [n] indices and [outer, n, inner] slices (got [2, 7, 3], [5], [2, 4, 3])",
    );
    expect(() => gpu({ ...scatterAdd, output: { ...scatterAdd.output, shape: [14, 3], strides: [3, 1] } })).toThrow(
      "gpujs codegen: scatterAdd kernel 'sa': expected [outer, size, inner], [n] indices and [outer, n, inner] slices (got [14, 3], [5], [2, 5, 3])",
    );
  });

  it('refuse them when compiling too, with the same message', async () => {
    const b = await getBackend('gpujs');
    const program = {
      buffers: [0, 1, 2].map((id) => ({ id, dtype: id === 1 ? 'int32' as const : 'float32' as const, size: 42, role: 'temp' as const })),
      kernels: [{ ...take, indices: { ...take.indices, shape: [5, 1], strides: [1, 1] } }],
    };
    expect(() => b.compile(program, { precision: 'fp32' })).toThrow("gpujs codegen: take kernel 'tk': expected [outer, size, inner], [n] indices");
  });
});
