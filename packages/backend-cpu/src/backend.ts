import {
  allocTyped, DTYPES, dtypeOfTyped, KERNEL_KINDS, registerBackend,
  type Backend, type BackendFactory, type Capabilities, type CompileOptions, type DeviceBuffer, type DType, type Executable,
  type Program, type TypedArray,
} from '@symgrad/core';
import { describeNative, nativeCpuAddon, type NativeCpuAddon } from './native.js';
import type { CpuBuffer } from './runtime/cpu-buffer.js';
import { bumpVersion } from './runtime/buffer-versions.js';
import { CpuExecutable } from './runtime/executable.js';

/** The name this package registers its backend under. */
export const CPU_BACKEND_NAME = 'cpu';

/** Its priority when no backend is chosen explicitly (webgpu is 20, cuda 30). */
export const CPU_BACKEND_PRIORITY = 10;

/**
 * What the CPU backend runs: every dtype and kernel kind (with the optional fused softmax),
 * fp32 only, with synchronous reads. An instance that loaded the native addon reports the
 * same with `device` naming its ISA and threads.
 */
export const CPU_CAPABILITIES: Capabilities = {
  dtypes: DTYPES,
  // The fused row softmax too: the lowering emits it only for a backend that lists it.
  kernels: [...KERNEL_KINDS, 'softmax'],
  maxBufferElements: 2 ** 31 - 1,
  precisions: ['fp32'],
  syncRead: true,
  device: 'TypeScript (JavaScript engine)',
};

/** Options of a CpuBackend. */
export interface CpuBackendOptions {
  /**
   * Whether to run the native kernels where they apply (default: yes when the addon loaded,
   * see native.ts). false forces the TypeScript path, as SYMGRAD_CPU_NATIVE=0 does.
   */
  readonly native?: boolean;
}

/** Buffer traffic of one backend, so tests can assert that a steady state allocates nothing. */
export interface CpuBackendStats {
  allocations: number;
  frees: number;
}

/**
 * The CPU backend: buffers are host typed arrays, kernels are generated JavaScript loops and
 * a cache-blocked matmul. Runs anywhere JavaScript runs; in Node, where the native addon
 * loaded, kernels run in it instead (a multithreaded SIMD GEMM, and bytecode for the
 * elementwise, reduce and special kernels; same buffers, no copies).
 * `capabilities.device` says which: 'TypeScript (JavaScript engine)' or e.g.
 * 'native avx512, 2 threads'.
 *
 * @example
 * ```ts
 * const cpu = new CpuBackend();
 * const buf = cpu.allocate('float32', 3);
 * cpu.write(buf, Float32Array.from([1, 2, 3]));
 * cpu.readSync(buf); // Float32Array [1, 2, 3]
 * ```
 */
export class CpuBackend implements Backend {
  readonly name = CPU_BACKEND_NAME;
  readonly capabilities: Capabilities;
  readonly stats: CpuBackendStats = { allocations: 0, frees: 0 };
  private readonly live = new WeakSet<DeviceBuffer>();
  private readonly adopted = new WeakMap<TypedArray, CpuBuffer>();
  private readonly native: NativeCpuAddon | undefined;
  private disposed = false;

  constructor(options: CpuBackendOptions = {}) {
    this.native = options.native === false ? undefined : nativeCpuAddon();
    if (options.native === true && !this.native) throw new Error('cpu backend: the native kernels were asked for but are unavailable');
    this.capabilities = this.native ? { ...CPU_CAPABILITIES, device: describeNative(this.native) } : CPU_CAPABILITIES;
  }

  private alive(): void {
    if (this.disposed) throw new Error('cpu backend: the backend was disposed');
  }

  private own(buffer: DeviceBuffer, what: string): CpuBuffer {
    this.alive();
    if (!this.live.has(buffer)) throw new Error(`cpu backend: ${what}: the buffer was not allocated by this cpu backend, or was freed`);
    return buffer as CpuBuffer;
  }

  allocate(dtype: DType, size: number): CpuBuffer {
    this.alive();
    if (!DTYPES.includes(dtype)) throw new Error(`cpu backend: cannot allocate dtype '${String(dtype)}': supported dtypes are ${DTYPES.join(', ')}`);
    if (!Number.isInteger(size) || size < 0 || size > CPU_CAPABILITIES.maxBufferElements) {
      throw new Error(`cpu backend: cannot allocate ${String(size)} elements: sizes are integers from 0 to ${CPU_CAPABILITIES.maxBufferElements}`);
    }
    const buffer: CpuBuffer = { dtype, size, data: allocTyped(dtype, size) };
    this.live.add(buffer);
    this.stats.allocations++;
    return buffer;
  }

  free(buffer: DeviceBuffer): void {
    this.own(buffer, 'free');
    this.live.delete(buffer);
    this.stats.frees++;
  }

  write(buffer: DeviceBuffer, data: TypedArray): void {
    const b = this.own(buffer, 'write');
    const dtype = ArrayBuffer.isView(data) ? dtypeOfTyped(data) : undefined;
    if (dtype !== b.dtype || data.length !== b.size) {
      const got = dtype ? `${dtype}[${data.length}]` : `a ${Object.prototype.toString.call(data).slice(8, -1)}`;
      throw new Error(`cpu backend: write: the buffer is ${b.dtype}[${b.size}], got ${got}`);
    }
    if (b.dtype === 'bool') {
      // Bool buffers hold 0/1 only, so kernels can read them without converting.
      const out = b.data;
      for (let i = 0; i < data.length; i++) out[i] = data[i] ? 1 : 0;
    } else {
      b.data.set(data);
    }
    bumpVersion(b.data);
  }

  /**
   * A buffer over `data` itself (runs are synchronous, so `fn` reads an argument in place
   * instead of copying it). One wrapper per array, kept as long as the array lives, so
   * passing the same array every step allocates nothing. Bool data is copied instead: kernels
   * rely on bool buffers holding only 0 and 1.
   *
   * @example
   * ```ts
   * const x = Float32Array.from([1, 2, 3]);
   * const buf = cpu.adopt(x)!;
   * cpu.readSync(buf); // Float32Array [1, 2, 3], read from x
   * ```
   */
  adopt(data: TypedArray): CpuBuffer | undefined {
    this.alive();
    const dtype = ArrayBuffer.isView(data) ? dtypeOfTyped(data) : undefined;
    if (dtype === undefined || dtype === 'bool') return undefined;
    let buffer = this.adopted.get(data);
    if (!buffer) {
      buffer = { dtype, size: data.length, data };
      this.adopted.set(data, buffer);
      this.live.add(buffer);
    }
    return buffer;
  }

  readSync(buffer: DeviceBuffer): TypedArray {
    return this.own(buffer, 'read').data.slice();
  }

  /**
   * The buffer's array itself, handed over without a copy; the buffer gets a new (zeroed)
   * array. `fn` takes its own output buffers this way, which the next run rewrites anyway.
   *
   * @example
   * ```ts
   * const buf = cpu.allocate('float32', 2);
   * cpu.write(buf, Float32Array.from([1, 2]));
   * cpu.take(buf); // Float32Array [1, 2]; buf now holds [0, 0]
   * ```
   */
  take(buffer: DeviceBuffer): TypedArray {
    const b = this.own(buffer, 'take');
    const data = b.data;
    b.data = allocTyped(b.dtype, b.size);
    return data;
  }

  read(buffer: DeviceBuffer): Promise<TypedArray> {
    try {
      return Promise.resolve(this.readSync(buffer));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Compiles a Program. First checks that every kernel kind, buffer dtype and size and the
   * precision are supported, throwing one error that lists every problem; then generates
   * each kernel's code (a malformed kernel throws naming its index, kind and label).
   */
  compile(program: Program, options: CompileOptions): Executable {
    this.alive();
    const problems: string[] = [];
    if (options?.precision !== undefined && !CPU_CAPABILITIES.precisions.includes(options.precision)) {
      problems.push(`precision '${String(options.precision)}' is not supported (supported: ${CPU_CAPABILITIES.precisions.join(', ')})`);
    }
    program.kernels.forEach((k, i) => {
      if (!CPU_CAPABILITIES.kernels.includes(k.kind)) problems.push(`kernel ${i} (${String(k.kind)} '${String(k.label)}'): kind '${String(k.kind)}' is not supported`);
    });
    for (const b of program.buffers) {
      if (!DTYPES.includes(b.dtype)) problems.push(`buffer ${b.id}: dtype '${String(b.dtype)}' is not supported`);
      else if (!Number.isInteger(b.size) || b.size < 0 || b.size > CPU_CAPABILITIES.maxBufferElements) {
        problems.push(`buffer ${b.id}: ${String(b.size)} elements is not a size from 0 to ${CPU_CAPABILITIES.maxBufferElements}`);
      }
    }
    if (problems.length) {
      throw new Error(`cpu backend cannot compile this program:\n  ${problems.join('\n  ')}\n(supported kernels: ${CPU_CAPABILITIES.kernels.join(', ')}; dtypes: ${DTYPES.join(', ')})`);
    }
    return new CpuExecutable(program, (b): b is CpuBuffer => !this.disposed && this.live.has(b), this.native);
  }

  dispose(): void {
    this.disposed = true;
  }
}

/** Creates cpu backends: always available (native kernels where the addon loaded). */
export const cpuBackendFactory: BackendFactory = {
  availability: () => ({ ok: true }),
  create: () => new CpuBackend(),
};

/**
 * Registers the cpu backend (name 'cpu', priority 10). Idempotent; importing the package
 * calls it.
 *
 * @example
 * ```ts
 * registerCpuBackend();
 * const cpu = await getBackend('cpu');
 * ```
 */
export function registerCpuBackend(): void {
  registerBackend(CPU_BACKEND_NAME, cpuBackendFactory, CPU_BACKEND_PRIORITY);
}
