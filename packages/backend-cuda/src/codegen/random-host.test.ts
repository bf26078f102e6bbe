import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Kernel, Program } from '@symgrad/core';
import { interpretProgram, KERNEL_CASES, relativeError, TestRandom } from '@symgrad/core/testing';
import { findNvcc, randomDrawsCase, run, type HostCase } from '../testing-fixtures/programs.js';
import type { LaunchStep } from './plan.js';
import { planProgram } from './program-source.js';
import { cudaLiteral } from './render-cuda.js';

// The generated random kernels' per-thread code (`k<i>_random_thread`, __host__ __device__)
// built by nvcc into a host executable and run on this CPU against core's reference
// interpreter (fillRandom, advanceRandomState): the very source a GPU would run, minus the
// one-line __global__ wrapper. Skipped where nvcc is absent, failing on CI as nvcc.test.ts does.
const nvcc = findNvcc();
if (!nvcc && process.env.CI) throw new Error('nvcc not found, and CI is set: CI must run the random kernels as host code');
const dir = mkdtempSync(join(tmpdir(), 'symgrad-cuda-random-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SIZES = [1, 3, 5, 7, 13, 97, 257, 1021];

/** Builds the Program's source with a host main that runs every launch (`threads` each; 0: its launch size) and prints every buffer. */
async function runOnHost(name: string, c: HostCase): Promise<Map<number, number[][]>> {
  const plan = planProgram(c.program);
  const decls = c.program.buffers.map((b, i) => {
    const T = b.dtype === 'float32' ? 'float' : b.dtype === 'float64' ? 'double' : 'int';
    return `static ${T} b${i}[] = {${Array.from(c.init[i]!, (v) => cudaLiteral(b.dtype, v)).join(', ')}};`;
  });
  const launches = plan.steps.map((s) => {
    const l = s as LaunchStep;
    return `  { const long long T = threads ? threads : ${l.grid[0] * l.block[0]}LL; for (long long t = 0; t < T; t++) ${l.name}_thread(t, T, ${l.buffers.map((b) => `b${b}`).join(', ')}); }`;
  });
  const prints = c.program.buffers.map((b, i) => {
    const fmt = b.dtype === 'float32' ? '"%.9g "' : b.dtype === 'float64' ? '"%.17g "' : '"%d "';
    return `  for (int e = 0; e < ${b.size}; e++) std::printf(${fmt}, b${i}[e]); std::printf("\\n");`;
  });
  const main = ['#include <cstdio>', '#include <cstdlib>', ...decls, 'int main(int argc, char** argv) {', '  const long long threads = argc > 1 ? std::atoll(argv[1]) : 0;', ...launches, ...prints, '  return 0;', '}'];
  const file = join(dir, `${name}.cu`);
  writeFileSync(file, `${plan.source}\n${main.join('\n')}\n`);
  const exe = join(dir, name);
  const built = await run(nvcc!, ['-arch=sm_90', '-std=c++17', '-O2', '-o', exe, file]);
  if (built.code !== 0) throw new Error(`nvcc failed:\n${built.out.slice(0, 4000)}`);
  expect(built.out, 'nvcc warned').not.toMatch(/warning/i);
  // 0: each kernel's own launch size; 7 threads: every thread loops over many Philox blocks.
  const results = new Map<number, number[][]>();
  for (const threads of [0, 7]) {
    const r = await run(exe, [String(threads)]);
    if (r.code !== 0) throw new Error(`host run failed:\n${r.out.slice(0, 2000)}`);
    // %.9g round-trips float32 only once rounded back to float32.
    const lines = r.out.trimEnd().split('\n').map((line) => line.trim().split(' ').filter(Boolean).map(Number));
    results.set(threads, lines.map((vs, i) => (c.program.buffers[i]?.dtype === 'float32' ? vs.map(Math.fround) : vs)));
  }
  return results;
}

/** Which buffers each kernel writes, with the kernel. */
function outputs(p: Program): { buffer: number; k: Extract<Kernel, { kind: 'random' }>; next: boolean }[] {
  return p.kernels.flatMap((k) => (k.kind === 'random' ? [{ buffer: k.output.buffer, k, next: false }, ...(k.next ? [{ buffer: k.next.buffer, k, next: true }] : [])] : []));
}

// float32 normals against the float64 reference from the same float32 uniforms: logf,
// sqrtf and sincospif are each within a couple of ulps, so 4 ulps of the larger of |z| and 1.
const NORMAL_TOL: Record<string, number> = { float32: 4 * 2 ** -23, float64: 1e-13 };

function compare(c: HostCase, got: number[][]): string[] {
  const want = c.init.map((d) => d.slice());
  interpretProgram(c.program, want);
  const bad: string[] = [];
  for (const { buffer, k, next } of outputs(c.program)) {
    const w = want[buffer]!, g = got[buffer]!;
    if (g.length !== w.length) bad.push(`${k.label}: buffer ${buffer} has ${g.length} values, want ${w.length}`);
    const tol = !next && k.distribution === 'normal' ? NORMAL_TOL[k.dtype]! : 0;
    for (let i = 0; i < w.length; i++) {
      const ok = tol === 0 ? g[i] === w[i] : Math.abs(g[i]! - w[i]!) <= tol * Math.max(1, Math.abs(w[i]!));
      if (!ok) bad.push(`${k.label}${next ? ' next' : ''} [${i}]: got ${g[i]}, want ${w[i]}`);
    }
  }
  return bad;
}

describe.skipIf(!nvcc)(`random kernels as host code built by nvcc, against fillRandom${nvcc ? '' : ' (skipped: nvcc not found on PATH)'}`, () => {
  it('known answer: key 0, counter 0', async () => {
    const c = randomDrawsCase([0, 0, 0, 0], [4]);
    const got = (await runOnHost('known', c)).get(0)!;
    const bits = c.program.kernels.find((k) => k.kind === 'random' && k.distribution === 'bits')!;
    const words = got[(bits as Extract<Kernel, { kind: 'random' }>).output.buffer]!.slice(3, 7).map((v) => v >>> 0);
    expect(words).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(compare(c, got)).toEqual([]);
  }, 60_000);

  it('awkward sizes, every distribution and dtype, a block offset that carries into the high word', async () => {
    // Block offset 2^32 - 2 + 5·2^32: the third block of a draw carries.
    const c = randomDrawsCase([0x2545f491, -0x3c6ef373, -2, 5], SIZES);
    const runs = await runOnHost('carry', c);
    expect(compare(c, runs.get(0)!).slice(0, 10)).toEqual([]);
    expect(runs.get(7)).toEqual(runs.get(0));
  }, 120_000);

  it('a block offset that wraps 2^64, and the conformance case kernel.random', async () => {
    const wrap = randomDrawsCase([7, -1, -3, -1], [1, 11, 1021]);
    const runs = await runOnHost('wrap', wrap);
    expect(compare(wrap, runs.get(0)!).slice(0, 10)).toEqual([]);
    expect(runs.get(7)).toEqual(runs.get(0));

    const kc = KERNEL_CASES['kernel.random']!(new TestRandom(99));
    const got = (await runOnHost('kernel-case', kc)).get(0)!;
    const want = kc.init.map((d) => d.slice());
    interpretProgram(kc.program, want);
    want.forEach((w, i) => expect(relativeError(Float64Array.from(got[i]!), w), `buffer ${i}`).toBeLessThanOrEqual(kc.tol ?? 1e-5));
  }, 120_000);
});
