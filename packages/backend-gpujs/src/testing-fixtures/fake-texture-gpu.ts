/**
 * Test-only: a gpu.js stand-in with textures, for Node, where gpu.js has no GPU mode. Kernels
 * run on the real gpu.js (webasm/cpu) underneath; a `pipeline: true` kernel returns a
 * FakeTexture instead of an array, and kernels take FakeTextures as arguments. It enforces
 * the lifetime rules of gpu.js's GL textures so the texture runtime's mistakes show up in
 * Node: reading a deleted handle throws, and destroying a kernel kills the first texture it
 * made (gpu.js deletes its texture cache whatever the reference count). The browser test
 * runs the same runtime on real WebGL2 textures.
 */
import { loadGpu, type GpuKernelLike, type GpuLike } from '../runtime/gpu-loader.js';
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
  /**
   * @param channels values per texel: 1, or 4 for a kernel returning `[x, y, z, w]` (gpu.js's
   * `Array(4)`, a packed matmul operand), which kernels read a texel at a time.
   */
  constructor(private readonly values: Float32Array, private readonly counters: FakeCounters, readonly channels: 1 | 4 = 1) {
    counters.live++;
    counters.created++;
  }

  /** The values a kernel sees; throws on use after delete, as a dead GL texture would be garbage. */
  read(): Float32Array | Float32Array[] {
    if (this.deleted) throw new Error('fake gpu: a kernel read a deleted texture');
    if (this.killed) throw new Error('fake gpu: a kernel read a texture whose kernel was destroyed');
    if (this.channels === 1) return this.values;
    return Array.from({ length: this.values.length / 4 }, (_, i) => this.values.subarray(4 * i, 4 * i + 4));
  }

  toArray(): Float32Array {
    this.counters.toArray++;
    if (this.channels !== 1) throw new Error('fake gpu: toArray() of a packed texture (the runtime reads those raw)');
    return this.values.slice();
  }

  /** Every channel of every texel, as gpu.js's GL textures give them (counted as a read-back). */
  renderRawOutput(): Float32Array {
    this.counters.toArray++;
    this.read();
    return this.values.slice();
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
        const r = inner(...raw) as ArrayLike<number> | ArrayLike<ArrayLike<number>>;
        if (!pipeline) {
          counters.arrayCalls++;
          return r;
        }
        counters.pipelineCalls++;
        const packed = r.length > 0 && typeof r[0] !== 'number';
        const t = packed
          ? new FakeTexture(Float32Array.from(Array.from(r as ArrayLike<ArrayLike<number>>, (v) => Array.from(v)).flat()), counters, 4)
          : new FakeTexture(Float32Array.from(r as ArrayLike<number>), counters);
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

/** The device string of a backend over `fakeTextureGpuOverCpu`. */
export const FAKE_TEXTURE_DEVICE = 'gpu.js (fake textures over cpu)';

/**
 * gpu.js in its cpu mode, wrapped with fake textures. The cpu mode, not webasm (Node's
 * default): a packed matmul reads an operand's vec4 texel into a local (packed-matmul.ts),
 * which gpu.js's webasm mode cannot hold, as WebGL2 can.
 */
export async function fakeTextureGpuOverCpu(): Promise<{ gpu: GpuLike; counters: FakeCounters }> {
  const p = await loadGpu(async () => {
    const m = (await import('gpu.js')) as unknown as { GPU: new (settings: object) => object };
    return { GPU: class extends m.GPU { constructor(settings: object = {}) { super({ ...settings, mode: 'cpu' }); } } };
  });
  if (!p.ok) throw new Error(p.reason);
  return fakeTextureGpu(p.gpu);
}
