import type { GpuKernelLike, GpuLike } from './gpu-loader.js';
import type { GpujsBuffer } from './buffers.js';

/**
 * Texture (pipeline) mode's buffer storage. In gpu.js's GPU modes a kernel created with
 * `pipeline: true` returns a Texture that the next kernel takes as an argument without a
 * round trip through host memory; this file owns those textures: which buffer holds which,
 * uploads, read-backs, and deletion. Lifetime rules it enforces:
 *
 * - Kernels are `immutable`, so every call returns a fresh texture handle (gpu.js counts
 *   references on the GL texture); a buffer holds exactly one handle, and replacing or
 *   freeing the buffer's value deletes the old handle at once (`texture.delete()`).
 * - A gpu.js kernel's first output texture sits in that kernel's texture cache, and
 *   `kernel.destroy()` deletes the cache with raw `deleteTexture` whatever its reference
 *   count. So before a kernel is destroyed, buffers still holding a texture it made get a
 *   copy made by this store's own kernels (`rehome`), which live until the backend is
 *   disposed.
 */

/** The parts of a gpu.js Texture this backend uses. */
export interface TextureLike {
  toArray(): ArrayLike<number>;
  delete(): void;
}

/** Counters for tests and profiling: how often data crossed between host and GPU. */
export interface TextureStats {
  /** Texture handles held by buffers now. */
  live: number;
  /** Handles ever adopted (kernel results and uploads). */
  created: number;
  /** Handles deleted. */
  deleted: number;
  /** `texture.toArray()` calls: GPU → host copies. */
  hostReads: number;
  /** Host → GPU uploads of a buffer's host copy. */
  uploads: number;
  /** Launches run through the host fallback (an output view not invertible; none today). */
  fallbacks: number;
  /** `random` kernels drawn on the host (every one: see codegen/random.ts). */
  hostDraws: number;
}

/** All counters at zero. */
export const NO_TEXTURE_STATS: Readonly<TextureStats> = { live: 0, created: 0, deleted: 0, hostReads: 0, uploads: 0, fallbacks: 0, hostDraws: 0 };

const PIPELINE = { precision: 'single', tactic: 'precision', pipeline: true, immutable: true } as const;

export class TextureStore {
  private readonly owner = new Map<GpujsBuffer, GpuKernelLike | undefined>();
  private readonly uploadKernels = new Map<number, GpuKernelLike>();
  private readonly copyKernels = new Map<number, GpuKernelLike>();
  readonly stats: TextureStats = { ...NO_TEXTURE_STATS };

  constructor(private readonly gpu: GpuLike) {}

  /** Gives `b` a new value on the GPU made by `kernel`; its host copy becomes stale. */
  replace(b: GpujsBuffer, texture: TextureLike, kernel: GpuKernelLike | undefined): void {
    this.drop(b);
    b.texture = texture;
    b.hostValid = false;
    this.owner.set(b, kernel);
    this.stats.live++;
    this.stats.created++;
  }

  /** Deletes `b`'s texture (the host copy must already be current, or the value is discarded). */
  drop(b: GpujsBuffer): void {
    const t = b.texture;
    if (!t) return;
    b.texture = undefined;
    this.owner.delete(b);
    t.delete();
    this.stats.live--;
    this.stats.deleted++;
  }

  /** Brings `b`'s host copy up to date (one `toArray()` when the GPU holds the newer value). */
  sync(b: GpujsBuffer): void {
    if (b.hostValid || !b.texture) return;
    const values = b.texture.toArray();
    this.stats.hostReads++;
    if (values.length < b.size) throw new Error(`gpujs backend: reading the ${b.dtype}[${b.size}] buffer: its texture holds only ${values.length} values`);
    for (let i = 0; i < b.size; i++) b.data[i] = values[i]!;
    b.hostValid = true;
  }

  /** `b`'s texture, uploading its host copy first when it has none. */
  texture(b: GpujsBuffer): TextureLike {
    if (b.texture) return b.texture;
    const n = Math.max(1, b.size);
    // An empty buffer still needs a texture to bind (gpu.js has no zero-sized output).
    const data = b.size > 0 ? b.data : new Float32Array(1);
    const k = this.kernelFor(this.uploadKernels, n);
    let t: TextureLike;
    try {
      t = k(data) as TextureLike;
    } catch (err) {
      throw new Error(`gpujs backend: uploading the ${b.dtype}[${b.size}] buffer failed: ${(err as Error).message}`);
    }
    this.replace(b, t, k);
    b.hostValid = true;
    this.stats.uploads++;
    return t;
  }

  /**
   * Before `kernels` are destroyed: buffers holding a texture one of them made get a copy
   * made by a store kernel (see the file comment for why a clone is not enough).
   */
  rehome(kernels: ReadonlySet<GpuKernelLike>): void {
    for (const [b, k] of [...this.owner]) {
      if (!k || !kernels.has(k)) continue;
      // A current host copy is the value already: drop the texture, upload when next read.
      if (b.hostValid) {
        this.drop(b);
        continue;
      }
      const copy = this.kernelFor(this.copyKernels, Math.max(1, b.size));
      this.replace(b, copy(b.texture) as TextureLike, copy);
    }
  }

  /** Deletes every texture and the store's kernels (backend dispose). */
  dispose(): void {
    for (const b of [...this.owner.keys()]) this.drop(b);
    for (const k of [...this.uploadKernels.values(), ...this.copyKernels.values()]) k.destroy?.();
    this.uploadKernels.clear();
    this.copyKernels.clear();
  }

  /** An identity kernel over `n` elements (uploads take an array, copies a texture). */
  private kernelFor(cache: Map<number, GpuKernelLike>, n: number): GpuKernelLike {
    let k = cache.get(n);
    if (!k) {
      k = this.gpu.createKernel('function (a) {\n  return a[this.thread.x];\n}', { ...PIPELINE, output: [n] });
      cache.set(n, k);
    }
    return k;
  }
}
