import type { DType, TypedArray } from '../ir/dtype.js';
import type { KernelKind, Program } from '../lower/program.js';

/** Matmul precision: strict float32, or TensorFloat-32 where a backend offers it. */
export type Precision = 'fp32' | 'tf32';

/** What a backend can run, as plain data: core checks a Program against it before compiling. */
export interface Capabilities {
  readonly dtypes: readonly DType[];
  readonly kernels: readonly KernelKind[];
  /** Largest buffer, in elements. */
  readonly maxBufferElements: number;
  readonly precisions: readonly Precision[];
  /** Whether `readSync` exists (results can be read without awaiting). */
  readonly syncRead: boolean;
  /**
   * The most buffers one kernel may bind (WebGPU's maxStorageBuffersPerShaderStage);
   * fusion stops before a kernel would need more. Unlimited when absent.
   */
  readonly maxKernelBuffers?: number;
  /** A human-readable device name ("TypeScript (V8)", "NVIDIA H100 …"). */
  readonly device: string;
}

export type Availability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** A backend's buffer. Opaque to core apart from its dtype and size. */
export interface DeviceBuffer {
  readonly dtype: DType;
  readonly size: number;
}

export interface CompileOptions {
  readonly precision: Precision;
}

/** A compiled Program: runs over a buffer table indexed by the Program's buffer ids. */
export interface Executable {
  /** Enqueues one run; returns without waiting for the device. */
  run(buffers: readonly DeviceBuffer[]): void;
  /** Resolves once asynchronous preparation (pipelines, modules) is done; absent when compile was synchronous. */
  readonly ready?: Promise<void>;
  /**
   * Runs once, as `run` would, and resolves with each Program kernel's time in milliseconds
   * (Program order) from the device's own clock: timestamp queries, events. Kernels may be
   * serialized for it (one pass or launch each), so their sum can exceed a normal run where
   * the backend overlaps them; a kernel the backend merged into another reports 0 and its
   * time counts to the one that absorbed it. Absent where the device cannot time itself:
   * `fn`'s profile mode then times each kernel from the host, waiting for each.
   */
  runTimed?(buffers: readonly DeviceBuffer[]): Promise<readonly number[]>;
  /**
   * The kernels this executable computes inside another kernel's launch: Program kernel index
   * → the kernel whose launch computes it. `runTimed` reports 0 for them, and a profile's
   * table says where their time went. Absent where every kernel has its own launches.
   */
  readonly computedInside?: ReadonlyMap<number, number>;
  dispose(): void;
}

/**
 * The contract a backend package implements. Buffers are allocated by core's runtime
 * from the Program's memory plan; `compile` turns a Program into an Executable and
 * rejects, before anything runs, a Program with kernels or dtypes it cannot run.
 */
export interface Backend {
  readonly name: string;
  readonly capabilities: Capabilities;
  allocate(dtype: DType, size: number): DeviceBuffer;
  free(buffer: DeviceBuffer): void;
  /** Copies host data into a buffer; ordered before later runs, never blocks compute. */
  write(buffer: DeviceBuffer, data: TypedArray): void;
  /**
   * A buffer that reads `data` in place, instead of a copy of it, for runs started before the
   * next call: only for backends whose buffers are host memory and whose runs finish before
   * `run` returns (cpu). `fn` adopts an argument only where its Program never writes that
   * input's buffer and does not return it. Undefined when `data` cannot be used as it is
   * (then `fn` writes a copy).
   */
  adopt?(data: TypedArray): DeviceBuffer | undefined;
  /** Reads a buffer back once all work enqueued before it has finished. */
  read(buffer: DeviceBuffer): Promise<TypedArray>;
  /** Reads several buffers with one wait (one submit and map on GPUs); `fn` uses it for its outputs where present. */
  readMany?(buffers: readonly DeviceBuffer[]): Promise<TypedArray[]>;
  /** Synchronous read, where `capabilities.syncRead`. */
  readSync?(buffer: DeviceBuffer): TypedArray;
  /**
   * The buffer's contents handed over instead of copied, for a buffer nobody reads again
   * before it is rewritten (an output of `fn`, which its next run overwrites): a host-memory
   * backend gives away the storage and gives the buffer new storage of unspecified contents.
   * Synchronous; where absent, `fn` reads.
   */
  take?(buffer: DeviceBuffer): TypedArray;
  compile(program: Program, options: CompileOptions): Executable;
  /** Releases the device; the backend is unusable afterwards. */
  dispose?(): void;
}

/** Creates a backend, or reports why it cannot run here. */
export interface BackendFactory {
  availability(): Promise<Availability> | Availability;
  create(): Promise<Backend> | Backend;
}
