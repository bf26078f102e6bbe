import type { DeviceBuffer, Executable } from '@symgrad/core';
import { toBufferLaunch, type BufferLaunch } from '../codegen/buffer-launch.js';
import { isHostLaunch, launchGroups, type Launch } from '../codegen/generate.js';
import type { KernelLaunch } from '../codegen/source.js';
import { runBufferTable, scatter, scratchBuffers, type GpujsBuffer } from './buffers.js';
import type { GpuKernelLike, GpuLike } from './gpu-loader.js';
import { hostLaunchSource, randomLaunchBuffers, runRandomOnHost } from './random-host.js';
import type { TextureLike, TextureStore } from './textures.js';

/**
 * A compiled Program in texture (pipeline) mode: every kernel writes a new texture holding
 * its whole output buffer, and the next kernels read that texture directly, within a run
 * and across runs. Nothing comes back to the host unless the user reads a buffer.
 *
 * gpu.js pitfalls handled here:
 * - a pipeline kernel reuses its output texture on every call unless `immutable`, and the
 *   texture is what a buffer holds, so kernels are immutable (a fresh texture per call);
 * - a kernel cannot read the texture it writes: with a fresh output texture per call an
 *   in-place update (`w ← f(w)`, beta accumulation) reads the buffer's previous texture and
 *   writes a new one, a ping-pong without a copy; the old one is deleted after the call;
 * - launches of one IR kernel all read the inputs as they were before that kernel (their
 *   results are committed together), as the IR's multi-output kernels expect; a kernel in
 *   stages (`KernelLaunch.stage`: softmax) commits each stage before the next reads it.
 *
 * An output view that cannot be inverted from buffer positions (see buffer-launch.ts) falls
 * back to one host round trip for that launch: read the buffer, scatter, upload lazily.
 * `random` kernels always run on the host (random-host.ts; codegen/random.ts says why).
 */
interface Plan {
  readonly launch: KernelLaunch;
  /** The whole-buffer launch, or undefined for the host fallback. */
  readonly buffer: BufferLaunch | undefined;
}

export class GpujsTextureExecutable implements Executable {
  /** Per launch; undefined for a host launch (`random`). */
  private readonly plans: (Plan | undefined)[];
  private readonly kernels: (GpuKernelLike | undefined)[];
  /** Launch indices grouped by IR kernel and stage, in order. */
  private readonly groups: number[][];
  /** Scratch buffers of the launches (`KernelLaunch.scratch`), by id; their textures live until dispose. */
  private readonly scratch: ReadonlyMap<number, GpujsBuffer>;
  private disposed = false;

  constructor(
    private readonly gpu: GpuLike,
    private readonly store: TextureStore,
    readonly launches: readonly Launch[],
    bufferSizes: ReadonlyMap<number, number>,
    private readonly own: (b: DeviceBuffer) => b is GpujsBuffer,
  ) {
    this.scratch = scratchBuffers(launches);
    const sizeOf = (id: number, l: KernelLaunch): number => bufferSizes.get(id) ?? this.scratch.get(id)?.size ?? l.size;
    this.plans = launches.map((l) => (isHostLaunch(l) ? undefined : { launch: l, buffer: toBufferLaunch(l, sizeOf(l.output.buffer, l)) }));
    this.kernels = launches.map(() => undefined);
    this.groups = launchGroups(launches);
  }

  /** How many launches run through the host fallback (0 for every Program the lowering makes today). */
  get hostFallbacks(): number {
    return this.plans.filter((p) => p && !p.buffer).length;
  }

  run(buffers: readonly DeviceBuffer[]): void {
    if (this.disposed) throw new Error('gpujs backend: run() on a disposed executable');
    const table = runBufferTable(buffers, this.own, (i) => this.launches[i]!.label, this.scratch);
    this.plans.forEach((p, i) => {
      const l = this.launches[i]!;
      if (isHostLaunch(l)) return randomLaunchBuffers(l).forEach((id) => table(id, i));
      table(p!.launch.output.buffer, i);
      for (const id of p!.buffer?.params ?? p!.launch.params) table(id, i);
    });
    for (const group of this.groups) {
      const first = this.launches[group[0]!]!;
      if (isHostLaunch(first)) {
        runRandomOnHost(first, (id) => table(id, group[0]!), this.store);
        continue;
      }
      const live = group.filter((i) => this.plans[i]!.launch.size > 0);
      const outs = live.map((i) => this.plans[i]!.launch.output.buffer);
      // Two launches of one kernel writing the same buffer must see each other's results.
      if (new Set(outs).size !== outs.length) {
        for (const i of live) this.commit([this.launch(i, table)], table);
        continue;
      }
      this.releaseOverwritten(live, table);
      this.commit(live.map((i) => this.launch(i, table)), table);
    }
  }

  /**
   * Deletes, before the launches, the old texture of each output buffer that the group
   * overwrites whole and does not read. The kernel that made it then holds the only
   * reference, so gpu.js renders into that same texture again instead of allocating a new
   * one every run; buffers a launch reads (in-place updates) keep the fresh-texture ping-pong.
   */
  private releaseOverwritten(group: readonly number[], table: (id: number, i: number) => GpujsBuffer): void {
    const read = new Set(group.flatMap((i) => this.plans[i]!.buffer?.params ?? this.plans[i]!.launch.params));
    for (const i of group) {
      const p = this.plans[i]!;
      if (!p.buffer || read.has(p.buffer.buffer)) continue;
      const out = table(p.buffer.buffer, i);
      // Only a texture this launch's own kernel made is recycled by gpu.js (others are just freed early).
      this.store.drop(out);
    }
  }

  /** Runs launch `i` on the buffers' current textures; returns its result, not yet stored. */
  private launch(i: number, table: (id: number, i: number) => GpujsBuffer): { i: number; value: unknown } {
    const p = this.plans[i]!;
    const params = p.buffer?.params ?? p.launch.params;
    const args = params.map((id) => this.store.texture(table(id, i)));
    try {
      return { i, value: this.kernel(i)(...args) };
    } catch (err) {
      throw new Error(`gpujs backend: launch ${i} ('${p.launch.label}') failed: ${(err as Error).message}\n${p.buffer?.source ?? p.launch.source}`);
    }
  }

  private commit(results: readonly { i: number; value: unknown }[], table: (id: number, i: number) => GpujsBuffer): void {
    for (const { i, value } of results) {
      const p = this.plans[i]!;
      const out = table(p.launch.output.buffer, i);
      if (p.buffer) {
        this.store.replace(out, value as TextureLike, this.kernels[i]);
      } else {
        this.store.stats.fallbacks++;
        this.store.sync(out);
        scatter(out, p.launch.output, value as ArrayLike<number>);
        this.store.drop(out);
      }
    }
  }

  private kernel(i: number): GpuKernelLike {
    const p = this.plans[i]!;
    const settings = p.buffer
      ? { output: [p.buffer.size], precision: 'single', tactic: 'precision', pipeline: true, immutable: true }
      : { output: [p.launch.size], precision: 'single', tactic: 'precision' };
    return (this.kernels[i] ??= this.gpu.createKernel(p.buffer?.source ?? p.launch.source, settings));
  }

  /** The gpu.js source each launch runs, for debugging. */
  get sources(): readonly string[] {
    return this.launches.map((l, i) => (isHostLaunch(l) ? hostLaunchSource(l) : this.plans[i]!.buffer?.source ?? l.source));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const made = new Set(this.kernels.filter((k): k is GpuKernelLike => !!k));
    // Scratch values die with the executable: nothing to rehome.
    for (const b of this.scratch.values()) this.store.drop(b);
    this.store.rehome(made);
    for (const k of made) k.destroy?.();
    this.kernels.fill(undefined);
  }
}
