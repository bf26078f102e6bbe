/**
 * The CUDA backend's device check, for a session with a GPU (see README.md beside this file).
 * Bundled by bundle.mjs into one ES module; run with the carried node binary. Prints a short
 * table last; writes the full log to $OUT/cuda-check.log when $OUT is set.
 */
import { appendFileSync } from 'node:fs';
import { fn, formatProfile, getBackend, listBackends, NDArray, shared, T, type DType, type Precision, type Variable } from '@symgrad/core';
import { buildSeedStep, conformanceRows, evaluateReference, relativeError, TestRandom } from '@symgrad/core/testing/reference';
import { cudaInfo, cudaMemoryInfo, cudaProfileTiming } from '../src/index.js';

const log = (s: string) => {
  console.log(s);
  if (process.env.OUT) appendFileSync(`${process.env.OUT}/cuda-check.log`, `${s}\n`);
};
// --small: every check at sizes a host emulation of CUDA runs in seconds (the bundle's dress
// rehearsal over the fake CUDA userspace, src/runtime/device-check.test.ts); speeds mean nothing then.
const SMALL = process.argv.includes('--small');
const SEED = SMALL
  ? { sizes: [64, 48, 32, 10] as [number, number, number, number], rows: 37, steps: 5, steady: 30 }
  : { sizes: [1000, 1000, 1000, 10] as [number, number, number, number], rows: 800, steps: 200, steady: 10_000 };
/** Profiled calls of the seed step averaged into its per-kernel table (after one warm-up call). */
const PROFILE_CALLS = SMALL ? 2 : 20;
const fits = (elements: number) => !SMALL || elements <= 2e5;
const rows: [string, string, string][] = [];
const record = (name: string, ok: boolean, detail: string) => {
  rows.push([name, ok ? 'ok' : 'FAIL', detail]);
  log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
};


/**
 * The seed step's loss and gradients with the relu masks given as inputs. Rounding decides
 * the sign of a pre-activation within ~1e-7 of zero differently on two devices, and one such
 * flip moves a whole gradient column (observed: 1.5e-3 on g1 in fp32); with the GPU's own
 * masks fed to both sides, what remains is the arithmetic alone.
 */
function maskedSeedGrads(backend: string, dtype: DType, precision: Precision, sizes: readonly number[]) {
  const x = T.tensor(dtype, [null, sizes[0]!], 'x');
  const y = T.ivector('y');
  const m1 = T.tensor(dtype, [null, sizes[1]!], 'm1');
  const m2 = T.tensor(dtype, [null, sizes[2]!], 'm2');
  const [w1, w2, w3] = [0, 1, 2].map((i) => T.tensor(dtype, [sizes[i]!, sizes[i + 1]!], `w${i + 1}`)) as [ReturnType<typeof T.matrix>, ReturnType<typeof T.matrix>, ReturnType<typeof T.matrix>];
  const h1 = T.mul(T.dot(x, w1), m1);
  const h2 = T.mul(T.dot(h1, w2), m2);
  const p = T.softmax(T.dot(h2, w3));
  const loss = T.mean(T.categoricalCrossentropy(p, y));
  const dz3 = T.div(T.sub(p, T.oneHot(y, sizes[3]!, dtype)), T.size(x, 0, dtype));
  const dz2 = T.mul(T.dot(dz3, T.transpose(w3)), m2);
  const dz1 = T.mul(T.dot(dz2, T.transpose(w2)), m1);
  const grads = [T.dot(T.transpose(x), dz1), T.dot(T.transpose(h1), dz2), T.dot(T.transpose(h2), dz3)];
  return fn([x, y, m1, m2, w1, w2, w3], [loss, ...grads], { backend, precision });
}

/** A graph built in a given dtype: its inputs and outputs. */
type Graph = (dtype: 'float32' | 'float64') => { inputs: Variable[]; outputs: Variable[] };

/**
 * The float64 results of `graph` on `values`: on the CPU backend (the graph rebuilt in float64,
 * native kernels) where it is bundled, else core's reference evaluator, which takes minutes
 * for an 800×1000×1000 product.
 */
async function float64Results(graph: Graph, values: readonly NDArray[], cpu: boolean): Promise<NDArray[]> {
  if (!cpu) {
    const g = graph('float32');
    return evaluateReference(g.outputs, new Map(g.inputs.map((v, i) => [v, values[i]!])));
  }
  const g = graph('float64');
  const f = fn(g.inputs, g.outputs, { backend: 'cpu' });
  const out = await f(...values.map((v) => (v.dtype === 'float32' ? v.astype('float64') : v)));
  f.dispose();
  return out;
}

/**
 * Runs `graph` in float32 on the cuda backend and records case `name`: ok where every output
 * is within 1e-5 (relative) of the float64 results (float64Results), else the error.
 */
async function checkAgainstFloat64(name: string, graph: Graph, values: readonly NDArray[], cpu: boolean): Promise<void> {
  try {
    const g = graph('float32');
    const f = fn(g.inputs, g.outputs, { backend: 'cuda' });
    const got = await f(...values);
    f.dispose();
    const want = await float64Results(graph, values, cpu);
    const errs = got.map((r: NDArray, i: number) => relativeError(r.data, want[i]!.data));
    record(name, Math.max(...errs) <= 1e-5, `rel err ${errs.map((e: number) => e.toExponential(2)).join(' ')}`);
  } catch (e) {
    record(name, false, String(e).split('\n').slice(0, 6).join(' | '));
  }
}

async function main(): Promise<void> {
  let cpu = false;
  try {
    // @ts-expect-error resolved by bundle.mjs (an alias to packages/backend-cpu); absent otherwise
    const mod = (await import('@symgrad/backend-cpu')) as { nativeCpuStatus(): { ok: boolean; reason?: string } };
    cpu = true;
    // The CPU reference at full size takes minutes on the TypeScript path: say which one runs.
    const s = mod.nativeCpuStatus();
    log(`cpu backend (the reference): ${s.ok ? 'native' : `TypeScript path (${s.reason})`}`);
  } catch (e) {
    log(`cpu backend not bundled: ${String(e)}`);
  }
  log(JSON.stringify(cudaInfo(), null, 1));
  const backends = await listBackends();
  log(JSON.stringify(backends));
  const cuda = backends.find((x) => x.name === 'cuda');
  if (!cuda?.available) {
    log(`no usable GPU: ${cuda?.reason ?? "the 'cuda' backend is not registered"}`);
    process.exitCode = 3;
    return;
  }
  const b = await getBackend('cuda');
  log(`device: ${b.capabilities.device}`);

  // Kernel cases (of the kinds the backend lists) and op cases (float32, float64), as the conformance suite runs them.
  for (const r of await conformanceRows(b)) record(r.name, r.ok, r.detail);

  // Dense layers, whose epilogues cuBLASLt fuses under SYMGRAD_CUDA_GEMM=cublasLt: relu(x·W + b),
  // x·W + b and relu(x·W), plain and batched, at awkward sizes, against float64.
  for (const [m, k, n] of ([[1, 1, 1], [7, 13, 5], [33, 17, 129], [800, 1000, 1000], [61, 257, 10]] as const).filter(([m, k, n]) => fits(m * k * n))) {
    const rng = new TestRandom(m * 1009 + k * 31 + n);
    // The full-size layer once, unbatched (the reference's time).
    for (const batch of m * k * n > 1e7 ? [0] : [0, 3]) {
      const lead = batch ? [batch] : [];
      const graph: Graph = (dtype) => {
        const x = T.tensor(dtype, [...lead, m, k], 'x');
        const w = T.tensor(dtype, [...lead, k, n], 'w');
        const bias = T.tensor(dtype, [...lead, 1, n], 'b');
        const z = T.matmul(x, w);
        return { inputs: [x, w, bias], outputs: [T.relu(T.add(z, bias)), T.add(z, bias), T.relu(z)] };
      };
      const values = [rng.array([...lead, m, k], 'float32', -1, 1), rng.array([...lead, k, n], 'float32', -1, 1), rng.array([...lead, 1, n], 'float32', -1, 1)] as NDArray[];
      const name = `dense ${batch ? `${batch}×` : ''}${m}×${k}×${n} (relu(xW+b), xW+b, relu(xW))`;
      await checkAgainstFloat64(name, graph, values, cpu);
    }
  }

  // A relu and its gradient (cuBLASLt: a bit mask written by the forward GEMM, read by the
  // backward one). Rows of x are zero, so some pre-activations are exactly 0: the gradient
  // there must be 0, as where(h > 0, …) says.
  for (const [m, k, n, j] of ([[37, 13, 130, 11], [800, 1000, 1000, 1000], [1, 1, 1, 1]] as const).filter(([m, k, n]) => fits(m * k * n))) {
    const rng = new TestRandom(m + 7 * n);
    const graph: Graph = (dtype) => {
      const x = T.tensor(dtype, [m, k], 'x');
      const w1 = T.tensor(dtype, [k, n], 'w1');
      const d = T.tensor(dtype, [m, j], 'd');
      const w2 = T.tensor(dtype, [n, j], 'w2');
      const hidden = T.relu(T.dot(x, w1));
      return { inputs: [x, w1, d, w2], outputs: [hidden, T.where(T.gt(hidden, 0), T.dot(d, T.transpose(w2)), 0)] };
    };
    const X = rng.array([m, k], 'float32', -1, 1) as NDArray;
    for (let r = 0; r < m; r += 3) for (let c = 0; c < k; c++) X.data[r * k + c] = 0;
    const values = [X, rng.array([k, n], 'float32', -1, 1), rng.array([m, j], 'float32', -1, 1), rng.array([n, j], 'float32', -1, 1)] as NDArray[];
    const name = `relu and its gradient ${m}×${k}×${n}, zero rows (h, where(h > 0, d·w2ᵀ, 0))`;
    await checkAgainstFloat64(name, graph, values, cpu);
  }

  // A classifier's head computed inside its logits' product (matmul-row-tail.ts): x·W + b, then
  // softmax cross-entropy and its gradient, or the probabilities (softmax, log-softmax).
  const heads: Record<string, (z: Variable, y: Variable, n: Variable, dtype: 'float32' | 'float64', classes: number) => Variable[]> = {
    'loss and gradient': (z, y, n, dtype, classes) => {
      const p = T.softmax(z);
      return [T.mean(T.categoricalCrossentropy(p, y)), T.div(T.sub(p, T.oneHot(y, classes, dtype)), n)];
    },
    softmax: (z) => [T.softmax(z)],
    'log-softmax': (z) => [T.logSoftmax(z)],
  };
  for (const [m, k, c] of ([[37, 130, 10], [800, 1000, 10], [5, 33, 16]] as const).filter(([m, k, c]) => fits(m * k * c))) {
    const rng = new TestRandom(m * 13 + c);
    const values = [rng.array([m, k], 'float32', -1, 1), rng.array([k, c], 'float32', -1, 1), rng.array([c], 'float32', -1, 1), rng.array([m], 'int32', 0, c - 1)] as NDArray[];
    for (const [what, head] of Object.entries(heads)) {
      const graph: Graph = (dtype) => {
        const x = T.tensor(dtype, [m, k], 'x');
        const w = T.tensor(dtype, [k, c], 'w');
        const bias = T.tensor(dtype, [c], 'b');
        const y = T.ivector('y');
        return { inputs: [x, w, bias, y], outputs: head(T.add(T.dot(x, w), bias), y, T.size(x, 0, dtype), dtype, c) };
      };
      const name = `classifier head ${m}×${k}×${c}: ${what} inside the product`;
      await checkAgainstFloat64(name, graph, values, cpu);
    }
  }

  // The seed step (full size unless --small): agreement with the CPU backend, then time per step.
  const { sizes, rows: batch } = SEED;
  const timing: string[] = [];
  const step = async (backend: string, precision: 'fp32' | 'tf32', steps: number) => {
    const rng = new TestRandom(42);
    const s = buildSeedStep(rng, sizes, 0.1);
    const X = rng.array([batch, sizes[0]], 'float32', -1, 1);
    const Y = rng.array([batch], 'int32', 0, 9);
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
    const gpu = await step('cuda', 'fp32', SEED.steps);
    const gpuTf32 = await step('cuda', 'tf32', SEED.steps);
    if (cpu) {
      const ref = await step('cpu', 'fp32', 3);
      const errs = gpu.first.map((g, i) => relativeError(g.data, ref.first[i]!.data));
      log(`seed step, relu masks decided by each device: fp32 vs cpu ${errs.map((e) => e.toExponential(2)).join(' ')}; tf32 vs cpu ${gpuTf32.first.map((g, i) => relativeError(g.data, ref.first[i]!.data).toExponential(2)).join(' ')}`);
      // Same masks on both sides: the GPU's forward pass decides them, a float64 CPU run is the reference.
      const rng = new TestRandom(42);
      const s0 = buildSeedStep(rng, sizes, 0.1);
      const X = rng.array([batch, sizes[0]], 'float32', -1, 1) as NDArray;
      const Y = rng.array([batch], 'int32', 0, 9) as NDArray;
      const W = s0.weights.map((w) => w.get());
      for (const precision of ['fp32', 'tf32'] as const) {
        const pre = fn([s0.x], [T.dot(s0.x, s0.weights[0]!), T.dot(T.relu(T.dot(s0.x, s0.weights[0]!)), s0.weights[1]!)], { backend: 'cuda', precision });
        const [z1, z2] = await pre(X);
        pre.dispose();
        const mask = (z: NDArray) => { const m = NDArray.zeros(z.shape, 'float32'); for (let i = 0; i < z.size; i++) m.data[i] = z.data[i]! > 0 ? 1 : 0; return m; };
        const [M1, M2] = [mask(z1!), mask(z2!)];
        const onGpu = maskedSeedGrads('cuda', 'float32', precision, sizes);
        const got = await onGpu(X, Y, M1, M2, ...W);
        onGpu.dispose();
        const onCpu = maskedSeedGrads('cpu', 'float64', 'fp32', sizes);
        const want = await onCpu(X.astype('float64'), Y, M1.astype('float64'), M2.astype('float64'), ...W.map((w) => w.astype('float64')));
        onCpu.dispose();
        const e = got.map((g, i) => relativeError(g.data, want[i]!.data));
        const tol = precision === 'fp32' ? 1e-4 : 5e-3;
        record(`seed-step ${precision} vs cpu float64, same relu masks (loss, g1, g2, g3)`, Math.max(...e) <= tol, `${e.map((v) => v.toExponential(2)).join(' ')} (tolerance ${tol})`);
      }
      s0.weights.forEach((w) => w.dispose());
    }
  } catch (e) {
    record('seed-step', false, String(e).split('\n').slice(0, 6).join(' | '));
  }

  // Where the seed step's time goes: each kernel on the device's clock (runTimed: events
  // around every step, the steps one after another on one stream, so the sum can exceed a
  // graph's time). The warm-up call is left out: it loads modules and tunes cuBLASLt. The
  // line after the table says whether the events were record nodes in one graph launch or,
  // the fallback, recorded between uncaptured steps (then short steps also count host gaps).
  const settings = ['SYMGRAD_CUDA_GEMM', 'SYMGRAD_CUDA_STREAMS'].map((k) => `${k}=${process.env[k] ?? '(default)'}`).join(' ');
  for (const precision of ['fp32', 'tf32'] as const) {
    const name = `seed-step profile ${precision}`;
    try {
      const rng = new TestRandom(42);
      const s = buildSeedStep(rng, sizes, 0.1);
      const X = rng.array([batch, sizes[0]], 'float32', -1, 1);
      const Y = rng.array([batch], 'int32', 0, 9);
      const train = fn([s.x, s.y], [s.loss, ...s.grads], { updates: s.updates, backend: 'cuda', precision, profile: true });
      await train(X, Y);
      const warm = train.profile().kernels.map((r) => ({ calls: r.calls, totalMs: r.totalMs }));
      for (let i = 0; i < PROFILE_CALLS; i++) await train(X, Y);
      const { kernels, clock } = train.profile();
      const timed = kernels.map((r, i) => ({ ...r, calls: r.calls - warm[i]!.calls, totalMs: r.totalMs - warm[i]!.totalMs }));
      const timing = cudaProfileTiming();
      const how = timing?.method === 'graph'
        ? 'graph (event record nodes inside one graph launch per call: no host gaps)'
        : `direct (uncaptured steps between events; steps of a few µs may include host gaps): ${timing?.fallback ?? 'not reported'}`;
      log(`\nseed step per kernel, ${precision}, ${settings}, mean of ${PROFILE_CALLS} calls:\n${formatProfile(timed, clock)}\ntiming: ${how}\n`);
      const perCall = timed.map((r) => r.totalMs / PROFILE_CALLS);
      const ok = clock === 'device' && perCall.every((t) => Number.isFinite(t) && t >= 0) && timed.every((r, i) => !r.ops.split('+').includes('matmul') || perCall[i]! > 0);
      record(name, ok, `${clock} clock, ${timed.length} kernels, ${perCall.reduce((a, t) => a + t, 0).toFixed(3)} ms per step summed (serialized), timing: ${timing?.method ?? 'not reported'}`);
      train.dispose();
      s.weights.forEach((w) => w.dispose());
    } catch (e) {
      record(name, false, String(e).split('\n').slice(0, 6).join(' | '));
    }
  }

  // Steady state: 10,000 steps (--small: 30) with the data in shared variables, device memory before and after.
  try {
    const rng = new TestRandom(7);
    const s = buildSeedStep(rng, sizes, 0.01);
    const X = shared(rng.array([batch, sizes[0]], 'float32', -1, 1) as NDArray, 'X');
    const Y = shared(rng.array([batch], 'int32', 0, 9) as NDArray, 'Y');
    const train = fn([], s.loss, { updates: s.updates, givens: [[s.x, X], [s.y, Y]], backend: 'cuda' });
    for (let i = 0; i < 20; i++) train.enqueue();
    await train();
    const before = cudaMemoryInfo()!;
    const t0 = performance.now();
    for (let i = 0; i < SEED.steady; i++) train.enqueue();
    const loss = (await train()).item();
    const after = cudaMemoryInfo()!;
    const ms = performance.now() - t0;
    const grew = before.free - after.free;
    record(`${SEED.steady.toLocaleString('en-US')} steps: device memory growth`, grew <= 0 && Number.isFinite(loss), `free ${(before.free / 2 ** 20).toFixed(0)} → ${(after.free / 2 ** 20).toFixed(0)} MiB, loss ${loss.toFixed(5)}, ${((ms * 1000) / (SEED.steady + 1)).toFixed(0)} µs/step`);
    train.dispose();
    for (const v of [X, Y, ...s.weights]) v.dispose();
  } catch (e) {
    record(`${SEED.steady.toLocaleString('en-US')} steps`, false, String(e).split('\n').slice(0, 6).join(' | '));
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
