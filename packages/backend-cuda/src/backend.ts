import {
  allocTyped, bytesPerElement, KERNEL_KINDS, programAliasingProblems, type Availability, type KernelKind, type Backend, type BackendFactory, type Capabilities, type CompileOptions,
  type DeviceBuffer, type DType, type Executable, type Program, type TypedArray,
} from '@symgrad/core';
import { planProgram } from './codegen/program-source.js';
import { CudaDevice, probeLibraries } from './runtime/device.js';
import { CudaExecutable, type CudaBuffer } from './runtime/executable.js';
import { DEFAULT_RUN_OPTIONS, runOptionsFromEnv, type CudaRunOptions } from './runtime/options.js';

/** The name this package registers its backend under. */
export const CUDA_BACKEND_NAME = 'cuda';

/** The kernel kinds this backend runs: every required kind and the fused row softmax. */
export const CUDA_KERNEL_KINDS: readonly KernelKind[] = [...KERNEL_KINDS, 'softmax'];

/**
 * Reasons a Program cannot run here, all at once (empty when it can): kernel kinds this
 * backend does not know, and matmuls cuBLAS cannot run (int32 or bool, which only a
 * hand-built Program has). `compile` checks it; call it to vet a Program without a GPU.
 *
 * @example
 * ```ts
 * unsupportedKernels(program); // [] for every Program core lowers; for a hand-built int32 matmul labelled 'mm':
 * // ['kernel 0 (matmul mm): int32 matmul (cuBLAS runs float32 and float64)']
 * ```
 */
export function unsupportedKernels(program: Program): string[] {
  const out: string[] = [];
  program.kernels.forEach((k, i) => {
    if (!CUDA_KERNEL_KINDS.includes(k.kind)) out.push(`kernel ${i} (${String(k.kind)} ${k.label}): unknown kernel kind (the CUDA backend runs ${CUDA_KERNEL_KINDS.join(', ')})`);
    if (k.kind === 'matmul' && k.dtype !== 'float32' && k.dtype !== 'float64') out.push(`kernel ${i} (matmul ${k.label}): ${k.dtype} matmul (cuBLAS runs float32 and float64)`);
  });
  return out;
}

/** What a non-default run option adds to the device description (benchmark rows carry it). */
function describeRun(run: CudaRunOptions): string[] {
  const gemm = run.gemm === DEFAULT_RUN_OPTIONS.gemm ? [] : [run.gemm === 'cublas' ? 'cuBLAS' : 'cuBLASLt'];
  const streams = run.streams === DEFAULT_RUN_OPTIONS.streams ? [] : [run.streams > 1 ? `up to ${run.streams} streams` : 'one stream'];
  return [...gemm, ...streams];
}

/**
 * The CUDA backend: one device, kernels compiled with NVRTC, matmuls on cuBLAS(Lt); see the
 * package README. It is created by the registered factory (its device handle is internal):
 * get it with `getBackend('cuda')`.
 *
 * @example
 * ```ts
 * const cuda = await getBackend('cuda'); // a BackendError with the reason where there is no driver or toolkit
 * const b = cuda.allocate('float32', 3);
 * cuda.write(b, Float32Array.of(1, 2, 3));
 * await cuda.read(b); // Float32Array [1, 2, 3]
 * cuda.capabilities.device; // e.g. 'NVIDIA H100 80GB HBM3 (sm_90, CUDA driver 12.4)'
 * ```
 */
export class CudaBackend implements Backend {
  readonly name = CUDA_BACKEND_NAME;
  readonly capabilities: Capabilities;

  /** `run` defaults to the environment's choices (runOptionsFromEnv). */
  constructor(private readonly device: CudaDevice, readonly run: CudaRunOptions = runOptionsFromEnv()) {
    this.capabilities = {
      dtypes: ['float32', 'float64', 'int32', 'bool'], kernels: CUDA_KERNEL_KINDS, maxBufferElements: 2 ** 31 - 1,
      precisions: ['fp32', 'tf32'], syncRead: true, device: `${device.info.name} (${[device.arch, `CUDA driver ${device.probe.driver.version}`, ...describeRun(run)].join(', ')})`,
    };
  }

  allocate(dtype: DType, size: number): CudaBuffer {
    const bytes = size * bytesPerElement(dtype);
    return { dtype, size, bytes, ptr: this.device.addon.alloc(bytes) };
  }

  free(buffer: DeviceBuffer): void {
    const b = buffer as CudaBuffer;
    if (b.freed) return;
    b.freed = true;
    this.device.addon.free(b.ptr);
  }

  write(buffer: DeviceBuffer, data: TypedArray): void {
    const b = buffer as CudaBuffer;
    if (data.length !== b.size) throw new Error(`cuda: writing ${data.length} elements into a buffer of ${b.size}`);
    const typed = allocTyped(b.dtype, b.size);
    if (typed.constructor !== data.constructor) {
      typed.set(data as never);
      this.device.addon.upload(b.ptr, typed);
    } else {
      this.device.addon.upload(b.ptr, data);
    }
  }

  private view(b: CudaBuffer, raw: ArrayBuffer): TypedArray {
    const out = allocTyped(b.dtype, 0);
    return new (out.constructor as new (buf: ArrayBuffer) => TypedArray)(raw);
  }

  async read(buffer: DeviceBuffer): Promise<TypedArray> {
    const b = buffer as CudaBuffer;
    return this.view(b, await this.device.addon.download(b.ptr, b.bytes));
  }

  readSync(buffer: DeviceBuffer): TypedArray {
    const b = buffer as CudaBuffer;
    return this.view(b, this.device.addon.downloadSync(b.ptr, b.bytes));
  }

  compile(program: Program, options: CompileOptions): Executable {
    // A GEMM or kernel racing with its own output on the device would give wrong numbers silently.
    // Aliasing is only defined for the known kernel kinds.
    const known = program.kernels.every((k) => CUDA_KERNEL_KINDS.includes(k.kind));
    const bad = [...unsupportedKernels(program), ...(known ? programAliasingProblems(program) : [])];
    if (bad.length) throw new Error(`the CUDA backend cannot run this Program:\n  ${bad.join('\n  ')}`);
    const plan = planProgram(program, { gemm: this.run.gemm });
    if (plan.kernelNames.length === 0) return new CudaExecutable(this.device, plan, -1, new Map(), options.precision, this.run.streams);
    const { module, functions } = this.device.load(plan.source, plan.kernelNames, `program with ${program.kernels.length} kernels`);
    return new CudaExecutable(this.device, plan, module, functions, options.precision, this.run.streams);
  }

  dispose(): void {
    this.device.addon.synchronize();
  }
}

let availability: Availability | undefined;

/**
 * The factory registered under 'cuda'. `availability()` never throws: it names the missing
 * piece (driver, NVRTC, cuBLAS, device) and the versions it found.
 */
export const cudaBackendFactory: BackendFactory = {
  availability(): Availability {
    if (availability) return availability;
    const { reason } = probeLibraries();
    if (reason !== undefined) return (availability = { ok: false, reason });
    try {
      CudaDevice.open();
      availability = { ok: true };
    } catch (e) {
      availability = { ok: false, reason: `CUDA libraries found but the device did not open: ${e instanceof Error ? e.message : String(e)}` };
    }
    return availability;
  },
  create(): Backend {
    const a = cudaBackendFactory.availability() as Availability;
    if (!a.ok) throw new Error(`cannot create the '${CUDA_BACKEND_NAME}' backend: ${a.reason}`);
    return new CudaBackend(CudaDevice.open(), runOptionsFromEnv());
  },
};
