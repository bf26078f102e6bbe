import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concatPrograms, findNvcc, kernelCasePrograms, opCasePrograms, pool, randomDrawsCase, run, seedStepProgram } from '../testing-fixtures/programs.js';
import { contiguousView, type Program } from '@symgrad/core';
import { planProgram } from './program-source.js';

/** A rows product 37×130·130×10 and a row softmax after it (out of place, or a log-softmax in place), in `dtype`. */
function productThenSoftmax(dtype: 'float32' | 'float64', inPlace: boolean): Program {
  const [m, k, n] = [37, 130, 10];
  return {
    buffers: [m * k, k * n, m * n, m * n].map((size, id) => ({ id, dtype, size, role: 'temp' as const })),
    kernels: [
      { kind: 'matmul', batch: [], m, n, k, transA: false, transB: false, alpha: 1, beta: 0, dtype, label: 'logits', a: contiguousView(0, [m, k]), b: contiguousView(1, [k, n]), out: contiguousView(2, [m, n]) },
      { kind: 'softmax', input: contiguousView(2, [m, n]), output: contiguousView(inPlace ? 2 : 3, [m, n]), log: inPlace, dtype, label: 'softmax' },
    ],
  };
}

// Every kernel the conformance suite's Programs need, rendered and compiled to an sm_90 cubin
// by nvcc: one .cu per group of Programs, at most two nvcc processes at once. CI machines have
// nvcc, so there a missing nvcc is a failure; elsewhere the test is skipped with the reason.
const nvcc = findNvcc();
if (!nvcc && process.env.CI) throw new Error('nvcc not found, and CI is set: CI must compile the generated CUDA C');
const dir = mkdtempSync(join(tmpdir(), 'symgrad-cuda-nvcc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!nvcc)(`generated CUDA C compiles with nvcc --cubin -arch=sm_90${nvcc ? '' : ' (skipped: nvcc not found on PATH)'}`, () => {
  it('op cases (float32, float64), kernel cases, random draws of every distribution and dtype, the seed step (float32, float64) and row softmax inside a product', async () => {
    const files: [string, string][] = [];
    const add = (name: string, source: string) => {
      const file = join(dir, `${name}.cu`);
      writeFileSync(file, source);
      files.push([name, file]);
    };
    const f32 = await opCasePrograms('float32');
    const f64 = await opCasePrograms('float64');
    const [ops32, ops64, kernels] = [f32.values(), f64.values(), kernelCasePrograms().values()].map((ps) => planProgram(concatPrograms(ps)));
    add('op-cases-f32', ops32!.source);
    add('op-cases-f64', ops64!.source);
    add('kernel-cases', kernels!.source);
    // take and scatterAdd are among them, scatterAdd with each atomicAdd it uses: float and int
    // (kernel cases), double (op cases in float64; sm_60 and later).
    for (const plan of [ops32!, ops64!, kernels!]) expect(plan.kernelNames.map((n) => n.replace(/^k\d+_/, ''))).toEqual(expect.arrayContaining(['take', 'scatterAdd']));
    const atomicTypes = (plan: { source: string }) => [...plan.source.matchAll(/_scatterAdd\(.* (\w+)\* __restrict__ p2\) \{/g)].map((m) => m[1]);
    expect(new Set([...atomicTypes(kernels!), ...atomicTypes(ops64!)])).toEqual(new Set(['float', 'int', 'double']));
    add('random-draws', planProgram(randomDrawsCase([1, 2, -2, 3], [1, 5, 1021]).program).source);
    add('seed-step', planProgram(await seedStepProgram([1000, 1000, 1000, 10], 800)).source);
    // In float64 too: the loss inside the logits' product (matmul-row-tail.ts) in double.
    const f64Seed = planProgram(await seedStepProgram([100, 50, 30, 10], 37, 'float64'));
    expect(f64Seed.steps.some((s) => s.what.includes('with kernel'))).toBe(true);
    add('seed-step-f64', f64Seed.source);
    const tails = planProgram(concatPrograms([productThenSoftmax('float32', false), productThenSoftmax('float64', true)]));
    expect(tails.kernelNames).toEqual(['k0_matmul', 'k2_matmul']);
    add('row-softmax-tails', tails.source);
    const results = await pool(files.map(([name, file]) => async () => ({ name, ...(await run(nvcc!, ['--cubin', '-arch=sm_90', '-std=c++17', '-o', file.replace(/\.cu$/, '.cubin'), file])) })), 2);
    for (const r of results) expect(r.code, `${r.name}: nvcc failed:\n${r.out}`).toBe(0);
    for (const r of results) expect(r.out, `${r.name}: nvcc warned`).not.toMatch(/warning/i);
  }, 300_000);
});
