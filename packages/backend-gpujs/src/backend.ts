import {
  KERNEL_KINDS, registerBackend,
  type Availability, type Backend, type BackendFactory, type Capabilities, type CompileOptions, type DeviceBuffer, type DType,
  type Program, type TypedArray,
} from '@symgrad/core';
import { generateProgram, GPUJS_DTYPES } from './codegen/generate.js';
import { GpujsBuffer, readBuffer, writeBuffer } from './runtime/buffers.js';
import { GpujsExecutable } from './runtime/executable.js';
import { loadGpu, type GpuLike, type GpuProbe } from './runtime/gpu-loader.js';

/** The name this package registers its backend under. */
export const GPUJS_BACKEND_NAME = 'gpujs';

/**
 * Its priority when no backend is chosen explicitly: below the CPU's 10, since results
 * travel through host arrays between kernels (see README), so 'auto' never prefers it.
 */
export const GPUJS_BACKEND_PRIORITY = 5;

/** Indices are computed in float32 inside kernels: exact below 2^24. */
export const GPUJS_MAX_BUFFER_ELEMENTS = 1 << 24;

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
  private readonly live = new WeakSet<DeviceBuffer>();
  private disposed = false;

  constructor(private readonly gpu: GpuLike, device: string) {
    this.capabilities = {
      dtypes: GPUJS_DTYPES,
      kernels: KERNEL_KINDS,
      maxBufferElements: GPUJS_MAX_BUFFER_ELEMENTS,
      precisions: ['fp32'],
      syncRead: false,
      device,
    };
  }

  /** Loads gpu.js and creates the backend; rejects with the reason when gpu.js cannot run. */
  static async create(load: () => Promise<GpuProbe> = () => loadGpu()): Promise<GpujsBackend> {
    const p = await load();
    if (!p.ok) throw new Error(`cannot create the '${GPUJS_BACKEND_NAME}' backend: ${p.reason}`);
    return new GpujsBackend(p.gpu, p.device);
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
    b.freed = true;
    this.live.delete(b);
  }

  write(buffer: DeviceBuffer, data: TypedArray): void {
    writeBuffer(this.own(buffer, 'write'), data);
  }

  read(buffer: DeviceBuffer): Promise<TypedArray> {
    try {
      return Promise.resolve(readBuffer(this.own(buffer, 'read')));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  readMany(buffers: readonly DeviceBuffer[]): Promise<TypedArray[]> {
    try {
      return Promise.resolve(buffers.map((b) => readBuffer(this.own(b, 'read'))));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** Generates every kernel's gpu.js source; throws listing every unsupported dtype or kernel at once. */
  compile(program: Program, _options: CompileOptions): GpujsExecutable {
    if (this.disposed) throw new Error('gpujs backend: the backend was disposed');
    const launches = generateProgram(program, this.capabilities.maxBufferElements);
    return new GpujsExecutable(this.gpu, launches, (b): b is GpujsBuffer => this.live.has(b));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gpu.destroy?.();
  }
}

/** A factory over a gpu.js loader (tests inject one that fails). */
export function createGpujsBackendFactory(load: () => Promise<GpuProbe> = () => loadGpu()): BackendFactory {
  let probe: Promise<GpuProbe> | undefined;
  const once = () => (probe ??= load());
  return {
    async availability(): Promise<Availability> {
      const p = await once();
      return p.ok ? { ok: true } : { ok: false, reason: p.reason };
    },
    create: () => GpujsBackend.create(once),
  };
}

export const gpujsBackendFactory: BackendFactory = createGpujsBackendFactory();

/** Registers the backend as 'gpujs' (idempotent; importing the package does this). */
export function registerGpujsBackend(): void {
  registerBackend(GPUJS_BACKEND_NAME, gpujsBackendFactory, GPUJS_BACKEND_PRIORITY);
}
