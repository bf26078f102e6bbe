import { matmulEpiloguePattern, type DType, type ElementwiseKernel, type MatmulKernel, type View } from '@symgrad/core';
import { product } from './index-math.js';
import type { GemmEpilogue, GemmStep, Unplaced } from './plan.js';

/**
 * Matmul runs through cuBLAS (or cuBLASLt), except products with a narrow side, which
 * kernels-matmul-skinny.ts generates. symgrad's matrices are row-major, cuBLAS's
 * column-major, so C = op(A)·op(B) is issued as Cᵀ = op(B)ᵀ·op(A)ᵀ: the operands swap, each
 * keeps its row stride as leading dimension, and a transposed operand is cuBLAS's OP_T.
 * The last batch dim is one strided-batched call; further batch dims loop (one call each).
 * A fused epilogue runs as a generated elementwise kernel right after the GEMM, unless
 * cuBLASLt runs the GEMM and computes the epilogue itself (ltEpilogueOf).
 */

const OP_N = 0;
const OP_T = 1;

/** The leading dimension of a row-major matrix view's last two dims, checked for cuBLAS. */
function leading(v: View, inner: number, what: string, label: string): number {
  const r = v.shape.length;
  if (v.shape[r - 1]! > 1 && v.strides[r - 1] !== 1) throw new Error(`cuda: ${label}: ${what} has strides [${v.strides.join(', ')}]: cuBLAS needs a unit stride in the last dim`);
  const rows = v.shape[r - 2]!;
  const ld = v.strides[r - 2]!;
  // One row, or rows of no elements (k = 0): the stride is never followed, any valid ld will do.
  if (rows <= 1 || inner === 0) return Math.max(1, inner, ld);
  if (ld < Math.max(1, inner)) throw new Error(`cuda: ${label}: ${what} has row stride ${ld} < ${inner} (its row length), which cuBLAS cannot read`);
  return ld;
}

/** Where cuBLASLt computes a matmul's epilogue: which one, and the bias view it reads. */
export interface LtEpilogue {
  readonly kind: GemmEpilogue['kind'];
  readonly bias?: View;
}

/**
 * The cuBLASLt epilogue computing a float32 matmul's fused epilogue inside the GEMM, or
 * undefined (a generated kernel then runs it): relu(x), x + bias and relu(x + bias), where
 * the bias holds one packed element per result column (row stride 0, column stride 1) in
 * another buffer than the output. cuBLASLt adds it to each row of the column-major result's
 * transpose, which is each row here. The relu gradient stays generated (see GemmEpilogue).
 */
export function ltEpilogueOf(k: MatmulKernel, dtypes: readonly DType[]): LtEpilogue | undefined {
  // With k = 0 the addon calls cuBLAS (cuBLASLt has no algorithms for it), which has no epilogues.
  if (!k.epilogue || k.dtype !== 'float32' || k.k === 0) return undefined;
  const input1 = k.epilogue.inputs[0];
  const pattern = matmulEpiloguePattern(k.epilogue.expr, k.dtype, input1 && dtypes[input1.buffer]);
  if (pattern === 'relu') return { kind: 'relu' };
  if ((pattern !== 'bias' && pattern !== 'reluBias') || !input1) return undefined;
  const r = input1.shape.length;
  if (r !== k.batch.length + 2 || input1.buffer === k.out.buffer) return undefined;
  if (input1.strides[r - 2] !== 0 || (k.n > 1 && input1.strides[r - 1] !== 1)) return undefined;
  return { kind: pattern, bias: input1 };
}

/** The GEMM calls computing a matmul kernel, and `lt`, its epilogue where cuBLASLt computes it. */
export function gemmSteps(k: MatmulKernel, index: number, lt?: LtEpilogue): Unplaced<GemmStep>[] {
  if (k.dtype !== 'float32' && k.dtype !== 'float64') throw new Error(`cuda: kernel ${index} (matmul): a matmul in ${k.dtype} is not supported (float32 and float64 only)`);
  const what = `kernel ${index} (matmul)`;
  const nb = k.batch.length;
  const ldA = leading(k.a, k.transA ? k.m : k.k, 'A', what);
  const ldB = leading(k.b, k.transB ? k.k : k.n, 'B', what);
  const ldC = leading(k.out, k.n, 'the output', what);
  if (k.m === 0 || k.n === 0) return [];
  const outer = k.batch.slice(0, Math.max(0, nb - 1));
  const inner = nb > 0 ? k.batch[nb - 1]! : 1;
  const bs = (v: View) => (nb > 0 ? v.strides[nb - 1]! : 0);
  const steps: Unplaced<GemmStep>[] = [];
  const count = product(outer);
  for (let o = 0; o < count; o++) {
    // Offsets of this outer batch index in each view.
    let rest = o;
    let offA = k.a.offset, offB = k.b.offset, offC = k.out.offset, offBias = lt?.bias?.offset ?? 0;
    for (let d = outer.length - 1; d >= 0; d--) {
      const i = rest % outer[d]!;
      rest = Math.floor(rest / outer[d]!);
      offA += i * k.a.strides[d]!;
      offB += i * k.b.strides[d]!;
      offC += i * k.out.strides[d]!;
      offBias += i * (lt?.bias?.strides[d] ?? 0);
    }
    const epilogue: GemmEpilogue | undefined = lt && {
      kind: lt.kind, biasBatchStride: lt.bias ? bs(lt.bias) : 0,
      ...(lt.bias ? { bias: { buffer: lt.bias.buffer, offset: offBias } } : {}),
    };
    steps.push({
      kind: 'gemm', dtype: k.dtype, what,
      opA: k.transB ? OP_T : OP_N, opB: k.transA ? OP_T : OP_N,
      m: k.n, n: k.m, k: k.k,
      a: { buffer: k.b.buffer, offset: offB }, lda: ldB, strideA: bs(k.b),
      b: { buffer: k.a.buffer, offset: offA }, ldb: ldA, strideB: bs(k.a),
      c: { buffer: k.out.buffer, offset: offC }, ldc: ldC, strideC: bs(k.out),
      batch: inner, alpha: k.alpha, beta: k.beta, ...(epilogue ? { epilogue } : {}),
    });
  }
  return steps;
}

/** The epilogue as an elementwise kernel over the output (input(0) is the GEMM's result), unless the GEMM computes it (`lt`). */
export function epilogueKernel(k: MatmulKernel, lt?: LtEpilogue): ElementwiseKernel | undefined {
  if (!k.epilogue || lt) return undefined;
  const shape = [...k.batch, k.m, k.n];
  return { kind: 'elementwise', shape, inputs: [k.out, ...k.epilogue.inputs], outputs: [k.out], exprs: [k.epilogue.expr], label: `${k.label} epilogue` };
}

export const GEMM_DTYPES: readonly DType[] = ['float32', 'float64'];
