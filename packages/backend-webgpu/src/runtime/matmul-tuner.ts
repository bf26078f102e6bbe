import { contiguousView, type MatmulKernel } from '@symgrad/core';
import { launchesOf, SCRATCH_BUFFER, type CodegenLimits, type GeneratedKernel } from '../codegen/kernel.js';
import { generateMatmul } from '../codegen/matmul.js';
import { DEFAULT_MATMUL_CONFIG, defaultMatmulConfigFor, formatMatmulConfig, matmulConfigCandidates, matmulConfigProblems, type MatmulConfig } from '../codegen/matmul-config.js';
import { MAP_READ, USAGE } from './buffers.js';
import type { DeviceContext, Prepared } from './device.js';
import { timePasses } from './timestamps.js';

/** What a tuner times: the configs (default: `matmulConfigCandidates`, plus the per-shape default) and the calls per timing. */
export interface MatmulTuningOptions {
  readonly candidates?: readonly MatmulConfig[];
  /** Calls timed back to back per candidate and round (default 10; fewer for large products, at least 1). */
  readonly reps?: number;
}

/** The most calls a candidate is timed for in one pass (a round stays under a second or so on tiny products). */
const MAX_TUNING_REPS = 200;

/**
 * How far a candidate's product may be from the reference config's, relative to the largest
 * reference element: both sum the same float32 products in different orders (K ≤ 2²⁰ terms of
 * magnitude ≤ 1 give differences far below this), while a kernel that drops or repeats a tile
 * is off by O(1).
 */
export const MATMUL_TUNING_TOLERANCE = 1e-4;

/**
 * Why a candidate's product is wrong (undefined where it matches): NaN or infinity where the
 * reference is finite, or a largest difference above `tolerance` times the largest reference
 * element.
 *
 * @example
 * ```ts
 * matmulMismatch(new Float32Array([1, 2]), new Float32Array([1, 2.5]));
 * // 'max |Δ| 0.5 at element 1 (got 2, want 2.5): 0.200 of the largest |want| 2.5, more than 0.0001'
 * matmulMismatch(new Float32Array([1, 2.0000001]), new Float32Array([1, 2])); // undefined
 * ```
 */
export function matmulMismatch(got: Float32Array, want: Float32Array, tolerance = MATMUL_TUNING_TOLERANCE): string | undefined {
  let scale = 0;
  for (const w of want) scale = Math.max(scale, Math.abs(w));
  let worst = -1;
  let delta = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Number.isFinite(got[i]!) ? Math.abs(got[i]! - want[i]!) : Infinity;
    if (d > delta) [worst, delta] = [i, d];
  }
  if (worst < 0 || delta <= tolerance * scale) return undefined;
  return `max |Δ| ${delta} at element ${worst} (got ${got[worst]}, want ${want[worst]}): ${(delta / Math.max(scale, Number.MIN_VALUE)).toPrecision(3)} of the largest |want| ${scale}, more than ${tolerance}`;
}

/** One tuned shape: every candidate's time in µs per call (or why it could not run) and the config chosen. */
export interface MatmulTuningRecord {
  readonly shape: string;
  readonly chosen: string;
  readonly candidates: readonly { readonly config: string; readonly us?: number; readonly error?: string }[];
}

/**
 * The shape a tuning is kept for: orientation, sizes (m×n×k) and batch (configs do not
 * depend on the data). A tuning record's `shape` is this key.
 *
 * @example
 * ```ts
 * matmulShapeKey(k); // 'A·Bᵀ 36×20×20' for a 36×20 output, K = 20, B transposed
 * const record = gpu.matmulTuningRecords.find((r) => r.shape === matmulShapeKey(k));
 * ```
 */
export function matmulShapeKey(k: MatmulKernel): string {
  const batch = k.batch.reduce((a, b) => a * b, 1);
  return `${k.transA ? 'Aᵀ' : 'A'}·${k.transB ? 'Bᵀ' : 'B'} ${k.m}×${k.n}×${k.k}${batch > 1 ? ` batch ${batch}` : ''}`;
}

interface Candidate {
  readonly config: MatmulConfig;
  readonly name: string;
  readonly launches: GeneratedKernel[];
  prepared?: Prepared[];
  error?: string;
}

/**
 * Chooses each matmul shape's config by timing candidates on the device, like cuBLASLt's
 * algorithm search: for a shape seen the first time, every candidate that fits the device is
 * generated for the same product on contiguous operands filled with fixed pseudo-random
 * numbers, checked against the 64×64 default's product on the device (a candidate off by more
 * than MATMUL_TUNING_TOLERANCE is dropped with the difference in its record: a config that no
 * CI device can run, or a driver's miscompile, cannot be chosen), run `reps` times in one
 * compute pass between the pass's timestamps (two rounds, the faster kept), and the fastest is
 * kept for the backend's life. Pipelines are compiled concurrently, and the chosen one stays in the
 * device's pipeline cache for the real kernel. Needs timestamp queries.
 */
export class MatmulTuner {
  private readonly cache = new Map<string, Promise<MatmulConfig>>();
  /** Every shape tuned so far, in order. */
  readonly records: MatmulTuningRecord[] = [];
  private readonly candidates: readonly MatmulConfig[];
  private readonly reps: number;

  constructor(private readonly ctx: DeviceContext, private readonly limits: CodegenLimits, options: MatmulTuningOptions = {}) {
    this.candidates = options.candidates ?? matmulConfigCandidates;
    this.reps = Math.max(1, Math.floor(options.reps ?? 10));
  }

  /** The config for this kernel's shape: timed once per shape, then remembered. */
  choose(k: MatmulKernel): Promise<MatmulConfig> {
    const key = matmulShapeKey(k);
    let p = this.cache.get(key);
    if (!p) {
      p = this.tune(k, key);
      this.cache.set(key, p);
    }
    return p;
  }

  private async tune(k: MatmulKernel, key: string): Promise<MatmulConfig> {
    const batch = k.batch.reduce((a, b) => a * b, 1);
    const fallback = defaultMatmulConfigFor(k.m, k.n, k.k, batch, this.limits, k);
    const lead = batch > 1 ? [batch] : [];
    const product: MatmulKernel = {
      kind: 'matmul', label: `tuning ${key}`, batch: lead, m: k.m, n: k.n, k: k.k, transA: k.transA, transB: k.transB, alpha: 1, beta: 0, dtype: 'float32',
      a: contiguousView(0, [...lead, ...(k.transA ? [k.k, k.m] : [k.m, k.k])]),
      b: contiguousView(1, [...lead, ...(k.transB ? [k.n, k.k] : [k.k, k.n])]),
      out: contiguousView(2, [...lead, k.m, k.n]),
    };
    const seen = new Set<string>();
    const candidates: Candidate[] = [];
    const generate = (config: MatmulConfig): Candidate => {
      const g = generateMatmul(product, { dtypeOf: () => 'float32', limits: this.limits, matmulConfig: () => config });
      return { config, name: formatMatmulConfig(config), launches: launchesOf(g) };
    };
    for (const config of [fallback, ...this.candidates]) {
      const name = formatMatmulConfig(config);
      if (seen.has(name) || matmulConfigProblems(config, this.limits).length) continue;
      seen.add(name);
      candidates.push(generate(config));
    }
    const reference = candidates.find((c) => c.name === formatMatmulConfig(DEFAULT_MATMUL_CONFIG)) ?? generate(DEFAULT_MATMUL_CONFIG);
    await Promise.all([...new Set([...candidates, reference])].map(async (c) => {
      try {
        c.prepared = c.launches.map((l) => this.ctx.prepare(l.code, l.label, l.bindings));
        await Promise.all(c.prepared.map((p) => p.pipeline));
      } catch (err) {
        c.error = `pipeline: ${(err as Error).message}`;
      }
    }));
    const compiled = candidates.filter((c) => c.error === undefined);
    const us = compiled.length ? await this.measure(compiled, reference, product) : [];
    const runnable = compiled.filter((c) => c.error === undefined);
    let best = -1;
    us.forEach((t, i) => { if (Number.isFinite(t) && (best < 0 || t < us[best]!)) best = i; });
    const chosen = best >= 0 ? runnable[best]!.config : fallback;
    this.records.push({
      shape: key,
      chosen: formatMatmulConfig(chosen),
      candidates: candidates.map((c) => {
        const t = us[runnable.indexOf(c)];
        if (c.error !== undefined) return { config: c.name, error: c.error };
        return t !== undefined && Number.isFinite(t) ? { config: c.name, us: t } : { config: c.name, error: 'the device reported an error, or its timestamps did not advance' };
      }),
    });
    return chosen;
  }

  /**
   * Checks each candidate's product against the reference config's (a wrong one gets its
   * `error`), then times the rest: µs per call of each candidate left without an error, in
   * order (NaN where the device reported an error), the faster of two rounds.
   */
  private async measure(all: Candidate[], reference: Candidate, p: MatmulKernel): Promise<number[]> {
    const device = this.ctx.device;
    const batch = Math.max(1, p.batch.reduce((a, b) => a * b, 1));
    // About 20 GFLOP per candidate and round at most, so large products stay quick to tune.
    const reps = Math.max(1, Math.min(this.reps, Math.floor(2e10 / Math.max(2 * p.m * p.n * p.k * batch, 1))));
    const padded = (elements: number) => Math.max(16, Math.ceil((4 * elements) / 16) * 16);
    const scratch = Math.max(0, ...[...all, reference].flatMap((c) => c.launches.map((l) => l.scratch ?? 0)));
    const sizes = [batch * p.m * p.k, batch * p.k * p.n, batch * p.m * p.n, scratch];
    const gpu = sizes.map((n) => device.createBuffer({ size: padded(n), usage: USAGE.STORAGE | USAGE.COPY_DST | USAGE.COPY_SRC }));
    const readback = device.createBuffer({ size: padded(sizes[2]!), usage: USAGE.MAP_READ | USAGE.COPY_DST });
    const byId = (id: number): GPUBuffer => gpu[id === SCRATCH_BUFFER ? 3 : id]!;
    let cands = all;
    // The candidates' errors stay here rather than failing the user's next call.
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    let failed = false;
    const best: number[] = [];
    try {
      // Fixed pseudo-random operands in [−1, 1): timings on zeros can flatter a GPU (less
      // power, higher clocks), and a product of zeros checks nothing.
      for (const i of [0, 1]) device.queue.writeBuffer(gpu[i]!, 0, tuningOperand(sizes[i]!, i));
      const bind = (c: Candidate) => c.launches.map((l, j) => device.createBindGroup({
        layout: c.prepared![j]!.layout, entries: l.bindings.map((b, i) => ({ binding: i, resource: { buffer: byId(b.buffer) } })),
      }));
      const dispatch = (pass: GPUComputePassEncoder, c: Candidate, groups: GPUBindGroup[]) => c.launches.forEach((l, j) => {
        pass.setPipeline(c.prepared![j]!.resolved ?? c.prepared![j]!.pipelineNow());
        pass.setBindGroup(0, groups[j]!);
        pass.dispatchWorkgroups(l.dispatch[0], l.dispatch[1], l.dispatch[2]);
      });
      // One product of a candidate into a cleared output, read back.
      const product = async (c: Candidate): Promise<Float32Array> => {
        const encoder = device.createCommandEncoder();
        encoder.clearBuffer(gpu[2]!);
        const pass = encoder.beginComputePass();
        dispatch(pass, c, bind(c));
        pass.end();
        encoder.copyBufferToBuffer(gpu[2]!, 0, readback, 0, padded(sizes[2]!));
        device.queue.submit([encoder.finish()]);
        await readback.mapAsync(MAP_READ);
        const out = new Float32Array(readback.getMappedRange().slice(0, 4 * sizes[2]!));
        readback.unmap();
        return out;
      };
      const want = reference.error === undefined ? await product(reference) : undefined;
      for (const c of cands) {
        if (!want) c.error = `no reference product (${reference.name}: ${reference.error})`;
        else if (c !== reference) {
          const wrong = matmulMismatch(await product(c), want);
          if (wrong) c.error = `wrong result against ${reference.name}: ${wrong}`;
        }
      }
      cands = cands.filter((c) => c.error === undefined);
      cands.forEach(() => best.push(Infinity));
      const groups = cands.map(bind);
      // Two rounds, the faster kept; the second runs each candidate long enough (≈ 2 ms) that a
      // coarse clock (a browser's timestamps are quantized to tens of µs) still resolves it.
      let n = reps;
      for (let round = 0; round < 2 && cands.length > 0; round++) {
        const times = n;
        const record = (pass: GPUComputePassEncoder, i: number, calls: number) => {
          for (let r = 0; r < calls; r++) dispatch(pass, cands[i]!, groups[i]!);
        };
        const t = await timePasses(device, cands.length, (encoder, i, timestampWrites) => {
          const warm = encoder.beginComputePass();
          record(warm, i, 1);
          warm.end();
          const timed = encoder.beginComputePass({ timestampWrites });
          record(timed, i, times);
          timed.end();
        });
        let shortest = Infinity;
        t.forEach((ns, i) => {
          if (ns > 0) best[i] = Math.min(best[i]!, ns / 1e3 / times);
          shortest = Math.min(shortest, ns);
        });
        n = Math.min(MAX_TUNING_REPS, Math.max(times, Math.ceil((times * 2e6) / Math.max(shortest, 1))));
      }
    } catch {
      failed = true;
    } finally {
      const errors = [await device.popErrorScope(), await device.popErrorScope()];
      failed ||= errors.some((e) => e !== null);
      for (const b of [...gpu, readback]) b.destroy();
    }
    return best.map((x) => (failed || !Number.isFinite(x) ? NaN : x));
  }
}

/** A tuning operand's values: a fixed integer hash of (index, operand) scaled into [−1, 1), exact in float32. */
function tuningOperand(size: number, operand: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const h = Math.imul((i + 1) ^ Math.imul(operand + 1, 0x9e3779b9), 0x85ebca6b) >>> 8;
    out[i] = h / 8388608 - 1;
  }
  return out;
}
