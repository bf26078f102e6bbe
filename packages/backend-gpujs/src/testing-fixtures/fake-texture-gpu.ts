/**
 * Test-only: a gpu.js stand-in with textures, for Node, where gpu.js has no GPU mode. Kernels
 * run on the real gpu.js (webasm/cpu) underneath; a `pipeline: true` kernel returns a
 * FakeTexture instead of an array, and kernels take FakeTextures as arguments. It enforces
 * the lifetime rules of gpu.js's GL textures so the texture runtime's mistakes show up in
 * Node: reading a deleted handle throws, and destroying a kernel kills the first texture it
 * made (gpu.js deletes its texture cache whatever the reference count). The browser test
 * runs the same runtime on real WebGL2 textures.
 */
import type { GpuKernelLike, GpuLike } from '../runtime/gpu-loader.js';
import type { TextureLike } from '../runtime/textures.js';

export interface FakeCounters {
  /** Texture handles not yet deleted. */
  live: number;
  created: number;
  /** `toArray()` calls: reads back to the host. */
  toArray: number;
  /** Kernel calls that returned a texture. */
  pipelineCalls: number;
  /** Kernel calls that returned an array (host fallback). */
  arrayCalls: number;
}

export class FakeTexture implements TextureLike {
  private deleted = false;
  /** Set when the kernel that made it was destroyed (gpu.js's texture cache). */
  killed = false;
  constructor(private readonly values: Float32Array, private readonly counters: FakeCounters) {
    counters.live++;
    counters.created++;
  }

  /** The values a kernel sees; throws on use after delete, as a dead GL texture would be garbage. */
  read(): Float32Array {
    if (this.deleted) throw new Error('fake gpu: a kernel read a deleted texture');
    if (this.killed) throw new Error('fake gpu: a kernel read a texture whose kernel was destroyed');
    return this.values;
  }

  toArray(): Float32Array {
    this.counters.toArray++;
    return this.read().slice();
  }

  delete(): void {
    if (this.deleted) throw new Error('fake gpu: a texture was deleted twice');
    this.deleted = true;
    this.counters.live--;
  }
}

/** Wraps a real gpu.js GPU (any mode) with fake textures. */
export function fakeTextureGpu(real: GpuLike): { gpu: GpuLike; counters: FakeCounters } {
  const counters: FakeCounters = { live: 0, created: 0, toArray: 0, pipelineCalls: 0, arrayCalls: 0 };
  const gpu: GpuLike = {
    mode: 'fake-gl',
    createKernel(source: string, settings: Record<string, unknown> = {}): GpuKernelLike {
      const { pipeline, immutable, ...rest } = settings;
      if (pipeline && !immutable) throw new Error('fake gpu: the runtime must create pipeline kernels immutable');
      const inner = real.createKernel(source, rest);
      let first: FakeTexture | undefined;
      const run = (...args: unknown[]): unknown => {
        const raw = args.map((a) => (a instanceof FakeTexture ? a.read() : a));
        const r = inner(...raw) as ArrayLike<number>;
        if (!pipeline) {
          counters.arrayCalls++;
          return r;
        }
        counters.pipelineCalls++;
        const t = new FakeTexture(Float32Array.from(r), counters);
        first ??= t;
        return t;
      };
      return Object.assign(run, {
        setOutput(output: number[]): GpuKernelLike {
          inner.setOutput(output);
          return run as GpuKernelLike;
        },
        destroy(): void {
          if (first) first.killed = true;
          inner.destroy?.();
        },
      }) as GpuKernelLike;
    },
    destroy: () => real.destroy?.(),
  };
  return { gpu, counters };
}
