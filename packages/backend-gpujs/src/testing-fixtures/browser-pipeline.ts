/**
 * Test-only (browser bundle): texture pipeline checks on real WebGL2 textures. Counts GL
 * textures through the context's prototype, host reads and uploads through the backend's
 * counters, and compares texture mode with host-array mode on the same browser.
 */
import { fn, getBackend, registerBackend, shared, T } from '@symgrad/core';
import { buildSeedStep, relativeError, runKernelCase, TestRandom } from '@symgrad/core/testing/reference';
import { GpujsBackend } from '../index.js';
import { loadGpu } from '../runtime/gpu-loader.js';
import { partialViewsCase } from './partial-views.js';

export interface PipelineResults {
  /** Per training step with updates, reading only the loss. */
  hostReadsPerStep: number;
  uploadsPerStep: number;
  /** GL textures created per training step (texture mode; recycled outputs create none). */
  glTexturesPerStep: number;
  /** Launches that fell back to a host round trip over the measured steps (expected 0). */
  hostFallbacks: number;
  /** Weights after the steps: texture mode against host-array mode. */
  trainRelDiff: number[];
  /** In-place updates over several runs against a float64 recurrence. */
  inPlaceRelError: number;
  inPlaceHostReads: number;
  /** After every function, buffer and both backends are disposed: texture handles, and GL textures created during the checks still alive. */
  liveAfterDispose: number;
  glLiveDelta: number;
  msPerStep: { textures: number; host: number };
  /** partial-views.ts: worst relative error per buffer, and launches that used the host fallback (expected 1). */
  partialViewErrors: number[];
  partialViewFallbacks: number;
  /** Read-backs (packed four values to a texel, textures.ts) of results of awkward sizes, in turn: the largest absolute error of each (expected 0). */
  readBackErrors: Record<string, number>;
}

/** GL textures created since the counter was (re)started and not deleted yet. */
const glLive = new Set<WebGLTexture>();
/** GL textures ever created. */
let glCreated = 0;
/** Tracks GL textures of every WebGL2 context (installed before gpu.js creates one). */
export function installGlTextureCounter(): void {
  const proto = WebGL2RenderingContext.prototype;
  const create = proto.createTexture;
  const del = proto.deleteTexture;
  proto.createTexture = function (this: WebGL2RenderingContext) {
    const t = create.call(this);
    glCreated++;
    if (t) glLive.add(t);
    return t;
  };
  proto.deleteTexture = function (this: WebGL2RenderingContext, t: WebGLTexture | null) {
    if (t) glLive.delete(t);
    del.call(this, t);
  };
}

const HOST = 'gpujs-host-arrays';
const TEX = 'gpujs-textures';
function register(name: string, textures: boolean): void {
  registerBackend(name, {
    availability: () => ({ ok: true }),
    async create() {
      const p = await loadGpu();
      if (!p.ok) throw new Error(p.reason);
      return new GpujsBackend(p.gpu, p.device, { textures });
    },
  }, -100);
}

async function train(backend: string, steps: number): Promise<{ weights: Float32Array[]; ms: number; glPerStep: number; fallbacks: number; reads: number; uploads: number }> {
  const s = buildSeedStep(new TestRandom(21), [64, 48, 32, 10], 0.1);
  const rng = new TestRandom(22);
  const X = rng.array([37, 64]);
  const Y = rng.array([37], 'int32', 0, 9);
  const f = fn([s.x, s.y], s.loss, { backend, updates: s.updates });
  await f(X, Y); // compile and warm up
  const b = (await getBackend(backend)) as GpujsBackend;
  const before = b.textureStats();
  const created0 = glCreated;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await f(X, Y);
  const ms = (performance.now() - t0) / steps;
  const glPerStep = (glCreated - created0) / steps;
  const after = b.textureStats();
  const weights = await Promise.all(s.weights.map(async (w) => (await w.read()).data as Float32Array));
  f.dispose();
  s.weights.forEach((w) => w.dispose());
  return { weights, ms, glPerStep, fallbacks: after.fallbacks - before.fallbacks, reads: (after.hostReads - before.hostReads) / steps, uploads: (after.uploads - before.uploads) / steps };
}

export async function pipelineChecks(): Promise<PipelineResults> {
  glLive.clear();
  register(HOST, false);
  register(TEX, true);
  const steps = 10;
  const tex = await train(TEX, steps);
  const host = await train(HOST, steps);

  // In place: w ← w − 0.1·xᵀ(x·w) (a matmul accumulating into w) and v ← 0.5·v + 1.
  const n = 6;
  const x = T.matrix('x');
  const w0 = Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
  const w = shared({ data: w0, shape: [n, n] }, 'w', 'float32');
  const v = shared({ data: Float32Array.from({ length: n }, (_, i) => i), shape: [n] }, 'v', 'float32');
  const f = fn([x], [], { backend: TEX, updates: [[w, w.sub(T.dot(x.T, T.dot(x, w)).mul(0.1))], [v, v.mul(0.5).add(1)]] });
  const X = Float32Array.from({ length: 4 * n }, (_, i) => Math.sin(i + 1) * 0.5);
  let W = Array.from(w0);
  let V = Array.from({ length: n }, (_, i) => i);
  const b = (await getBackend(TEX)) as GpujsBackend;
  const reads0 = b.textureStats().hostReads;
  for (let r = 0; r < 5; r++) {
    await f({ data: X, shape: [4, n] });
    const XW = Array.from({ length: 4 * n }, (_, idx) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += X[Math.floor(idx / n) * n + k]! * W[k * n + (idx % n)]!;
      return s;
    });
    W = W.map((wv, idx) => {
      let s = 0;
      for (let k = 0; k < 4; k++) s += X[k * n + Math.floor(idx / n)]! * XW[k * n + (idx % n)]!;
      return wv - 0.1 * s;
    });
    V = V.map((vv) => 0.5 * vv + 1);
  }
  const inPlaceHostReads = b.textureStats().hostReads - reads0;
  const inPlaceRelError = Math.max(relativeError((await w.read()).data, Float64Array.from(W)), relativeError((await v.read()).data, Float64Array.from(V)));
  f.dispose();
  w.dispose();
  v.dispose();
  // Sizes below, at and past a texel of four, primes, and sizes that pack to the same texel count.
  const readBackErrors: Record<string, number> = {};
  for (const size of [1, 3, 4, 5, 13, 16, 14, 13, 17, 4099]) {
    const data = Float32Array.from({ length: size }, (_, i) => Math.fround(Math.sin(i + size) * 100));
    const u = shared({ data, shape: [size] }, 'u', 'float32');
    const g = fn([], u.mul(2).add(1), { backend: TEX });
    const got = (await g()).data;
    readBackErrors[`${size}`] = Math.max(readBackErrors[`${size}`] ?? 0, ...Array.from(data, (d, i) => Math.abs(got[i]! - Math.fround(d * 2 + 1))));
    g.dispose();
    u.dispose();
  }
  const fb0 = b.textureStats().fallbacks;
  const partialViewErrors = await runKernelCase(b, partialViewsCase());
  const partialViewFallbacks = b.textureStats().fallbacks - fb0;
  const liveAfterDispose = b.textureStats().live;
  b.dispose();
  (await getBackend(HOST)).dispose?.();
  return {
    hostReadsPerStep: tex.reads, uploadsPerStep: tex.uploads, glTexturesPerStep: tex.glPerStep, hostFallbacks: tex.fallbacks,
    trainRelDiff: tex.weights.map((wt, i) => relativeError(wt, host.weights[i]!)),
    inPlaceRelError, inPlaceHostReads, liveAfterDispose, glLiveDelta: glLive.size,
    msPerStep: { textures: tex.ms, host: host.ms }, partialViewErrors, partialViewFallbacks, readBackErrors,
  };
}
