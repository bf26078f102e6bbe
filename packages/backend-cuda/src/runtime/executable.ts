import type { DeviceBuffer, Executable, Precision } from '@symgrad/core';
import type { ProgramPlan } from '../codegen/plan.js';
import { scheduleStreams, type StreamSchedule } from '../codegen/schedule.js';
import type { CudaDevice, ProfileTiming } from './device.js';
import { nativeOps } from './ops.js';

/** A device buffer of the CUDA backend: a stream-ordered allocation. */
export interface CudaBuffer extends DeviceBuffer {
  readonly ptr: bigint;
  readonly bytes: number;
  freed?: boolean;
}

/** Captured graphs kept per executable (one per distinct set of buffer pointers). */
const MAX_GRAPHS = 4;

/**
 * A compiled Program. The first run with a given set of buffers captures every step
 * (kernel launches and cuBLAS calls) as one CUDA graph, its steps spread over `streams`
 * streams where they are independent; later runs replay it with a single cuGraphLaunch and
 * never wait for the device. `runTimed` (profile mode) runs the steps one after another on one
 * stream, between timing events, captured in a graph of their own and launched once.
 */
export class CudaExecutable implements Executable {
  private readonly graphs = new Map<string, number>();
  private readonly schedule: StreamSchedule;
  private disposed = false;
  /** How the latest `runTimed` timed its steps (undefined before the first, or for a Program without steps). */
  lastTiming: ProfileTiming | undefined;
  /** Kernels computed inside another kernel's launch (see ProgramPlan); `runTimed` gives them 0. */
  readonly computedInside: ReadonlyMap<number, number>;

  constructor(
    private readonly device: CudaDevice,
    private readonly plan: ProgramPlan,
    private readonly module: number,
    private readonly functions: ReadonlyMap<string, number>,
    private readonly precision: Precision,
    streams = 1,
  ) {
    this.schedule = scheduleStreams(plan.steps, streams);
    this.computedInside = plan.computedInside;
  }

  private pointers(buffers: readonly DeviceBuffer[]): bigint[] {
    return buffers.map((b, i) => {
      const c = b as CudaBuffer;
      if (typeof c.ptr !== 'bigint' || c.freed) throw new Error(`cuda: buffer ${i} is not a live CUDA buffer`);
      return c.ptr;
    });
  }

  run(buffers: readonly DeviceBuffer[]): void {
    if (this.disposed) throw new Error('cuda: running a disposed executable');
    if (this.plan.steps.length === 0) return;
    const ptrs = this.pointers(buffers);
    const key = ptrs.join(',');
    let graph = this.graphs.get(key);
    if (graph === undefined) {
      graph = this.device.addon.createGraph(nativeOps(this.plan, ptrs, this.functions, this.precision === 'tf32', { schedule: this.schedule }));
      if (this.graphs.size >= MAX_GRAPHS) {
        const [oldKey, old] = this.graphs.entries().next().value as [string, number];
        this.graphs.delete(oldKey);
        this.device.addon.destroyGraph(old); // freed by the driver once in-flight launches finish
      }
      this.graphs.set(key, graph);
    }
    this.device.addon.launchGraph(graph);
  }

  /**
   * Runs once, computing what `run` would, but with every step in order on the device's stream
   * (after the work already enqueued there) and a timing event before the first step and after
   * each; waits for the device. The steps and events are captured as a graph of their own and
   * launched once, so no time includes the device waiting for the host; where that fails, the
   * steps run uncaptured instead (`lastTiming` says which). Resolves with each Program kernel's
   * milliseconds: the sum of its steps (a matmul's GEMM call and epilogue kernel), 0 for a
   * kernel with no step (an empty product). The streams are not used, so the sum can exceed a
   * graph run's time.
   */
  async runTimed(buffers: readonly DeviceBuffer[]): Promise<readonly number[]> {
    if (this.disposed) throw new Error('cuda: running a disposed executable');
    const perKernel = new Array<number>(this.plan.kernelCount).fill(0);
    if (this.plan.steps.length === 0) return perKernel;
    const ops = nativeOps(this.plan, this.pointers(buffers), this.functions, this.precision === 'tf32');
    const { times, graph, fallback } = this.device.addon.timeOps(ops);
    if (times.length !== ops.length) throw new Error(`cuda: timed ${times.length} of ${ops.length} steps`);
    this.lastTiming = graph ? { method: 'graph' } : { method: 'direct', ...(fallback ? { fallback } : {}) };
    this.device.lastTiming = this.lastTiming;
    this.plan.steps.forEach((s, i) => { perKernel[s.kernel] += times[i]; });
    return perKernel;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const g of this.graphs.values()) this.device.addon.destroyGraph(g);
    this.graphs.clear();
    if (this.module >= 0) this.device.addon.unloadModule(this.module);
  }
}
