/**
 * symgrad's side of the GPU benchmark: the seed step and single GEMMs on a GPU backend
 * ('cuda' or 'webgpu'), with every operand in shared variables so that nothing crosses the
 * bus between steps (Theano's way: the data live on the device; PyTorch's and JAX's anchors
 * are measured the same way). A run enqueues its steps back to back and reads one result at
 * the end, so the time per step is the device's throughput, not a round trip.
 */
import { T, fn, shared, NDArray, type Precision } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing/reference';
import { uniformF32, type MlpData } from '../data.js';
import { seedGraph } from '../seed-graph.js';
import { stepFlops } from '../harness.js';
import { kernelFlops, symgradDecoderStep, symgradEmbeddingStep, symgradLstmStep, symgradTransformerStep, type KernelSpec, type SymgradTrainingStep } from '../kernels.js';
import { relativeError } from '@symgrad/core/testing/reference';

export interface GpuTiming {
  readonly peer: string;
  readonly item: string;
  /** Microseconds per step (or per call), enqueued back to back with one read at the end. */
  readonly us: number;
  readonly reps: number;
  readonly tflops: number;
  readonly note: string;
}

/** Times `run` enqueued `reps` times after `warm` warm-up calls; `finish` waits for the device. */
async function throughput(run: () => void, finish: () => Promise<unknown>, warm: number, reps: number): Promise<number> {
  for (let i = 0; i < warm; i++) run();
  await finish();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  await finish();
  return ((performance.now() - t0) * 1000) / reps;
}

/** The seed step (MLP f → h → h → c, SGD) on `backend`, data and weights in shared variables. */
export async function timeSeedStep(backend: string, precision: Precision, d: MlpData, reps: number): Promise<GpuTiming & { losses: number[] }> {
  const { rows, features, hidden, classes } = d.shape;
  const x = shared(new NDArray('float32', [rows, features], d.x.slice()), 'x');
  const y = shared(new NDArray('int32', [rows], d.y.slice()), 'y');
  const g = seedGraph(d, x, y);
  const train = fn([], g.loss, { backend, precision, updates: g.updates });
  try {
    const t0 = performance.now();
    const first = (await train()).item();
    const firstMs = performance.now() - t0;
    let last: ReturnType<typeof train.enqueue> | undefined;
    const us = await throughput(() => { last = train.enqueue(); }, async () => last!.read(), Math.min(20, reps), reps);
    // One step with its loss read each time: the latency a training loop that logs every step pays.
    const t1 = performance.now();
    const lat = Math.min(20, reps);
    let final = 0;
    for (let i = 0; i < lat; i++) final = (await train()).item();
    const roundTripUs = ((performance.now() - t1) * 1000) / lat;
    const flops = stepFlops(rows, features, hidden, classes);
    const s = train.stats();
    return {
      peer: `symgrad ${backend}`, item: `seed step ${precision}`, us, reps, tflops: flops / us / 1e6, losses: [first, final],
      note: `${s.kernels} kernels; first call ${firstMs.toFixed(0)} ms; with the loss read every step ${roundTripUs.toFixed(0)} µs/step`,
    };
  } finally {
    train.dispose();
    for (const v of [x, y, ...g.weights]) v.dispose();
  }
}

/** Time per kernel of the seed step, from `fn`'s profile mode. */
export interface SeedProfile {
  readonly peer: string;
  readonly item: string;
  /** 'device' where the backend times kernels on the device's clock, else 'host'. */
  readonly clock: string;
  /** Program order: each kernel's label and its mean µs per step. */
  readonly kernels: readonly { readonly label: string; readonly us: number }[];
  readonly steps: number;
  /** The profile table as `f.profile()` prints it. */
  readonly note: string;
}

/** The seed step under `{ profile: true }`: `steps` awaited steps after one warm-up, µs per kernel. */
export async function profileSeedStep(backend: string, precision: Precision, d: MlpData, steps: number): Promise<SeedProfile> {
  const { rows, features } = d.shape;
  const x = shared(new NDArray('float32', [rows, features], d.x.slice()), 'x');
  const y = shared(new NDArray('int32', [rows], d.y.slice()), 'y');
  const g = seedGraph(d, x, y);
  const warm = fn([], g.loss, { backend, precision, updates: g.updates });
  const train = fn([], g.loss, { backend, precision, updates: g.updates, profile: true });
  try {
    await warm(); // compiles the kernels' shared pipelines and modules outside the profile
    for (let i = 0; i < steps; i++) await train();
    const p = train.profile();
    return {
      peer: `symgrad ${backend}`, item: `seed step ${precision} profile`, clock: p.clock, steps,
      kernels: p.kernels.map((k) => ({ label: k.label, us: (1000 * k.totalMs) / Math.max(k.calls, 1) })), note: p.table,
    };
  } finally {
    warm.dispose();
    train.dispose();
    for (const v of [x, y, ...g.weights]) v.dispose();
  }
}

export interface GemmShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
}

export const gemmName = (s: GemmShape): string => `sgemm ${s.m}×${s.n}×${s.k}${s.transA ? ' Aᵀ' : ''}${s.transB ? ' Bᵀ' : ''}`;

/** The seed step's GEMM shapes (forward, dX and dW forms) and the square 2048³. */
export const GPU_GEMMS: readonly GemmShape[] = [
  { m: 800, n: 1000, k: 1000, transA: false, transB: false },
  { m: 800, n: 1000, k: 1000, transA: false, transB: true },
  { m: 1000, n: 1000, k: 800, transA: true, transB: false },
  { m: 2048, n: 2048, k: 2048, transA: false, transB: false },
];

/** The largest error a GEMM's sampled entries may have, relative to Σ|a·b| (the bound of a K-term sum). */
export const GEMM_TOLERANCE: Readonly<Record<Precision, number>> = { fp32: 1e-4, tf32: 1e-2 };

/**
 * The largest error of `samples` random entries (every entry where samples ≥ M·N) of
 * C = op(A)·op(B) (A, B as stored), each against its
 * float64 dot product and relative to Σ|a·b|, so cancellation does not inflate it. A timed
 * kernel that computes the wrong thing (a race, a bad tile index) shows here, at O(1).
 */
export function gemmSampleError(s: GemmShape, a: Float32Array, b: Float32Array, c: ArrayLike<number>, samples = 256): number {
  const rng = new TestRandom(13);
  let worst = 0;
  const all = samples >= s.m * s.n; // then every entry, in order
  for (let t = 0; t < Math.min(samples, s.m * s.n); t++) {
    const i = all ? Math.floor(t / s.n) : rng.int(0, s.m - 1);
    const j = all ? t % s.n : rng.int(0, s.n - 1);
    let dot = 0;
    let mag = 0;
    for (let p = 0; p < s.k; p++) {
      const x = a[s.transA ? p * s.m + i : i * s.k + p]! * b[s.transB ? j * s.k + p : p * s.n + j]!;
      dot += x;
      mag += Math.abs(x);
    }
    const err = Math.abs(c[i * s.n + j]! - dot) / (mag || 1);
    if (Number.isNaN(err)) return Number.NaN;
    worst = Math.max(worst, err);
  }
  return worst;
}

/**
 * C = op(A)·op(B) on `backend` with A, B in shared variables, called back to back; its result
 * is checked first (sampled entries within GEMM_TOLERANCE of float64, else it throws). With
 * `perCall` > 1 one call computes that many independent products (A times B₁, B₂, …), and
 * `us` is per product: beside the one-product row it shows what each call's submission costs.
 */
export async function timeGemm(backend: string, precision: Precision, s: GemmShape, reps: number, note = '', perCall = 1): Promise<GpuTiming> {
  const a = uniformF32(s.m * s.k, 11);
  const bs = Array.from({ length: perCall }, (_, i) => uniformF32(s.k * s.n, 12 + i));
  const A = shared(new NDArray('float32', s.transA ? [s.k, s.m] : [s.m, s.k], a.slice()), 'A');
  const Bs = bs.map((b, i) => shared(new NDArray('float32', s.transB ? [s.n, s.k] : [s.k, s.n], b.slice()), `B${i}`));
  const f = fn([], Bs.map((B) => T.dot(s.transA ? A.T : A, s.transB ? B.T : B)), { backend, precision });
  const item = `${gemmName(s)}${perCall > 1 ? ` ×${perCall} per call` : ''} ${precision}`;
  try {
    const results = await f();
    const err = Math.max(...results.map((c, i) => gemmSampleError(s, a, bs[i]!, c.data as Float32Array)));
    if (!(err <= GEMM_TOLERANCE[precision])) {
      throw new Error(`${item} gave a wrong result: sampled error ${err.toExponential(2)} of Σ|a·b| exceeds ${GEMM_TOLERANCE[precision]}${note ? ` (${note})` : ''}`);
    }
    let last: ReturnType<typeof f.enqueue> | undefined;
    const us = (await throughput(() => { last = f.enqueue(); }, async () => last![0]!.read(), Math.min(10, reps), reps)) / perCall;
    const checked = `${perCall > 1 ? `${perCall} independent products per call, µs per product; ` : ''}sampled error ${err.toExponential(1)}`;
    return { peer: `symgrad ${backend}`, item, us, reps, tflops: (2 * s.m * s.n * s.k) / us / 1e6, note: note ? `${note}; ${checked}` : checked };
  } finally {
    f.dispose();
    A.dispose();
    for (const B of Bs) B.dispose();
  }
}

/** Small stand-ins of GPU_GEMMS (awkward sizes) for checking the benchmark itself on a software renderer. */
export const SMALL_GEMMS: readonly GemmShape[] = [
  { m: 37, n: 50, k: 41, transA: false, transB: false },
  { m: 37, n: 50, k: 41, transA: false, transB: true },
  { m: 50, n: 50, k: 37, transA: true, transB: false },
];

/** The table after two embedding steps on the GPU may differ from the cpu backend's by float32 sums in another order. */
export const EMBEDDING_TOLERANCE = 1e-5;

/** How far the LSTM's weights after two steps may be from the cpu backend's (float32 sums over 40 steps in other orders). */
export const LSTM_TOLERANCE = 1e-4;

/**
 * The embedding step (a lookup, its gradient and the SGD update, which the compiler makes a
 * scatterAdd into the table) on `backend`: the table after two steps checked against the
 * cpu backend's, then the steps enqueued back to back.
 */
export function timeEmbeddingStep(backend: string, s: Extract<KernelSpec, { kind: 'embedding' }>, reps: number): Promise<GpuTiming> {
  return timeCheckedStep(backend, s, reps, (b) => symgradEmbeddingStep(s, b), 'table', EMBEDDING_TOLERANCE);
}

/** The LSTM step of `pnpm bench` on `backend`, its weights after two steps checked against the cpu backend's. */
export function timeLstmStep(backend: string, s: Extract<KernelSpec, { kind: 'lstm' }>, reps: number): Promise<GpuTiming> {
  return timeCheckedStep(backend, s, reps, (b) => symgradLstmStep(s, b), 'weights', LSTM_TOLERANCE);
}

/** The transformer encoder step of `pnpm bench` on `backend`, its weights after two steps checked against the cpu backend's. */
export function timeTransformerStep(backend: string, s: Extract<KernelSpec, { kind: 'transformer' }>, reps: number): Promise<GpuTiming> {
  return timeCheckedStep(backend, s, reps, (b) => symgradTransformerStep(s, b), 'weights', LSTM_TOLERANCE);
}

/** The transformer decoder step of `pnpm bench` on `backend`, its weights after two steps checked against the cpu backend's. */
export function timeDecoderStep(backend: string, s: Extract<KernelSpec, { kind: 'decoder' }>, reps: number): Promise<GpuTiming> {
  return timeCheckedStep(backend, s, reps, (b) => symgradDecoderStep(s, b), 'weights', LSTM_TOLERANCE);
}

/**
 * A training step on `backend`, µs per step with the loss read at the end, after checking its
 * state (`what`) after two steps against the same step's on the cpu backend: a wrong kernel is
 * never timed.
 */
export async function timeCheckedStep(backend: string, s: KernelSpec, reps: number, build: (backend: string) => SymgradTrainingStep, what: string, tolerance: number): Promise<GpuTiming> {
  const gpu = build(backend);
  const cpu = build('cpu');
  try {
    for (const x of [gpu, cpu]) for (let i = 0; i < 2; i++) await x.step(...x.args);
    // Norm-wise over the whole state: a parameter whose gradient is 0 in exact arithmetic (an
    // attention's key bias) holds rounding noise on every backend, which no per-variable
    // relative error would pass.
    const [got, want] = [gpu, cpu].map(async (x) => (await Promise.all(x.state.map(async (v) => Array.from((await v.read()).data)))).flat());
    const err = relativeError(await got!, await want!);
    if (!(err <= tolerance)) throw new Error(`${s.name}: after two steps, this backend's ${what} and the cpu backend's differ by ${err.toExponential(2)} (tolerance ${tolerance})`);
    let last: ReturnType<typeof gpu.step.enqueue> | undefined;
    const us = await throughput(() => { last = gpu.step.enqueue(...gpu.args); }, async () => (Array.isArray(last) ? last[0]! : last!).read(), Math.min(10, reps), reps);
    return { peer: `symgrad ${backend}`, item: s.name, us, reps, tflops: kernelFlops(s) / us / 1e6, note: `${gpu.step.stats().kernels} kernels; ${what} after two steps vs cpu: ${err.toExponential(1)}` };
  } finally {
    for (const x of [gpu, cpu]) { x.step.dispose(); for (const v of x.state) v.dispose(); }
  }
}
