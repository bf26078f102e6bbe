/**
 * The CUDA backend's device check, for a session with a GPU (see README.md beside this file).
 * Bundled by bundle.mjs into one ES module; run with the carried node binary. Prints a short
 * table last; writes the full log to $OUT/cuda-check.log when $OUT is set.
 */
import { appendFileSync } from 'node:fs';
import { fn, getBackend, listBackends, type NDArray } from '@symgrad/core';
import { buildSeedStep, evaluateReference, KERNEL_CASES, OP_CASES, relativeError, runKernelCase, TestRandom } from '@symgrad/core/testing/reference';
import { cudaInfo } from '../src/index.js';

const log = (s: string) => {
  console.log(s);
  if (process.env.OUT) appendFileSync(`${process.env.OUT}/cuda-check.log`, `${s}\n`);
};
const rows: [string, string, string][] = [];
const record = (name: string, ok: boolean, detail: string) => {
  rows.push([name, ok ? 'ok' : 'FAIL', detail]);
  log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
};

async function main(): Promise<void> {
  let cpu = false;
  try {
    // @ts-expect-error resolved by bundle.mjs (an alias to packages/backend-cpu); absent otherwise
    await import('@symgrad/backend-cpu');
    cpu = true;
  } catch (e) {
    log(`cpu backend not bundled: ${String(e)}`);
  }
  log(JSON.stringify(cudaInfo(), null, 1));
  log(JSON.stringify(await listBackends()));
  const b = await getBackend('cuda');
  log(`device: ${b.capabilities.device}`);

  // Kernel cases against the reference Program interpreter (as the conformance suite does).
  for (const [name, make] of Object.entries(KERNEL_CASES)) {
    try {
      const c = make(new TestRandom(1234));
      const worst = Math.max(...(await runKernelCase(b, c)));
      record(name, worst <= (c.tol ?? 1e-6), `rel err ${worst.toExponential(2)}`);
    } catch (e) {
      record(name, false, String(e).split('\n').slice(0, 6).join(' | '));
    }
  }

  // Op cases (float32 and float64) against the float64 reference evaluator.
  for (const dtype of ['float32', 'float64'] as const) {
    let k = 0;
    for (const [name, make] of Object.entries(OP_CASES)) {
      const rng = new TestRandom(1234 + k++ * 7919 + (dtype === 'float64' ? 1 : 0));
      try {
        const c = make(rng, dtype);
        const f = fn(c.inputs, c.outputs, { backend: 'cuda' });
        const got = await f(...c.values);
        const want = evaluateReference(c.outputs, new Map(c.inputs.map((v, i) => [v, c.values[i]!])));
        let worst = 0;
        got.forEach((g: NDArray, i: number) => {
          const w = want[i]!;
          worst = Math.max(worst, g.dtype === 'int32' || g.dtype === 'bool' ? (Array.from(g.data as ArrayLike<number>).every((v, j) => v === w.data[j]) ? 0 : 1) : relativeError(g.data, w.data));
        });
        f.dispose();
        record(`${name}.${dtype}`, worst <= (dtype === 'float64' ? 1e-12 : c.tol ?? 1e-5), `rel err ${worst.toExponential(2)}`);
      } catch (e) {
        record(`${name}.${dtype}`, false, String(e).split('\n').slice(0, 6).join(' | '));
      }
    }
  }

  // The seed step at full size: agreement with the CPU backend, then time per step.
  const sizes: [number, number, number, number] = [1000, 1000, 1000, 10];
  const timing: string[] = [];
  const step = async (backend: string, precision: 'fp32' | 'tf32', steps: number) => {
    const rng = new TestRandom(42);
    const s = buildSeedStep(rng, sizes, 0.1);
    const X = rng.array([800, 1000], 'float32', -1, 1);
    const Y = rng.array([800], 'int32', 0, 9);
    const train = fn([s.x, s.y], [s.loss, ...s.grads], { updates: s.updates, backend, precision });
    const first = await train(X, Y);
    await train(X, Y);
    const t0 = performance.now();
    for (let i = 0; i < steps - 1; i++) train.enqueue(X, Y);
    const last = await train(X, Y);
    const us = ((performance.now() - t0) * 1000) / steps;
    timing.push(`${backend} ${precision}: ${us.toFixed(0)} µs/step (${steps} steps), loss ${first[0]!.item().toFixed(5)} → ${last[0]!.item().toFixed(5)}`);
    const out = { first, weights: await Promise.all(s.weights.map((w) => w.read())) };
    train.dispose();
    s.weights.forEach((w) => w.dispose());
    return out;
  };
  try {
    const gpu = await step('cuda', 'fp32', 200);
    await step('cuda', 'tf32', 200);
    if (cpu) {
      const ref = await step('cpu', 'fp32', 3);
      const errs = gpu.first.map((g, i) => relativeError(g.data, ref.first[i]!.data));
      record('seed-step vs cpu (loss, grads)', Math.max(...errs) <= 1e-4, errs.map((e) => e.toExponential(2)).join(' '));
    }
  } catch (e) {
    record('seed-step', false, String(e).split('\n').slice(0, 6).join(' | '));
  }

  log('\n| check | result | detail |\n| --- | --- | --- |');
  const failed = rows.filter((r) => r[1] !== 'ok');
  log(`| ${rows.length - failed.length}/${rows.length} cases | ${failed.length ? 'FAIL' : 'ok'} | ${failed.map((r) => r[0]).join(', ') || '-'} |`);
  for (const r of failed.slice(0, 12)) log(`| ${r[0]} | ${r[1]} | ${r[2].slice(0, 200)} |`);
  for (const t of timing) log(`| seed step | ${t} | |`);
  process.exitCode = failed.length ? 1 : 0;
}

main().catch((e) => {
  log(`check crashed: ${e instanceof Error ? e.stack : String(e)}`);
  process.exitCode = 2;
});
