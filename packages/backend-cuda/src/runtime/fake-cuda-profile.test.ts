import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFakeCuda, FAKE_CUDA_SOURCES, fakeCudaWorkspace, runWithFakeCuda } from '../testing-fixtures/fake-cuda.js';

// Profile mode on the cuda backend (CudaExecutable.runTimed, the addon's timeOps) end to end
// over the fake CUDA userspace. The fake driver's clock advances by a fixed cost per op
// (fake-cuda/fake_internal.h: a launch 0.003 ms, a cuBLAS GEMM 1e-6·m·n·k + 0.005 ms, a
// cuBLASLt GEMM (1e-6·m·n·k + 0.01) ms times its algorithm's factor), so each kernel's time
// is known exactly: a wrong op-to-kernel sum, or cuBLASLt's tuning counted in a GEMM's time,
// changes it. Child scripts run the built packages (dist), as in fake-cuda.test.ts.
// The timed run is one graph launch with event record nodes around the ops; where the driver
// lacks cuEventRecordWithFlags (a fake built without it) or it fails
// (FAKE_CUDA_RECORD_EXTERNAL=unsupported), the ops run uncaptured instead, with the same times.
const { scratch, libDir, reason, cxx } = fakeCudaWorkspace('profile-');

// The child: each function is called twice with { profile: true } first (so cuBLASLt tunes
// inside the first timed run), then twice without; prints the profiles, both runs' results,
// the fakes' log lines of the profiled calls, and runTimed on a hand-built executable.
const RUNNER = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { contiguousView, fn, getBackend, matmulEpiloguePattern, sx, T } from '@symgrad/core';
import { cudaInfo, cudaProfileTiming } from '@symgrad/backend-cuda';
import { buildSeedStep, TestRandom } from '@symgrad/core/testing/reference';
const logPath = process.env.FAKE_CUDA_LOG;
const logLines = () => readFileSync(logPath, 'utf8').split('\\n').filter(Boolean);
const shapes = (p) => p.kernels.map((k) => (k.kind === 'matmul'
  ? { kind: k.kind, mnk: k.m * k.n * k.k * k.batch.reduce((a, b) => a * b, 1), n: k.n, k: k.k, epilogue: k.epilogue ? matmulEpiloguePattern(k.epilogue.expr, k.dtype, k.epilogue.inputs[0] && p.buffers[k.epilogue.inputs[0].buffer].dtype) ?? 'other' : undefined }
  : { kind: k.kind }));
const data = (r) => (Array.isArray(r) ? r : [r]).map((a) => Array.from(a.data));

// make(profile) builds a fresh function (fresh shared variables from the same seed) and its arguments.
async function compare(make) {
  const runs = {};
  for (const profile of [true, false]) {
    const { f, args, shared } = make(profile);
    const before = logLines().length;
    const calls = [];
    for (let c = 0; c < 2; c++) calls.push(data(await f(...args)));
    const log = logLines().slice(before);
    runs[profile ? 'profiled' : 'plain'] = {
      calls, shared: shared.map((s) => Array.from(s.get().data)), log,
      ...(profile ? { profile: f.profile(), kernels: shapes(f.program), timing: cudaProfileTiming() } : {}),
    };
    f.dispose();
  }
  return runs;
}

const seed = await compare((profile) => {
  const rng = new TestRandom(3);
  const st = buildSeedStep(rng, [64, 48, 32, 10], 0.1);
  const f = fn([st.x, st.y], [st.loss, ...st.grads], { backend: 'cuda', updates: st.updates, profile });
  return { f, args: [rng.array([37, 64], 'float32', -1, 1), rng.array([37], 'int32', 0, 9)], shared: st.weights };
});

// A relu layer (its relu inside the GEMM under cuBLASLt), its gradient (a GEMM and a generated
// epilogue) and a sum; K and N above 16, so both products are GEMMs.
const small = await compare((profile) => {
  const rng = new TestRandom(5);
  const [x, w1, d, w2] = [T.matrix('x'), T.matrix('w1'), T.matrix('d'), T.matrix('w2')];
  const h = T.relu(T.dot(x, w1));
  const f = fn([x, w1, d, w2], [h, T.where(T.gt(h, 0), T.dot(d, T.transpose(w2)), 0), T.sum(T.mul(h, h))], { backend: 'cuda', profile });
  return { f, args: [[7, 19], [19, 130], [7, 17], [130, 17]].map((s) => rng.array(s, 'float32', -1, 1)), shared: [] };
});

// runTimed on an executable of its own: it computes, and a disposed one refuses.
const b = await getBackend('cuda');
const program = {
  buffers: [{ id: 0, dtype: 'float32', size: 6, role: 'input' }, { id: 1, dtype: 'float32', size: 6, role: 'output' }],
  kernels: [{ kind: 'elementwise', shape: [6], inputs: [contiguousView(0, [6])], outputs: [contiguousView(1, [6])], exprs: [sx.unary('relu', sx.input(0, 'float32'))], label: 'relu' }],
};
const bufs = [b.allocate('float32', 6), b.allocate('float32', 6)];
b.write(bufs[0], Float32Array.from([-2, -1, 0, 1, 2, 3]));
const exe = b.compile(program, { precision: 'fp32' });
const ms = await exe.runTimed(bufs);
const timing = exe.lastTiming;
const relu = Array.from(await b.read(bufs[1]));
exe.dispose();
let disposedError;
try { await exe.runTimed(bufs); } catch (e) { disposedError = e.message; }
// A failing op (a GEMM reading outside device memory) names the call and the op; the device
// carries on. (The fake reports the bad read from cuGraphLaunch, before which nothing ran on a
// real driver, so the addon falls back to the direct path, whose error names the op.)
const addon = createRequire(import.meta.url)(cudaInfo().addon.path);
const bad = { kind: 'gemm', what: 'kernel 7 (matmul): bad pointers', stream: 0, waits: [], f64: false, tf32: false, lt: false, epilogue: 0, bias: 0n, biasBatchStride: 0,
  opA: 0, opB: 0, m: 2, n: 2, k: 2, lda: 2, ldb: 2, ldc: 2, batch: 1, alpha: 1, beta: 0, A: 16n, B: 16n, C: 16n, strideA: 0, strideB: 0, strideC: 0 };
let opError;
try { addon.timeOps([bad]); } catch (e) { opError = e.message; }
const again = b.compile(program, { precision: 'fp32' });
b.write(bufs[0], Float32Array.from([3, -3, 2, -2, 1, -1]));
await again.runTimed(bufs);
const after = Array.from(await b.read(bufs[1]));
console.log('RESULT ' + JSON.stringify({ seed, small, direct: { ms, timing, relu, disposedError, opError, after, afterTiming: again.lastTiming } }));
`;
const runner = join(scratch, 'profile-runner.mjs');
writeFileSync(runner, RUNNER);

interface ProfileRow { index: number; label: string; calls: number; totalMs: number }
interface Run {
  calls: number[][][];
  shared: number[][];
  log: string[];
  profile?: { clock: string; kernels: ProfileRow[]; table: string };
  kernels?: { kind: string; mnk?: number; n?: number; k?: number; epilogue?: string }[];
  timing?: Timing;
}
interface Timing { method: 'graph' | 'direct'; fallback?: string }
interface Result {
  seed: Record<'profiled' | 'plain', Run>;
  small: Record<'profiled' | 'plain', Run>;
  direct: { ms: number[]; timing?: Timing; relu: number[]; disposedError?: string; opError?: string; after: number[]; afterTiming?: Timing };
}

let runNo = 0;
async function runProfile(env: Record<string, string>, lib = libDir!): Promise<Result> {
  const log = join(scratch, `log-${runNo++}.txt`);
  writeFileSync(log, '');
  const r = await runWithFakeCuda(lib, runner, { FAKE_CUDA_LOG: log, ...env }, 300_000);
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  expect(line, `child exited ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}\nlog tail:\n${readFileSync(log, 'utf8').split('\n').slice(-20).join('\n')}`).toBeDefined();
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(line!.slice(7)) as Result;
}

/**
 * Each kernel's time on the fake clock: its GEMM (cuBLASLt: the tuned algorithm, factor 1) and
 * its launches. A product with N or K of at most 16 is one generated kernel (kernels-matmul-skinny.ts);
 * a softmax cross-entropy right after a `rows` product (N ≤ 16 < K) runs inside it, taking no time of its own.
 */
function expectedMs(kernels: NonNullable<Run['kernels']>, lt: boolean): number[] {
  const launch = 0.003;
  return kernels.map((k, i) => {
    const prev = kernels[i - 1];
    if (k.kind === 'softmaxCrossEntropy' && prev?.kind === 'matmul' && prev.n! <= 16 && prev.k! > 16) return 0;
    if (k.kind !== 'matmul' || k.n! <= 16 || k.k! <= 16) return launch;
    // Under cuBLASLt a relu epilogue runs inside the GEMM; a relu gradient ('reluMask') stays generated.
    const generated = !!k.epilogue && !(lt && k.epilogue === 'relu');
    return (lt ? 1e-6 * k.mnk! + 0.01 : 1e-6 * k.mnk! + 0.005) + (generated ? launch : 0);
  });
}

function expectProfiled(name: string, runs: Record<'profiled' | 'plain', Run>, lt: boolean, method: 'graph' | 'direct', probed: boolean): void {
  const { profiled, plain } = runs;
  const p = profiled.profile!;
  const kernels = profiled.kernels!;
  expect(p.clock, name).toBe('device');
  expect(p.kernels.map((r) => r.index), `${name}: one row per Program kernel`).toEqual(kernels.map((_, i) => i));
  expect(p.table).toContain("times from the device's clock");
  // The loss runs inside the logits' product: its row says so instead of a share.
  const loss = kernels.findIndex((k) => k.kind === 'softmaxCrossEntropy');
  if (loss > 0 && expectedMs(kernels, lt)[loss] === 0) expect(p.table, name).toMatch(new RegExp(`^#${loss} +\\S.* 0\\.000 +in #${loss - 1}$`, 'm'));
  for (const r of p.kernels) {
    expect(r.calls, `${name} kernel ${r.index}`).toBe(2);
    expect(Number.isFinite(r.totalMs) && r.totalMs >= 0, `${name} kernel ${r.index}: ${r.totalMs} ms`).toBe(true);
  }
  kernels.forEach((k, i) => { if (k.kind === 'matmul') expect(p.kernels[i]!.totalMs, `${name}: GEMM kernel ${i}`).toBeGreaterThan(0); });
  const want = expectedMs(kernels, lt);
  p.kernels.forEach((r, i) => expect(r.totalMs / 2, `${name} kernel ${i} (${kernels[i]!.kind}) ms per call`).toBeCloseTo(want[i]!, 5));
  // The timed run really runs: outputs and updated variables as a graph replay gives them.
  expect(profiled.calls, `${name}: outputs`).toEqual(plain.calls);
  expect(profiled.shared, `${name}: updated shared variables`).toEqual(plain.shared);
  expect(profiled.timing?.method, `${name}: timing method (${profiled.timing?.fallback ?? ''})`).toBe(method);
  // Every op on the device's one stream. The graph path: each call's ops replayed from one
  // graph, between event record nodes (one before each op, one after the last), after any
  // cuBLASLt tuning, which runs eagerly before the first launch; the direct path: nothing replayed.
  const work = profiled.log.filter((l) => /^op=(kernel|gemm|ltmatmul) /.test(l));
  expect(work.length).toBeGreaterThan(0);
  expect(new Set(work.map((l) => / stream=(\d+) /.exec(l)?.[1])).size, `${name}: streams used while profiling`).toBe(1);
  const replayed = work.filter((l) => l.includes(' mode=replay '));
  const launches = profiled.log.filter((l) => l.startsWith('op=graph_launch '));
  if (method === 'graph') {
    // One graph launch per profiled call, after one that probed the timing nodes (two, no op)
    // where this is the process's first profiled run (the device remembers the answer).
    const probe = probed ? 1 : 0;
    expect(launches, `${name}: one graph launch per profiled call${probed ? ', and the probe' : ''}`).toHaveLength(2 + probe);
    const firstLaunch = profiled.log.findIndex((l) => l.startsWith('op=graph_launch '));
    const eager = profiled.log.map((l, i) => [l, i] as const).filter(([l]) => /^op=(kernel|gemm|ltmatmul) mode=eager /.test(l));
    expect(eager.filter(([l, i]) => i > firstLaunch || !l.startsWith('op=ltmatmul ')), `${name}: eager work besides tuning`).toEqual([]);
    expect(replayed.length, `${name}: replayed ops`).toBeGreaterThan(0);
    expect(profiled.log.filter((l) => l.startsWith('op=event_record mode=replay ')), `${name}: event record nodes`).toHaveLength(replayed.length + 2 + 2 * probe);
  } else {
    expect(replayed, `${name}: graph work on the direct path`).toEqual([]);
    expect(launches, `${name}: graph launches on the direct path`).toEqual([]);
  }
  expect(plain.log.some((l) => l.includes(' mode=replay ')), `${name}: the plain run replays its graph`).toBe(true);
}

function expectRun(result: Result, lt: boolean, method: 'graph' | 'direct', fallback?: RegExp): void {
  expectProfiled('seed step', result.seed, lt, method, true);
  expectProfiled('relu layer and gradient', result.small, lt, method, false);
  if (lt) {
    // The forward relus run inside their GEMMs.
    for (const runs of [result.seed, result.small]) {
      const timed = runs.profiled.log.filter((l) => l.startsWith('op=ltmatmul '));
      expect(timed.some((l) => l.includes(' epilogue=RELU '))).toBe(true);
    }
  }
  expect(result.direct.ms).toHaveLength(1);
  expect(result.direct.ms[0]).toBeCloseTo(0.003, 5);
  expect(result.direct.relu).toEqual([0, 0, 0, 1, 2, 3]);
  expect(result.direct.disposedError).toBe('cuda: running a disposed executable');
  expect(result.direct.opError).toMatch(/^cublasSgemm failed \(kernel 7 \(matmul\): bad pointers\): CUBLAS_STATUS_EXECUTION_FAILED/);
  expect(result.direct.after).toEqual([3, 0, 2, 0, 1, 0]);
  for (const timing of [result.direct.timing, result.direct.afterTiming, result.seed.profiled.timing, result.small.profiled.timing]) {
    expect(timing?.method).toBe(method);
    if (fallback) expect(timing?.fallback).toMatch(fallback);
    else expect(timing?.fallback).toBeUndefined();
  }
}

// The defaults (cuBLASLt, up to four streams), then plain cuBLAS on one stream.
const SETTINGS: Record<string, string>[] = [{}, { SYMGRAD_CUDA_GEMM: 'cublas', SYMGRAD_CUDA_STREAMS: '1' }];
const describeSettings = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ') || 'default settings';

describe.skipIf(!libDir)(`profile mode over the fake CUDA userspace${libDir ? '' : ` (skipped: ${reason})`}`, () => {
  it('the fake driver records events as cuEventRecordWithFlags is documented to (fake-cuda/event_selftest.cc)', () => {
    const exe = join(scratch, 'event-selftest');
    execFileSync(cxx!, ['-std=c++17', '-O1', '-Wall', '-Werror', '-o', exe, join(FAKE_CUDA_SOURCES, 'event_selftest.cc'), join(libDir!, 'libcuda.so.1'), `-Wl,-rpath,${libDir!}`]);
    let out: string;
    try {
      out = execFileSync(exe, { env: { ...process.env, FAKE_CUDA_LOG: '', FAKE_CUDA_RECORD_EXTERNAL: '' }, stdio: 'pipe' }).toString();
    } catch (e) {
      const err = e as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`event_selftest failed:\n${err.stdout?.toString() ?? ''}\n${err.stderr?.toString() ?? ''}`);
    }
    expect(out).toMatch(/^ok {3}EXTERNAL outside capture is CUDA_ERROR_INVALID_VALUE: rc 1$/m);
    expect(out.split('\n').filter((l) => l.startsWith('ok ')).length, out).toBe(11);
  });

  for (const env of SETTINGS) {
    const lt = env.SYMGRAD_CUDA_GEMM !== 'cublas';
    it(`times each Program kernel on the device clock in one graph launch, computing what a normal run computes (${describeSettings(env)})`, { timeout: 300_000 }, async () => {
      expectRun(await runProfile(env), lt, 'graph');
    });
  }

  for (const env of SETTINGS) {
    const lt = env.SYMGRAD_CUDA_GEMM !== 'cublas';
    it(`falls back to uncaptured ops, with the same times, when cuEventRecordWithFlags fails in the capture (${describeSettings(env)})`, { timeout: 300_000 }, async () => {
      const result = await runProfile({ ...env, FAKE_CUDA_RECORD_EXTERNAL: 'unsupported' });
      expectRun(result, lt, 'direct', /^timing event record nodes do not work here: cuEventRecordWithFlags failed \(.+\): CUDA_ERROR_NOT_SUPPORTED \(801\)/);
    });
  }

  it('falls back to uncaptured ops, with the same times, where the driver lacks cuEventRecordWithFlags', { timeout: 300_000 }, async () => {
    const old = buildFakeCuda(join(scratch, 'lib-no-record-with-flags'), ['FAKE_CUDA_NO_EVENT_RECORD_WITH_FLAGS'])!;
    expectRun(await runProfile({}, old), true, 'direct', /^the driver lacks cuEventRecordWithFlags$/);
  });
});
