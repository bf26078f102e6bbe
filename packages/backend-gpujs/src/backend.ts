import {
  registerBackend,
  type Availability, type Backend, type BackendFactory, type Capabilities, type CompileOptions, type DeviceBuffer, type DType,
  type Program, type TypedArray,
} from '@symgrad/core';
import { generateProgram, GPUJS_DTYPES, GPUJS_KERNEL_KINDS } from './codegen/generate.js';
import { GpujsBuffer, readBuffer, writeBuffer } from './runtime/buffers.js';
import { GpujsExecutable } from './runtime/executable.js';
import { guardKernels } from './runtime/gl-guard.js';
import { loadGpu, type GpuLike, type GpuProbe } from './runtime/gpu-loader.js';
import { GpujsTextureExecutable } from './runtime/texture-executable.js';
import { NO_TEXTURE_STATS, TextureStore, type TextureStats } from './runtime/textures.js';

/** The name this package registers its backend under. */
export const GPUJS_BACKEND_NAME = 'gpujs';

/**
 * Its priority when no backend is chosen explicitly: below the CPU's 10 (in Node gpu.js runs
 * on the CPU anyway, and in browsers WebGPU is preferred), so 'auto' never prefers it.
 */
export const GPUJS_BACKEND_PRIORITY = 5;

/** Indices are computed in float32 inside kernels: exact below 2^24. */
export const GPUJS_MAX_BUFFER_ELEMENTS = 1 << 24;

/** gpu.js modes that render into textures, where `pipeline: true` kernels return Textures. */
const TEXTURE_MODES = /^gpu\.js \((WebGL2|WebGL|headless-gl)\)$/;

/** Options of `GpujsBackend.create`. */
export interface GpujsBackendOptions {
  /**
   * Keep buffers in textures between kernels and runs (pipeline mode). Defaults to true in
   * gpu.js's GL modes and false in its cpu/webasm modes, where kernels return arrays.
   */
  readonly textures?: boolean;
}

/** The texture units a WebGL2 fragment shader is guaranteed (MAX_TEXTURE_IMAGE_UNITS ≥ 16). */
export const WEBGL2_TEXTURE_UNITS = 16;

/**
 * The gpu.js backend: kernels generated per Program as gpu.js kernel source, run in
 * whatever mode gpu.js picks (WebGL2 in browsers; WebAssembly or plain JS in Node, see
 * `capabilities.device`). float32, int32 and bool; float64 is rejected at compile.
 *
 * @example
 * ```ts
 * import { getBackend } from '@symgrad/core';
 * import '@symgrad/backend-gpujs';
 * const g = await getBackend('gpujs');
 * g.capabilities.device; // 'gpu.js (webasm)' in Node, 'gpu.js (WebGL2)' in a browser
 * ```
 */
export class GpujsBackend implements Backend {
  readonly name = GPUJS_BACKEND_NAME;
  readonly capabilities: Capabilities;
  /** Strong references: dispose() deletes the textures of every buffer still allocated. */
  private readonly live = new Set<DeviceBuffer>();
  private readonly executables = new Set<GpujsExecutable | GpujsTextureExecutable>();
  /** Texture mode's storage; undefined in host-array mode. */
  private readonly store: TextureStore | undefined;
  private disposed = false;
  private readonly gpu: GpuLike;

  constructor(gpu: GpuLike, device: string, options: GpujsBackendOptions = {}) {
    this.gpu = guardKernels(gpu);
    this.store = (options.textures ?? TEXTURE_MODES.test(device)) ? new TextureStore(this.gpu) : undefined;
    this.capabilities = {
      dtypes: GPUJS_DTYPES,
      kernels: GPUJS_KERNEL_KINDS,
      maxBufferElements: GPUJS_MAX_BUFFER_ELEMENTS,
      precisions: ['fp32'],
      syncRead: false,
      // On WebGL each input is a texture unit: fusion stays within the 16 that WebGL2 guarantees.
      ...(this.store ? { maxKernelBuffers: WEBGL2_TEXTURE_UNITS } : {}),
      device,
    };
  }

  /** Loads gpu.js and creates the backend; rejects with the reason when gpu.js cannot run. */
  static async create(load: () => Promise<GpuProbe> = () => loadGpu(), options: GpujsBackendOptions = {}): Promise<GpujsBackend> {
    const p = await load();
    if (!p.ok) throw new Error(`cannot create the '${GPUJS_BACKEND_NAME}' backend: ${p.reason}`);
    return new GpujsBackend(p.gpu, p.device, options);
  }

  /** Whether buffers live in textures between kernels (pipeline mode). */
  get textureMode(): boolean {
    return this.store !== undefined;
  }

  /**
   * Host/GPU traffic and live textures so far (all zero in host-array mode): tests check
   * that intermediates never leave the GPU and that dispose() deletes every texture.
   */
  textureStats(): TextureStats {
    return { ...(this.store?.stats ?? NO_TEXTURE_STATS) };
  }

  private own(buffer: DeviceBuffer, what: string): GpujsBuffer {
    if (this.disposed) throw new Error('gpujs backend: the backend was disposed');
    if (!this.live.has(buffer)) throw new Error(`gpujs backend: ${what}: the buffer was not allocated by this gpujs backend, or was freed`);
    return buffer as GpujsBuffer;
  }

  allocate(dtype: DType, size: number): GpujsBuffer {
    if (this.disposed) throw new Error('gpujs backend: the backend was disposed');
    if (!GPUJS_DTYPES.includes(dtype)) throw new Error(`gpujs backend: cannot allocate dtype '${String(dtype)}': supported dtypes are ${GPUJS_DTYPES.join(', ')}`);
    if (!Number.isInteger(size) || size < 0 || size > GPUJS_MAX_BUFFER_ELEMENTS) {
      throw new Error(`gpujs backend: cannot allocate ${String(size)} elements of ${dtype}: at most ${GPUJS_MAX_BUFFER_ELEMENTS} elements per buffer`);
    }
    const b = new GpujsBuffer(dtype, size);
    this.live.add(b);
    return b;
  }

  free(buffer: DeviceBuffer): void {
    const b = this.own(buffer, 'free');
    this.store?.drop(b);
    b.freed = true;
    this.live.delete(b);
  }

  write(buffer: DeviceBuffer, data: TypedArray): void {
    const b = this.own(buffer, 'write');
    writeBuffer(b, data);
    // The host copy is now the value; the next kernel that reads it uploads it once.
    this.store?.drop(b);
    b.hostValid = true;
  }

  private readOne(buffer: DeviceBuffer): TypedArray {
    const b = this.own(buffer, 'read');
    this.store?.sync(b);
    return readBuffer(b);
  }

  read(buffer: DeviceBuffer): Promise<TypedArray> {
    try {
      return Promise.resolve(this.readOne(buffer));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  readMany(buffers: readonly DeviceBuffer[]): Promise<TypedArray[]> {
    try {
      return Promise.resolve(buffers.map((b) => this.readOne(b)));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** Generates every kernel's gpu.js source; throws listing every unsupported dtype or kernel at once. */
  compile(program: Program, _options: CompileOptions): GpujsExecutable | GpujsTextureExecutable {
    if (this.disposed) throw new Error('gpujs backend: the backend was disposed');
    const launches = generateProgram(program, this.capabilities.maxBufferElements, { packed: !!this.store });
    const own = (b: DeviceBuffer): b is GpujsBuffer => this.live.has(b);
    const exe = this.store
      ? new GpujsTextureExecutable(this.gpu, this.store, launches, new Map(program.buffers.map((b) => [b.id, b.size])), own)
      : new GpujsExecutable(this.gpu, launches, own);
    // Tracked so dispose() destroys their kernels; forgotten when the caller disposes one.
    this.executables.add(exe);
    const dispose = exe.dispose.bind(exe);
    exe.dispose = () => {
      this.executables.delete(exe);
      dispose();
    };
    return exe;
  }

  /** Deletes every texture (buffers still allocated included), every kernel, then the GPU. */
  dispose(): void {
    if (this.disposed) return;
    // Textures first, so disposing the executables has nothing left to rehome.
    this.store?.dispose();
    for (const e of [...this.executables]) e.dispose();
    for (const b of this.live) (b as GpujsBuffer).freed = true;
    this.live.clear();
    this.disposed = true;
    this.gpu.destroy?.();
  }
}

/**
 * A factory over a gpu.js loader (tests inject one that fails) and the backend's options.
 * The loader runs once, for the first availability check or `create`, and its reason
 * becomes the availability's.
 *
 * @example
 * ```ts
 * const broken = createGpujsBackendFactory(async () => ({ ok: false, reason: 'no WebGL2' }));
 * await broken.availability(); // { ok: false, reason: 'no WebGL2' }
 * // host arrays between kernels, even where gpu.js renders into textures
 * registerBackend('gpujs-host', createGpujsBackendFactory(undefined, { textures: false }), 5);
 * ```
 */
export function createGpujsBackendFactory(load: () => Promise<GpuProbe> = () => loadGpu(), options: GpujsBackendOptions = {}): BackendFactory {
  let probe: Promise<GpuProbe> | undefined;
  const once = () => (probe ??= load());
  return {
    async availability(): Promise<Availability> {
      const p = await once();
      return p.ok ? { ok: true } : { ok: false, reason: p.reason };
    },
    create: () => GpujsBackend.create(once, options),
  };
}

/** The factory registered under `'gpujs'`: it imports gpu.js on first use, not when the package is imported. */
export const gpujsBackendFactory: BackendFactory = createGpujsBackendFactory();

/**
 * Registers the backend as 'gpujs' (idempotent; importing the package does this). Its
 * priority, 5, is below the CPU's, so functions use it only when asked to.
 *
 * @example
 * ```ts
 * registerGpujsBackend();
 * const f = fn([x], x.mul(2).sum(), { backend: 'gpujs' });
 * ```
 */
export function registerGpujsBackend(): void {
  registerBackend(GPUJS_BACKEND_NAME, gpujsBackendFactory, GPUJS_BACKEND_PRIORITY);
}
