import type { DeviceBuffer, Executable } from '@symgrad/core';
import { launchesOf, SCRATCH_BUFFER, type GeneratedKernel } from '../codegen/kernel.js';
import { USAGE, type WebGPUBuffer } from './buffers.js';
import type { DeviceContext, Prepared } from './device.js';
import type { OrderedQueue } from './ordered-queue.js';
import { MAX_TIMED_PASSES, timePasses } from './timestamps.js';

interface Launch {
  /** The Program kernel this launch computes (split-K's two launches share one). */
  readonly index: number;
  readonly kernel: GeneratedKernel;
  readonly prepared: Prepared;
  /** The bind group and the GPU buffers it was built for (rebuilt only when they change). */
  bound?: { buffers: GPUBuffer[]; group: GPUBindGroup };
}

/**
 * A compiled Program: one compute pipeline per kernel, all created asynchronously at
 * compile time (`ready` resolves when every pipeline exists, rejects naming the kernel whose
 * shader failed). `run` records every kernel into one command encoder, one compute pass
 * (WebGPU orders dispatches within a pass) and one submit. Bind groups are built on the
 * first run over a buffer table and kept while the table's buffers stay the same, which is
 * the steady state of a compiled function. A run before `ready` resolves is deferred until
 * it does, in order with the backend's other operations (see OrderedQueue). With `tuned`,
 * the kernels that run are the ones it resolves to (matmul configs timed on the device),
 * generated after tuning; `kernels` (the same Program with default configs) then only
 * tells which buffers a run must be given.
 */
export class WebGPUExecutable implements Executable {
  readonly ready: Promise<void>;
  /** Present where the device has timestamp queries (see `timed`). */
  readonly runTimed?: (buffers: readonly DeviceBuffer[]) => Promise<readonly number[]>;
  private launches: Launch[] = [];
  private readonly kernelCount: number;
  /** Each Program buffer a run binds, with the first kernel that binds it (for messages). */
  private readonly bound: ReadonlyMap<number, { index: number; label: string }>;
  /** Whether `launches` holds the kernels that run (false while tuning). */
  private settled = false;
  /** Scratch memory the kernels bind as SCRATCH_BUFFER (split-K's partial products), if any needs it. */
  private scratch: GPUBuffer | undefined;
  private disposed = false;

  constructor(
    private readonly ctx: DeviceContext, private readonly queue: OrderedQueue, kernels: readonly GeneratedKernel[], private readonly own: (b: DeviceBuffer) => b is WebGPUBuffer,
    tuned?: Promise<readonly GeneratedKernel[]>,
  ) {
    this.kernelCount = kernels.length;
    const bound = new Map<number, { index: number; label: string }>();
    kernels.forEach((g, index) => launchesOf(g).forEach((l) => l.bindings.forEach((b) => {
      if (b.buffer !== SCRATCH_BUFFER && !bound.has(b.buffer)) bound.set(b.buffer, { index, label: l.label });
    })));
    this.bound = bound;
    const prepared = tuned ? tuned.then((k) => this.settle(k)) : Promise.resolve(this.settle(kernels));
    this.ready = prepared.then(() => Promise.all(this.launches.map(async (l) => {
      try {
        await l.prepared.pipeline;
      } catch (err) {
        throw new Error(`webgpu backend: kernel ${l.index} ('${l.kernel.label}') failed to compile: ${(err as Error).message}\n${await ctx.compilationMessages(l.prepared.module)}`);
      }
    }))).then(() => undefined);
    // A failure is reported through `ready` (and again by run); never as an unhandled rejection.
    this.ready.catch(() => {});
    if (ctx.timestamps) this.runTimed = (buffers) => this.timed(buffers);
  }

  /** Takes the kernels that run: their launches, pipelines (created now) and scratch memory. */
  private settle(kernels: readonly GeneratedKernel[]): void {
    if (this.disposed) return;
    this.launches = kernels.flatMap((g, index) => launchesOf(g).map((kernel) => ({ index, kernel, prepared: this.ctx.prepare(kernel.code, kernel.label, kernel.bindings) })));
    // One scratch buffer for the Program: its kernels run one after another.
    const scratchElements = Math.max(0, ...this.launches.map((l) => l.kernel.scratch ?? 0));
    this.scratch = scratchElements > 0 ? this.ctx.device.createBuffer({ size: 4 * scratchElements, usage: USAGE.STORAGE, label: 'symgrad scratch' }) : undefined;
    this.settled = true;
  }

  run(buffers: readonly DeviceBuffer[]): void {
    this.check(buffers, 'run');
    if (!this.settled) {
      this.queue.submit(() => this.encode(this.tables(buffers)), this.ready);
      return;
    }
    const tables = this.tables(buffers);
    const ready = this.launches.every((l) => l.prepared.resolved !== undefined);
    this.queue.submit(() => this.encode(tables), ready ? undefined : this.ready);
  }

  /** Throws now, naming the kernel, when a buffer the Program binds is missing, freed or foreign. */
  private check(buffers: readonly DeviceBuffer[], call: string): void {
    if (this.disposed) throw new Error(`webgpu backend: ${call}() on a disposed executable`);
    this.ctx.check();
    for (const [id, k] of this.bound) {
      const buf = buffers[id];
      if (!buf || !this.own(buf)) throw new Error(`webgpu backend: kernel ${k.index} ('${k.label}'): buffer ${id} is missing, freed, or not from this backend`);
    }
  }

  /** Each launch's GPU buffers (checked by `check`). */
  private tables(buffers: readonly DeviceBuffer[]): GPUBuffer[][] {
    return this.launches.map((l) => l.kernel.bindings.map((b) => (b.buffer === SCRATCH_BUFFER ? this.scratch! : (buffers[b.buffer] as WebGPUBuffer).gpu)));
  }

  /** Records launch i into a pass (its bind group rebuilt only when its buffers changed). */
  private record(pass: GPUComputePassEncoder, i: number, gpuBuffers: GPUBuffer[]): void {
    const l = this.launches[i]!;
    const pipeline = l.prepared.resolved ?? l.prepared.pipelineNow();
    if (!l.bound || l.bound.buffers.some((g, j) => g !== gpuBuffers[j])) {
      const group = this.ctx.device.createBindGroup({ layout: l.prepared.layout, entries: gpuBuffers.map((buffer, j) => ({ binding: j, resource: { buffer } })) });
      l.bound = { buffers: gpuBuffers, group };
    }
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, l.bound.group);
    const [x, y, z] = l.kernel.dispatch;
    pass.dispatchWorkgroups(x, y, z);
  }

  private encode(tables: GPUBuffer[][]): void {
    if (this.disposed) return;
    const encoder = this.ctx.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    this.launches.forEach((_, i) => this.record(pass, i, tables[i]!));
    pass.end();
    this.ctx.device.queue.submit([encoder.finish()]);
  }

  /**
   * One run with each launch in its own compute pass, timed by the pass's beginning and end
   * timestamps (the device's clock; the passes run one after another, so no overlap is
   * counted twice). Resolves with milliseconds per Program kernel (the sum of its launches)
   * once the device has finished.
   */
  private async timed(buffers: readonly DeviceBuffer[]): Promise<readonly number[]> {
    this.check(buffers, 'runTimed');
    await this.ready;
    const tables = this.tables(buffers);
    await this.queue.drain(); // earlier writes and runs are submitted, so they come first
    const ms = new Array<number>(this.kernelCount).fill(0);
    for (let start = 0; start < this.launches.length; start += MAX_TIMED_PASSES) {
      const n = Math.min(MAX_TIMED_PASSES, this.launches.length - start);
      let ns: number[];
      try {
        ns = await timePasses(this.ctx.device, n, (encoder, j, timestampWrites) => {
          const pass = encoder.beginComputePass({ timestampWrites });
          this.record(pass, start + j, tables[start + j]!);
          pass.end();
        });
      } catch (err) {
        this.ctx.check();
        throw new Error(`webgpu backend: reading the kernels' timestamps failed: ${(err as Error).message}`);
      }
      this.ctx.check();
      ns.forEach((t, j) => { ms[this.launches[start + j]!.index]! += t / 1e6; });
    }
    return ms;
  }

  /** The generated WGSL of each launch, for debugging (`fn.program` shows the IR; split-K gives a kernel two). */
  get sources(): readonly string[] {
    return this.launches.map((l) => l.kernel.code);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of this.launches) delete l.bound;
    // Freed once the queue's submitted work no longer needs it (WebGPU defers destruction).
    this.scratch?.destroy();
  }
}
