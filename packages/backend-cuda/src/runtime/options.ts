import type { GemmLibrary } from '../codegen/plan.js';

/** How the CUDA backend runs a compiled function. */
export interface CudaRunOptions {
  /** Which cuBLAS API runs GEMMs (see GemmLibrary). */
  readonly gemm: GemmLibrary;
  /** How many streams a captured function may fork into (1: a single chain). */
  readonly streams: number;
}

/**
 * cuBLASLt, on up to four streams. cuBLASLt on two streams ran the seed step in 257 µs (fp32)
 * and 107 (tf32) on an H100, against 277 and 138 with cuBLAS on one stream
 * (docs/GPU-BENCHMARKS.md, run 9). Two streams were too few for the seed step's three
 * branches: its last product's weight update (1000×800·800×10) queued behind one of the two
 * large weight-gradient GEMMs, when it only needs the backward product before them; a third
 * stream runs it beside the dX GEMM instead. The scheduler opens a stream only for a step
 * that no stream's last step leads to, so a chain stays on one stream whatever the limit.
 */
export const DEFAULT_RUN_OPTIONS: CudaRunOptions = { gemm: 'cublasLt', streams: 4 };

/** The most streams a graph may fork into: a step rarely has more independent neighbours. */
export const MAX_STREAMS = 8;

/**
 * The run options from the environment: `SYMGRAD_CUDA_GEMM` (`cublas` or `cublasLt`) and
 * `SYMGRAD_CUDA_STREAMS` (1–8). A value that is set but wrong is an error naming the
 * variable and what it accepts, never a silent default.
 *
 * @example
 * ```ts
 * runOptionsFromEnv({ SYMGRAD_CUDA_GEMM: 'cublasLt', SYMGRAD_CUDA_STREAMS: '2' }); // { gemm: 'cublasLt', streams: 2 }
 * ```
 */
export function runOptionsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): CudaRunOptions {
  const gemm = env.SYMGRAD_CUDA_GEMM?.trim() || DEFAULT_RUN_OPTIONS.gemm;
  if (gemm !== 'cublas' && gemm !== 'cublasLt') throw new Error(`SYMGRAD_CUDA_GEMM must be 'cublas' or 'cublasLt' (got '${gemm}')`);
  const rawStreams = env.SYMGRAD_CUDA_STREAMS?.trim();
  const streams = rawStreams ? Number(rawStreams) : DEFAULT_RUN_OPTIONS.streams;
  if (!Number.isInteger(streams) || streams < 1 || streams > MAX_STREAMS) throw new Error(`SYMGRAD_CUDA_STREAMS must be an integer from 1 to ${MAX_STREAMS} (got '${rawStreams}')`);
  return { gemm, streams };
}
