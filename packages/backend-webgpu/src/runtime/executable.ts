import type { DeviceBuffer, Executable } from '@symgrad/core';
import type { GeneratedKernel } from '../codegen/kernel.js';
import type { WebGPUBuffer } from './buffers.js';
import type { DeviceContext, Prepared } from './device.js';
import type { OrderedQueue } from './ordered-queue.js';

interface Launch {
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
 * it does, in order with the backend's other operations (see OrderedQueue).
 */
export class WebGPUExecutable implements Executable {
  readonly ready: Promise<void>;
  private readonly launches: Launch[];
  private disposed = false;

  constructor(private readonly ctx: DeviceContext, private readonly queue: OrderedQueue, kernels: readonly GeneratedKernel[], private readonly own: (b: DeviceBuffer) => b is WebGPUBuffer) {
    this.launches = kernels.map((kernel) => ({ kernel, prepared: ctx.prepare(kernel.code, kernel.label, kernel.bindings) }));
    this.ready = Promise.all(this.launches.map(async (l, i) => {
      try {
        await l.prepared.pipeline;
      } catch (err) {
        throw new Error(`webgpu backend: kernel ${i} ('${l.kernel.label}') failed to compile: ${(err as Error).message}\n${await ctx.compilationMessages(l.prepared.module)}`);
      }
    })).then(() => undefined);
    // A failure is reported through `ready` (and again by run); never as an unhandled rejection.
    this.ready.catch(() => {});
  }

  run(buffers: readonly DeviceBuffer[]): void {
    if (this.disposed) throw new Error('webgpu backend: run() on a disposed executable');
    this.ctx.check();
    // Buffers are checked now, so a wrong table throws at the call.
    const tables = this.launches.map((l, i) => l.kernel.bindings.map((b) => {
      const buf = buffers[b.buffer];
      if (!buf || !this.own(buf)) throw new Error(`webgpu backend: kernel ${i} ('${l.kernel.label}'): buffer ${b.buffer} is missing, freed, or not from this backend`);
      return buf.gpu;
    }));
    const ready = this.launches.every((l) => l.prepared.resolved !== undefined);
    this.queue.submit(() => this.encode(tables), ready ? undefined : this.ready);
  }

  private encode(tables: GPUBuffer[][]): void {
    if (this.disposed) return;
    const device = this.ctx.device;
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    this.launches.forEach((l, i) => {
      const gpuBuffers = tables[i]!;
      const pipeline = l.prepared.resolved ?? l.prepared.pipelineNow();
      if (!l.bound || l.bound.buffers.some((g, j) => g !== gpuBuffers[j])) {
        const group = device.createBindGroup({ layout: l.prepared.layout, entries: gpuBuffers.map((buffer, j) => ({ binding: j, resource: { buffer } })) });
        l.bound = { buffers: gpuBuffers, group };
      }
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, l.bound.group);
      const [x, y, z] = l.kernel.dispatch;
      pass.dispatchWorkgroups(x, y, z);
    });
    pass.end();
    device.queue.submit([encoder.finish()]);
  }

  /** The generated WGSL of each kernel, for debugging (`fn.program` shows the IR). */
  get sources(): readonly string[] {
    return this.launches.map((l) => l.kernel.code);
  }

  dispose(): void {
    this.disposed = true;
    for (const l of this.launches) delete l.bound;
  }
}
