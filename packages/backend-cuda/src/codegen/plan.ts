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
 * the (row-major) result, or both; or `dRelu`, the relu gradient, which zeroes the elements
 * whose forward pre-activation was not positive. The bias holds one element per result
 * column, packed; `biasBatchStride` steps it between the matrices of a strided batch. With
 * `aux`, a forward relu also writes cuBLASLt's bit mask of positive pre-activations into
 * auxiliary buffer `aux.index` (ld in bits), which a `dRelu` step reads.
 */
export interface GemmEpilogue {
  readonly kind: 'relu' | 'bias' | 'reluBias' | 'dRelu';
  readonly bias?: BufferRef;
  readonly biasBatchStride: number;
  readonly aux?: ReluMaskAux;
}

/** A relu bit mask shared by a forward GEMM (which writes it) and a backward GEMM (which reads it). */
export interface ReluMaskAux {
  readonly index: number;
  /** Leading dimension in bits (elements): a multiple of 128, at least the column-major result's rows. */
  readonly ld: number;
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
   * result, or a relu gradient a cuBLASLt GEMM computes in its epilogue (`dRelu`).
   */
  readonly kernelCount: number;
  /** Buffer dtypes by id (for pointer arithmetic on offsets). */
  readonly dtypes: readonly DType[];
  readonly gemm: GemmLibrary;
  /**
   * Sizes in bytes of the auxiliary device buffers the executable owns (relu bit masks).
   * Steps refer to auxiliary buffer i as buffer id `dtypes.length + i` in their access sets.
   */
  readonly auxBytes: readonly number[];
}

export const BLOCK = 256;
/** Grid-stride loops cover the rest; enough blocks to fill any current GPU several times over. */
export const MAX_BLOCKS = 8192;

export function blocksFor(n: number, perBlock = BLOCK): number {
  return Math.max(1, Math.min(MAX_BLOCKS, Math.ceil(n / perBlock)));
}
