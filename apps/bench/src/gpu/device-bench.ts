/**
 * The GPU benchmark, for a machine with a GPU (an H100 through the device tool here): one
 * part per process, so that an idle Dawn device never shares a run with another part.
 *
 *   node device-bench.mjs --part cuda            symgrad cuda: seed step fp32/tf32, GEMMs, the embedding and LSTM steps
 *   node device-bench.mjs --part webgpu          symgrad webgpu: seed step, GEMMs, the embedding and LSTM steps
 *   node device-bench.mjs --part webgpu-gemm     GEMMs only (sweeping SYMGRAD_WEBGPU_MATMUL)
 *   node device-bench.mjs --part webgpu-tuned    the webgpu rows with matmul configs tuned per shape, and the tuning's timings
 *   node device-bench.mjs --part tfjs-webgpu     TensorFlow.js on tfjs-backend-webgpu
 *   node device-bench.mjs --part webgpu-adapter  what the WebGPU adapter offers (features, subgroup matrix configs, limits)
 *   node device-bench.mjs --part cpu             symgrad cpu (native, all cores), beside PyTorch CPU
 *   node device-bench.mjs --part check [--backend webgpu]  core's conformance cases (float32) on a backend, outside vitest
 *
 * Prints one JSON line per row (GpuTiming, SeedProfile, or {peer, item, error}); `--reps` sets the steps
 * timed, `--small` checks the benchmark itself at small sizes, `--seed-only` leaves out the
 * embedding, LSTM and transformer steps (a tuning then times the seed's shapes alone), `--dawn-features a,b` enables
 * Dawn features (toggles) for the webgpu parts, whose rows then name them. The rows are collected into docs/BENCHMARKS.md (GPU section) with the command.
 */
import { parseArgs } from 'node:util';
import { getBackend, listBackends, registerBackend, unregisterBackend } from '@symgrad/core';
import { conformanceRows } from '@symgrad/core/testing/reference';
import '@symgrad/backend-cpu';
import '@symgrad/backend-cuda';
import { createWebGPUBackendFactory, requestWebGPUAdapter, WEBGPU_BACKEND_PRIORITY, withDawnFeatures, type WebGPUBackend } from '@symgrad/backend-webgpu';
import { mlpData, SEED_SHAPE, type MlpShape } from '../data.js';
import { GPU_GEMMS, gemmName, profileSeedStep, SMALL_GEMMS, timeDecoderStep, timeEmbeddingStep, timeGemm, timeLstmStep, timeSeedStep, timeTransformerStep } from './seed-gpu.js';
import { kernelSpecs, type KernelSpec } from '../kernels.js';
import { timeTfjsWebgpuSeedStep } from './tfjs-webgpu.js';

const PARTS = ['cuda', 'webgpu', 'webgpu-gemm', 'webgpu-tuned', 'tfjs-webgpu', 'webgpu-adapter', 'cpu', 'check'] as const;
type Part = (typeof PARTS)[number];

const emit = (o: object): void => console.log(JSON.stringify(o));
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n').slice(0, 8).join(' | ');

async function guarded(peer: string, item: string, f: () => Promise<object>): Promise<void> {
  try {
    emit(await f());
  } catch (e) {
    emit({ peer, item, error: message(e) });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { part: { type: 'string' }, backend: { type: 'string', default: 'webgpu' }, reps: { type: 'string', default: '500' }, small: { type: 'boolean', default: false }, 'seed-only': { type: 'boolean', default: false }, 'dawn-features': { type: 'string' } } });
  const part = values.part as Part;
  if (!PARTS.includes(part)) throw new Error(`--part must be one of ${PARTS.join(', ')} (got ${String(values.part)})`);
  const reps = Number(values.reps);
  // --small: a reduced MLP and GEMMs, to check the benchmark itself where the GPU is a software renderer.
  const small: MlpShape = { rows: 64, features: 48, hidden: 40, classes: 10 };
  const d = mlpData(values.small ? small : SEED_SHAPE);
  const gemms = values.small ? SMALL_GEMMS : GPU_GEMMS;
  if (part === 'tfjs-webgpu') return guarded('tfjs-webgpu', 'seed step fp32', () => timeTfjsWebgpuSeedStep(d, Math.min(reps, 100)));
  if (part === 'webgpu-adapter') return guarded('webgpu adapter', 'adapter', describeWebGPUAdapter);
  if (part === 'check') return guarded(`symgrad ${values.backend}`, 'conformance', () => conformance(values.backend!));
  const features = values['dawn-features']?.split(',').filter((f) => f !== '') ?? [];
  if (features.length > 0 && !part.startsWith('webgpu')) throw new Error(`--dawn-features applies to the webgpu parts, not --part ${part}`);
  const dawnFlags = features.length > 0 ? withDawnFeatures(features) : undefined;
  // With Dawn features, the package's own 'webgpu' registration gives way to one created with
  // them: listing backends asks each for its availability, and the first to load Dawn fixes
  // the process's flags.
  if (dawnFlags) {
    unregisterBackend('webgpu');
    registerBackend('webgpu', createWebGPUBackendFactory({ dawnFlags }), WEBGPU_BACKEND_PRIORITY);
  }
  // A second webgpu backend whose matmuls take the configs timed fastest on this device.
  if (part === 'webgpu-tuned') registerBackend('webgpu-tuned', createWebGPUBackendFactory({ matmulTuning: true, dawnFlags }), -1);
  const backend = part === 'cuda' || part === 'cpu' || part === 'webgpu-tuned' ? part : 'webgpu';
  // Rows of a run with Dawn features say so in the peer's name.
  const peer = `symgrad ${backend}${features.length > 0 ? ` (${features.join(',')})` : ''}`;
  const row = (item: string, f: () => Promise<object>) => guarded(peer, item, async () => ({ ...(await f()), peer }));
  const info = (await listBackends()).find((b) => b.name === backend);
  if (!info?.available) return emit({ peer, item: 'availability', error: info?.reason ?? 'not registered' });
  emit({ peer, item: 'device', note: (await getBackend(backend)).capabilities.device });
  const precisions = backend === 'cuda' ? (['fp32', 'tf32'] as const) : (['fp32'] as const);
  const config = process.env['SYMGRAD_WEBGPU_MATMUL'] ?? 'default';
  if (part !== 'webgpu-gemm') {
    for (const p of precisions) await row(`seed step ${p}`, () => timeSeedStep(backend, p, d, reps));
    // Where the step's time goes, kernel by kernel (the device's clock on GPU backends).
    for (const p of precisions) await row(`seed step ${p} profile`, () => profileSeedStep(backend, p, d, Math.min(reps, 20)));
  }
  for (const p of precisions) {
    for (const s of gemms) {
      await row(`${gemmName(s)} ${p}`, () => timeGemm(backend, p, s, Math.min(reps, 200), backend === 'webgpu' ? `matmul config ${config}` : ''));
    }
  }
  // The embedding step of `pnpm bench` (a sparse scatterAdd into the table), its LSTM step
  // (unrolled over 40 steps) and its transformer encoder and decoder steps, each checked against the cpu backend.
  if (part !== 'webgpu-gemm' && !values['seed-only']) {
    const spec = <K extends KernelSpec['kind']>(kind: K) => kernelSpecs(false).find((k) => k.kind === kind) as Extract<KernelSpec, { kind: K }>;
    const embedding = values.small ? { kind: 'embedding', name: 'embedding step 101×7, 53 ids', vocab: 101, dim: 7, tokens: 53 } as const : spec('embedding');
    await row(embedding.name, () => timeEmbeddingStep(backend, embedding, Math.min(reps, 300)));
    const lstm = values.small ? { kind: 'lstm', name: 'LSTM step 3×4×2 → 5', batch: 3, steps: 4, features: 2, units: 5 } as const : spec('lstm');
    await row(lstm.name, () => timeLstmStep(backend, lstm, Math.min(reps, 100)));
    const transformer = values.small ? { kind: 'transformer', name: 'transformer encoder step 3×5×8, 2 heads, ff 6', batch: 3, steps: 5, features: 8, heads: 2, ffDim: 6 } as const : spec('transformer');
    await row(transformer.name, () => timeTransformerStep(backend, transformer, Math.min(reps, 100)));
    const decoder = values.small ? { kind: 'decoder', name: 'transformer decoder step 3×5×8 reading 4 memory steps, 2 heads, ff 6', batch: 3, steps: 5, memorySteps: 4, features: 8, heads: 2, ffDim: 6 } as const : spec('decoder');
    await row(decoder.name, () => timeDecoderStep(backend, decoder, Math.min(reps, 100)));
  }
  // Four products per call (one submit), µs per product: against the rows above, what a
  // submit costs the device between calls (WebGPU's wall time per GEMM exceeds its kernel's).
  if (part === 'webgpu') {
    for (const s of gemms) await row(`${gemmName(s)} ×4 per call fp32`, () => timeGemm(backend, 'fp32', s, Math.min(reps, 100), `matmul config ${config}`, 4));
  }
  if (part === 'webgpu-tuned') emit({ peer, item: 'matmul tuning', records: ((await getBackend(backend)) as WebGPUBackend).matmulTuningRecords });
}

/**
 * Core's conformance cases in float32 on a registered backend (the CUDA backend has its own,
 * fuller device check): how many passed, and each failure with its detail.
 */
async function conformance(name: string): Promise<object> {
  const info = (await listBackends()).find((b) => b.name === name);
  if (!info?.available) throw new Error(`backend '${name}' is not available: ${info?.reason ?? 'not registered'}`);
  const rows = await conformanceRows(await getBackend(name), { dtypes: ['float32'] });
  const failed = rows.filter((r) => !r.ok);
  return { peer: `symgrad ${name}`, item: 'conformance', passed: rows.length - failed.length, cases: rows.length, failed };
}

/**
 * What the adapter offers, experimental features included (Dawn lists them only with
 * `allow_unsafe_apis`): its features, subgroup sizes, subgroup matrix configurations (the
 * component types a tensor-core path could use) and the limits the matmul configs meet.
 */
async function describeWebGPUAdapter(): Promise<object> {
  const r = await requestWebGPUAdapter({ dawnFlags: withDawnFeatures(['allow_unsafe_apis']) });
  if (!r.ok) throw new Error(r.reason);
  const a = r.adapter;
  type MatrixConfig = { componentType: string; resultComponentType: string; M: number; N: number; K: number };
  const info = a.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number; subgroupMatrixConfigs?: readonly MatrixConfig[] };
  const limits = ['maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxStorageBufferBindingSize', 'maxBufferSize'] as const;
  return {
    peer: 'webgpu adapter', item: 'adapter',
    info: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, subgroupMinSize: info.subgroupMinSize, subgroupMaxSize: info.subgroupMaxSize },
    features: [...a.features].sort(),
    // Wrappers with getters: copied field by field.
    subgroupMatrixConfigs: (info.subgroupMatrixConfigs ?? []).map((c) => ({ componentType: c.componentType, resultComponentType: c.resultComponentType, M: c.M, N: c.N, K: c.K })),
    limits: Object.fromEntries(limits.map((k) => [k, a.limits[k]])),
  };
}

// Dawn's instance keeps Node alive, so the process is ended here, once stdout has taken every
// row: process.exit() drops what a full pipe (64 KiB) has not taken yet, a tuning row is larger.
const exitAfterOutput = (code: number): void => {
  process.stdout.write('', () => process.exit(code));
};
main().then(
  () => exitAfterOutput(0),
  (e) => {
    emit({ peer: 'device-bench', error: message(e) });
    exitAfterOutput(1);
  },
);
