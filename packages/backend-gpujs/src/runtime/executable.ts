import type { DeviceBuffer, Executable } from '@symgrad/core';
import { isHostLaunch, launchGroups, type Launch } from '../codegen/generate.js';
import { runBufferTable, scatter, scratchBuffers, type GpujsBuffer } from './buffers.js';
import type { GpuKernelLike, GpuLike } from './gpu-loader.js';
import { hostLaunchSource, randomLaunchBuffers, runRandomOnHost } from './random-host.js';

/**
 * A compiled Program in host-array mode (gpu.js's cpu/webasm modes, where kernels have no
 * textures to return; texture-executable.ts is the GPU modes' pipeline): one gpu.js kernel
 * per launch, built on first use (gpu.js compiles a kernel on its first call). Runs are
 * synchronous: gpu.js returns each kernel's results as an array, copied into the output view
 * once every launch of its group (launchGroups: one IR kernel's stage) has computed, so a
 * launch sees the results of earlier groups (softmax's row statistics in its scratch buffer
 * included) and none of its own group's. `random` kernels run on the host (random-host.ts).
 */
export class GpujsExecutable implements Executable {
  private readonly kernels: (GpuKernelLike | undefined)[];
  /** Scratch buffers of the launches (`KernelLaunch.scratch`), by id. */
  private readonly scratch: ReadonlyMap<number, GpujsBuffer>;
  /** Launch indices by IR kernel and stage (launchGroups). */
  private readonly groups: number[][];
  private disposed = false;

  constructor(private readonly gpu: GpuLike, readonly launches: readonly Launch[], private readonly own: (b: DeviceBuffer) => b is GpujsBuffer) {
    this.kernels = launches.map(() => undefined);
    this.scratch = scratchBuffers(launches);
    this.groups = launchGroups(launches);
  }

  run(buffers: readonly DeviceBuffer[]): void {
    if (this.disposed) throw new Error('gpujs backend: run() on a disposed executable');
    const table = runBufferTable(buffers, this.own, (i) => this.launches[i]!.label, this.scratch);
    this.launches.forEach((l, i) => {
      for (const id of isHostLaunch(l) ? randomLaunchBuffers(l) : [l.output.buffer, ...l.params]) table(id, i);
    });
    for (const group of this.groups) {
      // Every launch of a group computes before any stores: one output may be written in place
      // over an input another output of the same kernel still reads.
      const results = group.map((i) => {
        const l = this.launches[i]!;
        if (isHostLaunch(l)) return runRandomOnHost(l, (id) => table(id, i), undefined);
        if (l.size === 0) return undefined;
        try {
          return this.kernel(i)(...l.params.map((p) => table(p, i).data)) as ArrayLike<number>;
        } catch (err) {
          throw new Error(`gpujs backend: launch ${i} ('${l.label}') failed: ${(err as Error).message}\n${l.source}`);
        }
      });
      group.forEach((i, j) => {
        const l = this.launches[i]!;
        if (!isHostLaunch(l) && results[j]) scatter(table(l.output.buffer, i), l.output, results[j]!);
      });
    }
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
