import type { DType } from '@symgrad/core';

/**
 * What a compiled Program does at run time, as plain data: launches of generated kernels
 * (each parameter is a whole buffer; view offsets and strides are compiled into the kernel)
 * and cuBLAS GEMMs in column-major terms. Host-side, so it is tested without a GPU.
 */
export interface LaunchStep {
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

/** C = alpha·op(A)·op(B) + beta·C in cuBLAS's column-major terms, `batch` times with element strides. */
export interface GemmStep {
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
  readonly what: string;
}

export type Step = LaunchStep | GemmStep;

/** A kernel's source and the launch that runs it. */
export interface GeneratedKernel {
  readonly source: string;
  readonly launch: LaunchStep;
}

/** The CUDA translation of one Program: one source file holding every kernel, and the steps in order. */
export interface ProgramPlan {
  readonly source: string;
  readonly kernelNames: readonly string[];
  readonly steps: readonly Step[];
  /** Buffer dtypes by id (for pointer arithmetic on offsets). */
  readonly dtypes: readonly DType[];
}

export const BLOCK = 256;
/** Grid-stride loops cover the rest; enough blocks to fill any current GPU several times over. */
export const MAX_BLOCKS = 8192;

export function blocksFor(n: number, perBlock = BLOCK): number {
  return Math.max(1, Math.min(MAX_BLOCKS, Math.ceil(n / perBlock)));
}
