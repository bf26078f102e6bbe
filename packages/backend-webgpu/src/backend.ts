import {
  registerBackend,
  type Availability, type Backend, type BackendFactory, type Capabilities, type CompileOptions, type DeviceBuffer, type DType,
  type Executable, type MatmulKernel, type Program, type TypedArray,
} from '@symgrad/core';
import { checkAndGenerate, type ProgramLimits } from './codegen/check.js';
import { WEBGPU_KERNEL_KINDS } from './codegen/kernel.js';
import { defaultMatmulConfigFor, matmulConfigFromEnv, matmulTuningFromEnv, type MatmulConfig, type MatmulConfigChooser } from './codegen/matmul-config.js';
import { WGSL_DTYPES } from './codegen/wgsl-types.js';
import { BufferPool, byteSizeOf, fromDeviceWords, MAP_READ, toDeviceWords, USAGE, type WebGPUBuffer } from './runtime/buffers.js';
import { DeviceContext } from './runtime/device.js';
import { WebGPUExecutable } from './runtime/executable.js';
import { MatmulTuner, type MatmulTuningOptions, type MatmulTuningRecord } from './runtime/matmul-tuner.js';
import { OrderedQueue } from './runtime/ordered-queue.js';
import { describeAdapter, requestWebGPUAdapter, type GpuLoaderOptions } from './runtime/gpu-loader.js';

/** The name this package registers its backend under. */
export const WEBGPU_BACKEND_NAME = 'webgpu';

/** Its priority when no backend is chosen explicitly (cpu is 10, cuda 30). */
export const WEBGPU_BACKEND_PRIORITY = 20;

/** How to find the device, and limits to lower below the device's (tests: force 2-D dispatch splits). */
export interface WebGPUBackendOptions extends GpuLoaderOptions {
  readonly limits?: Partial<ProgramLimits>;
  /**
   * The tile config of each matmul (sizes m, n, k; batch = number of matrices). Without it,
   * SYMGRAD_WEBGPU_MATMUL="tileM,tileN,tileK,threadM,threadN" (Node, read when the backend is
   * created) fixes one config for every matmul, else defaultMatmulConfigFor picks one per shape.
   */
  readonly matmulConfig?: MatmulConfigChooser;
  /**
   * Time candidate matmul configs on the device for each product shape the first time one is
   * compiled, and keep the fastest (`true`: every `matmulConfigCandidates` entry and the
   * per-shape default), each checked against the 64×64 default's product first (a wrong one is
   * never chosen). Compiling a Program with a new shape then takes longer (its pipelines,
   * and a few runs of each candidate). Needs timestamp queries; ignored where `matmulConfig`
   * or a config in SYMGRAD_WEBGPU_MATMUL is given. SYMGRAD_WEBGPU_MATMUL=tune turns it on (Node).
   */
  readonly matmulTuning?: boolean | MatmulTuningOptions;
}

/** The chooser a backend uses: the option, else the environment's config; throws on an invalid SYMGRAD_WEBGPU_MATMUL. */
export function resolveMatmulChooser(options: WebGPUBackendOptions): MatmulConfigChooser | undefined {
  if (options.matmulConfig) return options.matmulConfig;
  const env: MatmulConfig | undefined = matmulConfigFromEnv();
  return env && (() => env);
}

/** The tuning a backend asks for: none where a config is fixed, else the option, else SYMGRAD_WEBGPU_MATMUL=tune. */
export function resolveMatmulTuning(options: WebGPUBackendOptions, chooser: MatmulConfigChooser | undefined): MatmulTuningOptions | undefined {
  if (chooser) return undefined;
  const t = options.matmulTuning ?? matmulTuningFromEnv();
  return t === false ? undefined : t === true ? {} : t;
}


const TYPED_NAMES: Record<string, DType> = { Float32Array: 'float32', Int32Array: 'int32', Uint8Array: 'bool' };

/**
 * The WebGPU backend: WGSL kernels generated per Program, run through `navigator.gpu`
 * (browsers) or Dawn (the `webgpu` package, Node). Buffers hold 32-bit words (bool as i32
 * 0/1); float64 is not supported. Results are read with `read` (async, the only call that
 * waits for the device).
 *
 * @example
 * ```ts
 * import { getBackend } from '@symgrad/core';
 * import '@symgrad/backend-webgpu';
 * const gpu = await getBackend('webgpu');
 * const b = gpu.allocate('float32', 3);
 * gpu.write(b, Float32Array.of(1, 2, 3));
 * await gpu.read(b); // Float32Array [1, 2, 3]
 * ```
 */
export class WebGPUBackend implements Backend {
  readonly name = WEBGPU_BACKEND_NAME;
  readonly capabilities: Capabilities;
  /** Device buffers created (not taken from the pool) and frees, so tests can check a steady state. */
  readonly stats = { allocations: 0, frees: 0 };
  private readonly live = new WeakSet<DeviceBuffer>();
  private readonly storage: BufferPool;
  private readonly staging: BufferPool;
  private readonly queue = new OrderedQueue();
  private disposed = false;

  private readonly limits: ProgramLimits;
  private readonly tuner: MatmulTuner | undefined;

  private constructor(private readonly ctx: DeviceContext, lower: Partial<ProgramLimits> = {}, private readonly matmulConfig?: MatmulConfigChooser, tuning?: MatmulTuningOptions) {
    const l = ctx.limits;
    const tunable = tuning !== undefined && ctx.timestamps;
    const min = (k: keyof ProgramLimits, v: number) => Math.min(v, lower[k] ?? Infinity);
    this.limits = {
      // Whole vec4s, since allocations are padded to 16 bytes (byteSizeOf).
      maxBufferElements: min('maxBufferElements', Math.floor(Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize) / 16) * 4),
      maxStorageBuffersPerShaderStage: min('maxStorageBuffersPerShaderStage', l.maxStorageBuffersPerShaderStage),
      maxComputeWorkgroupsPerDimension: min('maxComputeWorkgroupsPerDimension', l.maxComputeWorkgroupsPerDimension),
      maxComputeWorkgroupStorageSize: min('maxComputeWorkgroupStorageSize', l.maxComputeWorkgroupStorageSize),
      maxComputeInvocationsPerWorkgroup: min('maxComputeInvocationsPerWorkgroup', l.maxComputeInvocationsPerWorkgroup),
    };
    this.capabilities = {
      dtypes: WGSL_DTYPES,
      kernels: WEBGPU_KERNEL_KINDS,
      maxBufferElements: this.limits.maxBufferElements,
      precisions: ['fp32'],
      syncRead: false,
      // Fusion keeps every kernel within the storage buffers a shader may bind.
      maxKernelBuffers: this.limits.maxStorageBuffersPerShaderStage,
      device: tuning === undefined ? ctx.adapterName
        : `${ctx.adapterName}, ${tunable ? 'matmul configs tuned per shape' : 'matmul tuning unavailable (the device has no timestamp queries)'}`,
    };
    this.tuner = tunable ? new MatmulTuner(ctx, this.limits, tuning) : undefined;
    this.storage = new BufferPool(ctx.device, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST, 'symgrad buffer');
    this.staging = new BufferPool(ctx.device, USAGE.MAP_READ | USAGE.COPY_DST, 'symgrad read-back');
  }

  /** Finds an adapter and creates a device; rejects with the reason when there is none. */
  static async create(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
    const choose = resolveMatmulChooser(options);
    const tuning = resolveMatmulTuning(options, choose);
    const a = await requestWebGPUAdapter(options);
    if (!a.ok) throw new Error(`cannot create the '${WEBGPU_BACKEND_NAME}' backend: ${a.reason}`);
    return new WebGPUBackend(await DeviceContext.create(a.adapter, describeAdapter(a.adapter)), options.limits, choose, tuning);
  }

  /** Every matmul shape tuned so far (`matmulTuning`), with each candidate's µs per call and the config chosen. */
  get matmulTuningRecords(): readonly MatmulTuningRecord[] {
    return this.tuner?.records ?? [];
  }

  private alive(): void {
    if (this.disposed) throw new Error('webgpu backend: the backend was disposed');
    this.ctx.check();
  }

  private own(buffer: DeviceBuffer, what: string): WebGPUBuffer {
    this.alive();
    if (!this.live.has(buffer)) throw new Error(`webgpu backend: ${what}: the buffer was not allocated by this webgpu backend, or was freed`);
    return buffer as WebGPUBuffer;
  }

  allocate(dtype: DType, size: number): WebGPUBuffer {
    this.alive();
    if (!WGSL_DTYPES.includes(dtype)) throw new Error(`webgpu backend: cannot allocate dtype '${String(dtype)}': supported dtypes are ${WGSL_DTYPES.join(', ')}`);
    const max = this.capabilities.maxBufferElements;
    if (!Number.isInteger(size) || size < 0 || size > max) {
      throw new Error(`webgpu backend: cannot allocate ${String(size)} elements of ${dtype}: this device binds at most ${max} elements per buffer`);
    }
    const byteSize = byteSizeOf(size);
    const gpu = this.storage.take(byteSize);
    const buffer: WebGPUBuffer = { dtype, size, gpu, byteSize };
    this.live.add(buffer);
    this.stats.allocations++;
    return buffer;
  }

  free(buffer: DeviceBuffer): void {
    const b = this.own(buffer, 'free');
    this.live.delete(b);
    // Back to the pool only after every queued run that may use it.
    this.queue.submit(() => this.storage.give(b.gpu));
    this.stats.frees++;
  }

  write(buffer: DeviceBuffer, data: TypedArray): void {
    const b = this.own(buffer, 'write');
    const dtype = TYPED_NAMES[Object.prototype.toString.call(data).slice(8, -1)];
    if (dtype !== b.dtype || data.length !== b.size) {
      const got = dtype ? `${dtype}[${data.length}]` : `a ${Object.prototype.toString.call(data).slice(8, -1)}`;
      throw new Error(`webgpu backend: write: the buffer is ${b.dtype}[${b.size}], got ${got}`);
    }
    if (b.size === 0) return;
    // The device queue puts the copy after every run submitted before it and before every
    // later one; while a run waits for its pipelines, the copy waits behind it (on a copy of the data).
    const words = this.queue.idle ? toDeviceWords(b.dtype, data) : toDeviceWords(b.dtype, data).slice();
    this.queue.submit(() => {
      if (!this.disposed) this.ctx.device.queue.writeBuffer(b.gpu, 0, words.buffer, words.byteOffset, words.byteLength);
    });
  }

  async read(buffer: DeviceBuffer): Promise<TypedArray> {
    const b = this.own(buffer, 'read');
    await this.queue.drain();
    this.alive();
    const staging = this.staging.take(b.byteSize);
    const encoder = this.ctx.device.createCommandEncoder();
    encoder.copyBufferToBuffer(b.gpu, 0, staging, 0, b.byteSize);
    this.ctx.device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(MAP_READ);
    } catch (err) {
      this.ctx.check();
      throw new Error(`webgpu backend: reading the ${b.dtype}[${b.size}] buffer failed: ${(err as Error).message}`);
    }
    try {
      this.ctx.check();
      return fromDeviceWords(b.dtype, b.size, staging.getMappedRange());
    } finally {
      staging.unmap();
      this.staging.give(staging);
    }
  }

  /**
   * Compiles a Program: checks every buffer, kernel and the precision first and throws one
   * error listing every problem (float64 buffers, oversized buffers, too many bindings, …);
   * then generates WGSL for every kernel and starts creating all pipelines at once
   * (`Executable.ready` resolves when they exist; no shader is compiled on a later step).
   */
  compile(program: Program, options: CompileOptions): Executable {
    this.alive();
    const r = checkAndGenerate(program, this.limits, options?.precision, this.matmulConfig);
    if (!r.ok) {
      throw new Error(`webgpu backend cannot compile this program:\n  ${r.problems.join('\n  ')}\n(supported kernels: ${WEBGPU_KERNEL_KINDS.join(', ')}; dtypes: ${WGSL_DTYPES.join(', ')})`);
    }
    const own = (b: DeviceBuffer): b is WebGPUBuffer => !this.disposed && this.live.has(b);
    const tuner = this.tuner;
    const products = program.kernels.filter((k): k is MatmulKernel => k.kind === 'matmul');
    if (!tuner || products.length === 0) return new WebGPUExecutable(this.ctx, this.queue, r.kernels, own);
    // The kernels with each product's tuned config (the checked defaults name the buffers meanwhile).
    const tuned = Promise.all(products.map(async (k) => [k, await tuner.choose(k)] as const)).then((chosen) => {
      const configs = new Map<MatmulKernel, MatmulConfig>(chosen);
      const t = checkAndGenerate(program, this.limits, options?.precision, (m, n, kk, batch, kernel) => configs.get(kernel!) ?? defaultMatmulConfigFor(m, n, kk, batch, this.limits, kernel));
      if (!t.ok) throw new Error(`webgpu backend: a tuned matmul config does not fit:\n  ${t.problems.join('\n  ')}`);
      return t.kernels;
    });
    return new WebGPUExecutable(this.ctx, this.queue, r.kernels, own, tuned);
  }

  /** Destroys the device (every buffer with it); the backend is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.storage.clear();
    this.staging.clear();
    this.ctx.destroy();
  }
}

/**
 * Builds a factory. `availability()` looks for an adapter once and remembers the answer;
 * the reason names what is missing (the `webgpu` package, a Vulkan loader or driver, an
 * adapter) and how to get it. Loader options are replaceable in tests. For a backend with
 * other options than the default `'webgpu'` one (adapter preference, matmul tuning).
 *
 * @example
 * ```ts
 * const factory = createWebGPUBackendFactory({ adapterOptions: { powerPreference: 'high-performance' }, matmulTuning: true });
 * await factory.availability(); // { ok: true } or { ok: false, reason: 'no WebGPU implementation: …' }
 * registerBackend('webgpu-tuned', factory, 21);
 * ```
 */
export function createWebGPUBackendFactory(options: WebGPUBackendOptions = {}): BackendFactory {
  let avail: Promise<Availability> | undefined;
  // Read once, when the factory is made; an invalid value is reported by create(), not on
  // import (the default factory is made when the package is imported).
  let chooser: MatmulConfigChooser | undefined;
  let envError: Error | undefined;
  try {
    chooser = resolveMatmulChooser(options);
  } catch (err) {
    envError = err as Error;
  }
  return {
    availability(): Promise<Availability> {
      avail ??= requestWebGPUAdapter(options).then(
        (a) => (a.ok ? { ok: true as const } : { ok: false as const, reason: a.reason }),
        (err: unknown) => ({ ok: false as const, reason: `looking for WebGPU failed: ${(err as Error).message}` }),
      );
      return avail;
    },
    create: () => (envError ? Promise.reject(envError) : WebGPUBackend.create({ ...options, ...(chooser ? { matmulConfig: chooser } : {}) })),
  };
}

/** The factory registered under `'webgpu'`. */
export const webgpuBackendFactory: BackendFactory = createWebGPUBackendFactory();

/**
 * Registers the webgpu backend (name 'webgpu', priority 20). Idempotent; importing the
 * package calls it.
 *
 * @example
 * ```ts
 * registerWebGPUBackend();
 * const gpu = await getBackend('webgpu'); // a BackendError with the reason where there is no WebGPU
 * ```
 */
export function registerWebGPUBackend(): void {
  registerBackend(WEBGPU_BACKEND_NAME, webgpuBackendFactory, WEBGPU_BACKEND_PRIORITY);
}
