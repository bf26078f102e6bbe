import { afterAll, describe, expect, it } from 'vitest';
import { fn, getBackend, NDArray, T, type Kernel, type SoftmaxKernel } from '@symgrad/core';
import { generateKernel, generateProgram, isHostLaunch } from './codegen/generate.js';
import type { KernelLaunch } from './codegen/source.js';
import { scratchBuffers } from './runtime/buffers.js';
import { textureBackendForTests } from './testing-fixtures/texture-backend.js';
import { LOG_SOFTMAX_TOL, logits, runSoftmaxCase, SOFTMAX_TOL, softmaxCases, softmaxReference, type SoftmaxCase, type SoftmaxCaseResult } from './testing-fixtures/softmax-cases.js';
import { TestRandom } from '@symgrad/core/testing/reference';
import './index.js';

// Core's optional `softmax` kind (codegen/softmax.ts: a row-statistics launch into a scratch
// buffer, then one launch per element) against a float64 reference computed in
// testing-fixtures/softmax-cases.ts, per element: softmax |err| ≤ 1e-5·|ref|, log-softmax
// |err| ≤ 1e-5·max(1, |ref|), NaN, ±∞ and 0 exactly, everything outside the outputs unchanged.
const CASES = softmaxCases();
const worst: Record<string, { softmax: number; log: number }> = {};

function expectClean(r: SoftmaxCaseResult, mode: string): void {
  expect(r.failures, r.name).toEqual([]);
  expect(r.softmaxError).toBeLessThanOrEqual(SOFTMAX_TOL);
  expect(r.logError).toBeLessThanOrEqual(LOG_SOFTMAX_TOL);
  const w = (worst[mode] ??= { softmax: 0, log: 0 });
  w.softmax = Math.max(w.softmax, r.softmaxError);
  w.log = Math.max(w.log, r.logError);
}

afterAll(() => {
  for (const [mode, w] of Object.entries(worst)) console.log(`gpujs softmax, ${mode}: worst element error softmax ${w.softmax.toExponential(2)}, log-softmax ${w.log.toExponential(2)}`);
});

describe('softmax kernels, host-array mode (gpu.js webasm/cpu)', () => {
  it.each(CASES.map((c): [string, SoftmaxCase] => [c.name, c]))('%s', async (_, c) => {
    const b = await getBackend('gpujs');
    expectClean(await runSoftmaxCase(b, c), 'host arrays');
  });
});

describe('softmax kernels, texture mode (stand-in textures over gpu.js)', () => {
  const textures = textureBackendForTests();

  it.each(CASES.map((c): [string, SoftmaxCase] => [c.name, c]))('%s', async (_, c) => {
    const b = await textures();
    expectClean(await runSoftmaxCase(b, c), 'textures');
    // No host round trip, and the scratch texture went with the executable.
    const s = b.textureStats();
    expect(s.fallbacks).toBe(0);
    expect(s.live).toBe(0);
  });

  it('runs a compiled softmax again with the same result (the scratch buffer is reused)', async () => {
    const b = await textures();
    const c = CASES.find((x) => x.name === '37×7')!;
    const { want } = softmaxReference(c);
    const bufs = c.program.buffers.map((s, i) => {
      const buf = b.allocate(s.dtype, s.size);
      b.write(buf, c.init[i]!);
      return buf;
    });
    const exe = b.compile(c.program, { precision: 'fp32' });
    exe.run(bufs);
    const first = await b.read(bufs[1]!);
    const reads = b.textureStats().hostReads;
    exe.run(bufs);
    exe.run(bufs);
    expect(b.textureStats().hostReads).toBe(reads);
    expect(Array.from(await b.read(bufs[1]!))).toEqual(Array.from(first));
    first.forEach((g, i) => {
      const w = want[1]![i]!;
      expect(Number.isFinite(w) && w !== 0 ? Math.abs(g - w) <= SOFTMAX_TOL * Math.abs(w) : Object.is(g, w), `[${i}]`).toBe(true);
    });
    exe.dispose();
    bufs.forEach((x) => b.free(x));
    expect(b.textureStats().live).toBe(0);
  });
});

describe('softmax launches', () => {
  const k: SoftmaxKernel = {
    kind: 'softmax', input: { buffer: 0, offset: 1, shape: [3, 4], strides: [1, 3] }, output: { buffer: 1, offset: 0, shape: [3, 4], strides: [4, 1] },
    log: false, dtype: 'float32', label: 'sm',
  };
  const gpu = (ls: ReturnType<typeof generateKernel>): KernelLaunch[] => ls.map((l) => {
    if (isHostLaunch(l)) throw new Error('host launch');
    return l;
  });

  it('are a row-statistics launch into a scratch buffer, then an element launch in a later stage', () => {
    const [stats, out] = gpu(generateKernel(k, () => 'float32'));
    expect(stats).toMatchObject({ scratch: true, stage: 0, size: 6, output: { buffer: 2, shape: [2, 3] }, params: [0] });
    expect(out).toMatchObject({ stage: 1, size: 12, output: k.output, params: [0, 2] });
    expect(out!.scratch).toBeUndefined();
  });

  it('get a scratch id past every Program buffer, one per softmax kernel', () => {
    const second: Kernel = { ...k, input: k.output, output: { ...k.output, buffer: 0, offset: 0 }, log: true, label: 'lsm' };
    const ls = gpu(generateProgram({ buffers: [0, 1, 2, 3].map((id) => ({ id, dtype: 'float32', size: 13, role: 'temp' })), kernels: [k, second] }, 1 << 24));
    expect(ls.map((l) => [l.kernel, l.stage, l.scratch ? l.output.buffer : undefined])).toEqual([[0, 0, 4], [0, 1, undefined], [1, 0, 5], [1, 1, undefined]]);
  });

  it('refuse two launches writing one scratch buffer (each softmax kernel needs its own)', () => {
    const same = [...generateKernel(k, () => 'float32', () => 9), ...generateKernel({ ...k, label: 'sm2' }, () => 'float32', () => 9)];
    expect(() => scratchBuffers(same)).toThrow(/^gpujs backend: launch 'sm2 .*': scratch buffer 9 is written by two launches$/);
  });

  it('flag a row whose max is ±∞ or NaN with a sum of −1 (a shader need not carry NaN through exp)', () => {
    const [stats] = gpu(generateKernel({ ...k, input: { buffer: 0, offset: 0, shape: [5, 2], strides: [2, 1] }, output: { ...k.output, shape: [5, 2], strides: [2, 1] } }, () => 'float32'));
    // Evaluated as plain JavaScript, as gpu.js's cpu mode runs it.
    const run = new Function(`return ${stats!.source}`)() as (this: { thread: { x: number } }, b0: Float32Array) => number;
    const x = Float32Array.from([1, 2, -Infinity, 0, Infinity, 0, NaN, 0, -Infinity, -Infinity]);
    const got = Array.from({ length: 10 }, (_, t) => run.call({ thread: { x: t } }, x));
    // Maxes of the 5 rows, then their sums.
    expect(got).toEqual([2, 0, Infinity, NaN, -Infinity, 1 + Math.exp(-1), 1, -1, -1, -1]);
  });

  it('name the kernel when its views are not [rows, cols] of one shape', () => {
    const bad = { ...k, output: { ...k.output, shape: [4, 3] } };
    expect(() => generateKernel(bad, () => 'float32')).toThrow(/softmax kernel 'sm'.*\[3, 4\] → \[4, 3\]/);
  });
});

describe('lowering on gpujs', () => {
  it('T.softmax and T.logSoftmax over the last axis lower to softmax kernels, not reductions', async () => {
    const x = T.matrix('x');
    const f = fn([x], [T.softmax(x), T.logSoftmax(x)], { backend: 'gpujs' });
    const [rows, cols] = [9, 13];
    const X = new NDArray('float32', [rows, cols], logits(new TestRandom(5), rows, cols));
    const [p, lp] = await f(X);
    const kinds = f.program!.kernels.map((kk) => kk.kind);
    expect(kinds.filter((kk) => kk === 'softmax')).toHaveLength(2);
    expect(kinds).not.toContain('reduce');
    // Against the fixture's float64 reference of the same rows.
    const c: SoftmaxCase = {
      name: 'fn', init: [X.data as Float32Array, new Float32Array(rows * cols), new Float32Array(rows * cols)],
      program: {
        buffers: [0, 1, 2].map((id) => ({ id, dtype: 'float32', size: rows * cols, role: 'temp' })),
        kernels: [1, 2].map((o) => ({ kind: 'softmax', input: { buffer: 0, offset: 0, shape: [rows, cols], strides: [cols, 1] }, output: { buffer: o, offset: 0, shape: [rows, cols], strides: [cols, 1] }, log: o === 2, dtype: 'float32', label: 'ref' })),
      },
    };
    const { want } = softmaxReference(c);
    [p!, lp!].forEach((got, j) => got.data.forEach((g, i) => {
      const w = want[j + 1]![i]!;
      if (!Number.isFinite(w) || w === 0) expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)) || g === w, `${j} [${i}]`).toBe(true);
      else expect(Math.abs(g - w), `${j} [${i}]`).toBeLessThanOrEqual(1e-5 * (j ? Math.max(1, Math.abs(w)) : Math.abs(w)));
    }));
    f.dispose();
  });

  it('keeps softmax over another axis as reductions', async () => {
    const x = T.matrix('x');
    const f = fn([x], T.softmax(x, 0), { backend: 'gpujs' });
    const got = await f(new NDArray('float32', [2, 3], Float32Array.from([0, 1, 2, 3, 4, 5])));
    expect(f.program!.kernels.map((kk) => kk.kind)).toContain('reduce');
    expect(f.program!.kernels.map((kk) => kk.kind)).not.toContain('softmax');
    const e = 1 / (1 + Math.exp(3));
    Array.from(got.data).forEach((g, i) => expect(g).toBeCloseTo(i < 3 ? e : 1 - e, 6));
    f.dispose();
  });
});
