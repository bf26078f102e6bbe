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
  /** Every channel of every texel, row-major (gpu.js's GL textures); read-backs use it on packed textures. */
  renderRawOutput?(): ArrayLike<number>;
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
const IDENTITY_SOURCE = 'function (a) {\n  return a[this.thread.x];\n}';
// Texel i holds values 4i … 4i + 3 (gpu.js's Array(4) return type); reads past the end are never used.
const PACK_SOURCE = 'function (a) {\n  let i = this.thread.x * 4.0;\n  return [a[i], a[i + 1.0], a[i + 2.0], a[i + 3.0]];\n}';

export class TextureStore {
  private readonly owner = new Map<GpujsBuffer, GpuKernelLike | undefined>();
  private readonly uploadKernels = new Map<number, GpuKernelLike>();
  private readonly copyKernels = new Map<number, GpuKernelLike>();
  private readonly packKernels = new Map<number, GpuKernelLike>();
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

  /** Brings `b`'s host copy up to date (one read-back when the GPU holds the newer value). */
  sync(b: GpujsBuffer): void {
    if (b.hostValid || !b.texture) return;
    const values = this.download(b.texture, b.size);
    this.stats.hostReads++;
    if (values.length < b.size) throw new Error(`gpujs backend: reading the ${b.dtype}[${b.size}] buffer: its texture holds only ${values.length} values`);
    if (values instanceof Float32Array && b.data instanceof Float32Array) b.data.set(values.subarray(0, b.size));
    else for (let i = 0; i < b.size; i++) b.data[i] = values[i]!;
    b.hostValid = true;
  }

  /**
   * A buffer's values from its texture. A buffer's texture holds one value per texel, and a
   * read-back moves every channel of every texel (RGBA: four floats a value), so the values
   * are first packed four to a texel by a store kernel and that texture read raw: a quarter
   * of the bytes (256,000 values on Chromium's SwiftShader: 19 -> 9 ms). A texture without
   * raw reads is read whole.
   */
  private download(t: TextureLike, size: number): ArrayLike<number> {
    if (size < 4) return t.toArray();
    // Keyed by the buffer's size, not the packed one: a gpu.js kernel is compiled for its
    // arguments' texture sizes, so buffers of 13 and 16 values need two kernels.
    const k = this.kernelFor(this.packKernels, size, PACK_SOURCE, Math.ceil(size / 4));
    const packed = k(t) as TextureLike;
    try {
      return packed.renderRawOutput ? packed.renderRawOutput() : t.toArray();
    } finally {
      // Deleted at once, so the kernel renders into the same texture at the next read.
      packed.delete();
    }
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
    for (const k of [...this.uploadKernels.values(), ...this.copyKernels.values(), ...this.packKernels.values()]) k.destroy?.();
    this.uploadKernels.clear();
    this.copyKernels.clear();
    this.packKernels.clear();
  }

  /**
   * A store kernel for arguments of `n` values, over `threads` threads: by default the
   * identity (uploads take an array, copies a texture).
   */
  private kernelFor(cache: Map<number, GpuKernelLike>, n: number, source = IDENTITY_SOURCE, threads = n): GpuKernelLike {
    let k = cache.get(n);
    if (!k) {
      k = this.gpu.createKernel(source, { ...PIPELINE, output: [threads] });
      cache.set(n, k);
    }
    return k;
  }
}
