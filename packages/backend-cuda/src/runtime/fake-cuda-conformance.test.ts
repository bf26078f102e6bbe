import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeCudaWorkspace, runWithFakeCuda } from '../testing-fixtures/fake-cuda.js';

// The CUDA backend's numerics end to end, without a GPU: core's conformance material runs on
// the real addon and the built package over the fake CUDA userspace, whose NVRTC compiles the
// generated CUDA C as host C++ and whose driver runs it (src/testing-fixtures/fake-cuda). The
// comparisons are those of device-check/check.ts, which runs the same cases on a real GPU:
// kernel cases against the reference Program interpreter, op cases against the float64
// reference evaluator, and the seed step (smaller) against a float64 run of the same step.
// One child process per configuration runs every case of it, so the cost of starting node
// and the addon is paid a few times, not once per case.
const { scratch, libDir, reason } = fakeCudaWorkspace('conformance-');

// The child: FAKE_SUITE=cases runs every kernel case and every op case (float32, float64);
// FAKE_SUITE=seed runs the seed step. Prints one line `RESULT [{ name, ok, detail }, …]`;
// a case that throws is a failed row, never a crashed child.
const RUNNER = `
import { fn, getBackend, registerBackend } from '@symgrad/core';
import '@symgrad/backend-cuda';
import { buildSeedStep, conformanceRows, referenceBackendFactory, relativeError, TestRandom } from '@symgrad/core/testing/reference';
const rows = [];
const record = (name, ok, detail) => rows.push({ name, ok, detail });
const failure = (e) => String(e && e.stack || e).split('\\n').slice(0, 8).join(' | ');
const b = await getBackend('cuda');
if (process.env.FAKE_SUITE === 'cases') {
  // As device-check/check.ts does on a GPU: the suite's kernel and op cases at their tolerances.
  rows.push(...(await conformanceRows(b)));
} else {
  // The seed step (loss and gradients, with its SGD updates) three times on the cuda backend
  // in float32, and the same step in float64 on core's reference interpreter from the same
  // weights and data: each call's loss and gradients, then the updated weights, compared.
  registerBackend('ref64', referenceBackendFactory('ref64'), -100);
  const sizes = [64, 48, 32, 10], rowsN = 37, steps = 3, tol = 1e-5;
  try {
    const rng = new TestRandom(42);
    const s = buildSeedStep(rng, sizes, 0.1);
    const X = rng.array([rowsN, sizes[0]], 'float32', -1, 1), Y = rng.array([rowsN], 'int32', 0, 9);
    const r = buildSeedStep(new TestRandom(42), sizes, 0.1, 'float64');
    r.weights.forEach((w, i) => w.set(s.weights[i].get().astype('float64')));
    const train = fn([s.x, s.y], [s.loss, ...s.grads], { updates: s.updates, backend: 'cuda' });
    const ref = fn([r.x, r.y], [r.loss, ...r.grads], { updates: r.updates, backend: 'ref64' });
    const names = ['loss', 'g1', 'g2', 'g3'];
    for (let c = 0; c < steps; c++) {
      const got = await train(X, Y), want = await ref(X.astype('float64'), Y);
      got.forEach((g, i) => {
        const e = relativeError(g.data, want[i].data);
        record('call ' + (c + 1) + ' ' + names[i], e <= tol, 'rel err ' + e.toExponential(2) + ' (tolerance ' + tol + ')');
      });
    }
    s.weights.forEach((w, i) => {
      const e = relativeError(w.get().data, r.weights[i].get().data);
      record('w' + (i + 1) + ' after ' + steps + ' updates', e <= tol, 'rel err ' + e.toExponential(2) + ' (tolerance ' + tol + ')');
    });
    record('program', true, train.program.kernels.map((k) => k.kind).join(' '));
  } catch (e) { record('seed step', false, failure(e)); }
}
console.log('RESULT ' + JSON.stringify(rows));
`;
const runner = join(scratch, 'conformance-runner.mjs');
writeFileSync(runner, RUNNER);

interface Row { name: string; ok: boolean; detail: string }
let runNo = 0;
async function runSuite(suite: 'cases' | 'seed', env: Record<string, string> = {}): Promise<Row[]> {
  const log = join(scratch, `log-${runNo++}.txt`);
  const r = await runWithFakeCuda(libDir!, runner, { FAKE_SUITE: suite, FAKE_CUDA_LOG: log, ...env }, 300_000);
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  expect(line, `child exited ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`).toBeDefined();
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(line!.slice(7)) as Row[];
}
const failures = (rows: Row[]) => rows.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);

describe.skipIf(!libDir)(`CUDA backend numerics over the fake CUDA userspace${libDir ? '' : ` (skipped: ${reason})`}`, () => {
  // The default configuration (cuBLASLt, which fuses matmul epilogues, on up to four streams), then
  // plain cuBLAS on one stream. Both share one cubin cache, so the second compiles
  // only what differs, and cached fake cubins (which carry their host code) get loaded too.
  const cache = join(scratch, 'cubin-cache');
  for (const env of [{}, { SYMGRAD_CUDA_GEMM: 'cublas', SYMGRAD_CUDA_STREAMS: '1' }] as Record<string, string>[]) {
    const what = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ') || 'default settings';
    it(`every kernel case and every op case (float32 and float64) matches the reference (${what})`, { timeout: 300_000 }, async () => {
      const rows = await runSuite('cases', { ...env, SYMGRAD_CACHE_DIR: cache });
      const { kernelCasesFor, OP_CASES } = await import('@symgrad/core/testing/reference');
      const { CUDA_KERNEL_KINDS } = await import('../backend.js');
      expect(rows.map((r) => r.name)).toEqual([
        ...kernelCasesFor(CUDA_KERNEL_KINDS).map(([n]) => n),
        ...(['float32', 'float64'] as const).flatMap((d) => Object.keys(OP_CASES).map((n) => `${n}.${d}`)),
      ]);
      expect(failures(rows)).toEqual([]);
    });
  }

  for (const gemm of ['cublas', 'cublasLt'])
    for (const streams of ['1', '2']) {
      const env = { SYMGRAD_CUDA_GEMM: gemm, SYMGRAD_CUDA_STREAMS: streams };
      it(`the seed step ([64, 48, 32, 10], 37 rows) matches float64 (GEMM ${gemm}, streams ${streams})`, async () => {
        const rows = await runSuite('seed', env);
        expect(failures(rows)).toEqual([]);
        expect(rows.length).toBe(3 * 4 + 3 + 1);
      });
    }
});
