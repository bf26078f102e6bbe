import type { DType } from '@symgrad/core';

/**
 * The buffers a step reads and writes (ids), from its Program kernel's views: what orders
 * steps that run on different streams (schedule.ts).
 */
export interface StepAccess {
  readonly reads: readonly number[];
  readonly writes: readonly number[];
}

/** Where planProgram placed a step: its Program kernel and that kernel's buffer accesses. */
export interface StepOrigin extends StepAccess {
  /**
   * The index of the Program kernel this step computes (a matmul may take several GEMM steps
   * and an epilogue launch): a profile sums its steps' times per kernel.
   */
  readonly kernel: number;
}

/**
 * What a compiled Program does at run time, as plain data: launches of generated kernels
 * (each parameter is a whole buffer; view offsets and strides are compiled into the kernel)
 * and cuBLAS GEMMs in column-major terms. Host-side, so it is tested without a GPU.
 */
export interface LaunchStep extends StepOrigin {
  readonly kind: 'launch';
  /** The kernel's C name: `k<index>_<kind>`, never anything user-provided. */
  readonly name: string;
  readonly grid: readonly [number, number, number];
  readonly block: readonly [number, number, number];
  readonly sharedBytes: number;
  /** Buffer ids, in parameter order. */
  readonly buffers: readonly number[];
  /** For error messages: the Program kernel index and its label. */
  readonly what: string;
}

/** A buffer element: `buffer`'s base plus `offset` elements. */
export interface BufferRef {
  readonly buffer: number;
  readonly offset: number;
}

/**
 * A matmul epilogue that cuBLASLt computes inside the GEMM: relu, a bias added to every row of
 * the (row-major) result, or both. The bias holds one element per result column, packed;
 * `biasBatchStride` steps it between the matrices of a strided batch.
 *
 * Not the relu gradient: cuBLASLt's DRELU reads a bit mask its RELU_AUX GEMM wrote, and on an
 * H100 (CUDA 13.0, cuBLASLt 13.1) that mask let the gradient through where the pre-activation
 * was exactly 0, where where(h > 0, g, 0) gives 0 (the device check's relu-gradient case with
 * zero rows of x: relative error 0.97). The gradient runs as the GEMM's generated epilogue.
 */
export interface GemmEpilogue {
  readonly kind: 'relu' | 'bias' | 'reluBias';
  readonly bias?: BufferRef;
  readonly biasBatchStride: number;
}

/**
 * C = alpha·op(A)·op(B) + beta·C in cuBLAS's column-major terms, `batch` times with element
 * strides; then `epilogue` where the plan fused one into the GEMM (cuBLASLt only).
 */
export interface GemmStep extends StepOrigin {
  readonly kind: 'gemm';
  readonly dtype: 'float32' | 'float64';
  readonly opA: 0 | 1;
  readonly opB: 0 | 1;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: BufferRef;
  readonly b: BufferRef;
  readonly c: BufferRef;
  readonly lda: number;
  readonly ldb: number;
  readonly ldc: number;
  readonly strideA: number;
  readonly strideB: number;
  readonly strideC: number;
  readonly batch: number;
  readonly alpha: number;
  readonly beta: number;
  readonly epilogue?: GemmEpilogue;
  readonly what: string;
}

export type Step = LaunchStep | GemmStep;

/** A step before planProgram adds its Program kernel's index and the buffers that kernel reads and writes. */
export type Unplaced<S extends Step> = Omit<S, keyof StepOrigin>;

/** A kernel's source and the launch that runs it. */
export interface GeneratedKernel {
  readonly source: string;
  readonly launch: Unplaced<LaunchStep>;
}

/**
 * Which cuBLAS API runs the GEMMs: the classic one (`cublas`), or cuBLASLt (`cublasLt`),
 * which picks each GEMM's algorithm by timing the library's candidates on the device and
 * computes relu and bias epilogues inside the GEMM.
 */
export type GemmLibrary = 'cublas' | 'cublasLt';

export interface PlanOptions {
  readonly gemm: GemmLibrary;
}

/** The CUDA translation of one Program: one source file holding every kernel, and the steps in order. */
export interface ProgramPlan {
  readonly source: string;
  readonly kernelNames: readonly string[];
  readonly steps: readonly Step[];
  /**
   * The Program's kernel count. A kernel may have no step of its own: a matmul with an empty
   * result.
   */
  readonly kernelCount: number;
  /** Buffer dtypes by id (for pointer arithmetic on offsets). */
  readonly dtypes: readonly DType[];
  readonly gemm: GemmLibrary;
  /** Kernels computed inside another kernel's launch (matmul-row-tail.ts): kernel → the kernel whose launch computes it. */
  readonly computedInside: ReadonlyMap<number, number>;
}

export const BLOCK = 256;
/** Grid-stride loops cover the rest; enough blocks to fill any current GPU several times over. */
export const MAX_BLOCKS = 8192;

export function blocksFor(n: number, perBlock = BLOCK): number {
  return Math.max(1, Math.min(MAX_BLOCKS, Math.ceil(n / perBlock)));
}
