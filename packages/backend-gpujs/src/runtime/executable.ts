import type { DeviceBuffer, Executable } from '@symgrad/core';
import { isHostLaunch, type Launch } from '../codegen/generate.js';
import { runBufferTable, scatter, scratchBuffers, type GpujsBuffer } from './buffers.js';
import type { GpuKernelLike, GpuLike } from './gpu-loader.js';
import { hostLaunchSource, randomLaunchBuffers, runRandomOnHost } from './random-host.js';

/**
 * A compiled Program in host-array mode (gpu.js's cpu/webasm modes, where kernels have no
 * textures to return; texture-executable.ts is the GPU modes' pipeline): one gpu.js kernel
 * per launch, built on first use (gpu.js compiles a kernel on its first call). Runs are
 * synchronous: gpu.js returns each kernel's results as an array, which is copied into the
 * output view before the next kernel reads it, so a launch sees every earlier launch's
 * results (softmax's row statistics in its scratch buffer included). `random` kernels run on
 * the host (random-host.ts).
 */
export class GpujsExecutable implements Executable {
  private readonly kernels: (GpuKernelLike | undefined)[];
  /** Scratch buffers of the launches (`KernelLaunch.scratch`), by id. */
  private readonly scratch: ReadonlyMap<number, GpujsBuffer>;
  private disposed = false;

  constructor(private readonly gpu: GpuLike, readonly launches: readonly Launch[], private readonly own: (b: DeviceBuffer) => b is GpujsBuffer) {
    this.kernels = launches.map(() => undefined);
    this.scratch = scratchBuffers(launches);
  }

  run(buffers: readonly DeviceBuffer[]): void {
    if (this.disposed) throw new Error('gpujs backend: run() on a disposed executable');
    const table = runBufferTable(buffers, this.own, (i) => this.launches[i]!.label, this.scratch);
    this.launches.forEach((l, i) => {
      for (const id of isHostLaunch(l) ? randomLaunchBuffers(l) : [l.output.buffer, ...l.params]) table(id, i);
    });
    this.launches.forEach((l, i) => {
      if (isHostLaunch(l)) return runRandomOnHost(l, (id) => table(id, i), undefined);
      if (l.size === 0) return;
      const kernel = this.kernel(i);
      let result: unknown;
      try {
        result = kernel(...l.params.map((p) => table(p, i).data));
      } catch (err) {
        throw new Error(`gpujs backend: kernel ${i} ('${l.label}') failed: ${(err as Error).message}\n${l.source}`);
      }
      scatter(table(l.output.buffer, i), l.output, result as ArrayLike<number>);
    });
  }

  private kernel(i: number): GpuKernelLike {
    const l = this.launches[i]!;
    if (isHostLaunch(l)) throw new Error(`gpujs backend: launch ${i} ('${l.label}') runs on the host`);
    return (this.kernels[i] ??= this.gpu.createKernel(l.source, { output: [l.size], precision: 'single', tactic: 'precision' }));
  }

  /** The generated gpu.js source of each launch, for debugging. */
  get sources(): readonly string[] {
    return this.launches.map((l) => (isHostLaunch(l) ? hostLaunchSource(l) : l.source));
  }

  dispose(): void {
    this.disposed = true;
    for (const k of this.kernels) k?.destroy?.();
    this.kernels.fill(undefined);
  }
}
