import { kernelViews, matmulEpiloguePattern, sameView, type DType, type MatmulKernel, type Program } from '@symgrad/core';
import { ltEpilogueOf, type LtEpilogue } from './matmul-plan.js';

/** The epilogue cuBLASLt computes for each kernel of a Program (undefined: none, or not a matmul), and the relu masks they share. */
export interface LtEpiloguePlan {
  readonly epilogues: readonly (LtEpilogue | undefined)[];
  /** Bytes of each relu bit mask (auxiliary buffer i). */
  readonly auxBytes: readonly number[];
}

/** A single float32 matrix product cuBLASLt runs with alpha 1 and beta 0, so the mask applies to the product itself. */
const plainProduct = (k: MatmulKernel) => k.dtype === 'float32' && k.batch.length === 0 && k.k > 0 && k.m > 0 && k.n > 0 && k.alpha === 1 && k.beta === 0;

/**
 * Which epilogues cuBLASLt computes inside the GEMMs of a Program: ltEpilogueOf for each
 * matmul, and relu gradients. A backward GEMM whose epilogue is where(h > 0, x, 0) becomes a
 * `dRelu` GEMM when h is exactly the output of an earlier relu or relu(x + b) GEMM that last
 * wrote h's buffer: that GEMM then also writes cuBLASLt's bit mask of its positive
 * pre-activations (relu(z) > 0 exactly where z > 0), and the backward GEMM reads the mask
 * instead of h. Both must be single float32 products of the same shape with alpha 1 and beta 0.
 *
 * @example
 * ```ts
 * // h = relu(x·W1) (kernel 0), …, dZ1 = where(h > 0, dH·W2ᵀ, 0) (kernel 6):
 * planLtEpilogues(program, dtypes).epilogues[6]; // { kind: 'dRelu', aux: { index: 0, ld: 1024 } }
 * ```
 */
export function planLtEpilogues(program: Program, dtypes: readonly DType[]): LtEpiloguePlan {
  const epilogues: (LtEpilogue | undefined)[] = program.kernels.map((k) => (k.kind === 'matmul' ? ltEpilogueOf(k, dtypes) : undefined));
  const auxBytes: number[] = [];
  const auxOf = new Map<number, number>();
  const lastWriter = new Map<number, number>();
  program.kernels.forEach((k, j) => {
    if (k.kind === 'matmul' && k.epilogue && plainProduct(k)) {
      const h = k.epilogue.inputs[0];
      const pattern = h && matmulEpiloguePattern(k.epilogue.expr, k.dtype, dtypes[h.buffer]);
      const i = h && lastWriter.get(h.buffer);
      const forward = i === undefined ? undefined : program.kernels[i];
      const fwd = i === undefined ? undefined : epilogues[i];
      if (pattern === 'reluMask' && forward?.kind === 'matmul' && plainProduct(forward) && (fwd?.kind === 'relu' || fwd?.kind === 'reluBias') &&
          sameView(forward.out, h!) && forward.m === k.m && forward.n === k.n && k.out.buffer !== h!.buffer) {
        let index = auxOf.get(i!);
        // The column-major result has n rows: one bit each, the column padded to 128 bits.
        const ld = Math.ceil(k.n / 128) * 128;
        if (index === undefined) {
          index = auxBytes.length;
          auxBytes.push((ld / 8) * k.m);
          auxOf.set(i!, index);
          epilogues[i!] = { ...fwd, aux: { index, ld } };
        }
        epilogues[j] = { kind: 'dRelu', aux: { index, ld } };
      }
    }
    for (const v of kernelViews(k).writes) lastWriter.set(v.buffer, j);
  });
  return { epilogues, auxBytes };
}
