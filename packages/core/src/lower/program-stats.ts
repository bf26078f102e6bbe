import { scalarExprNodes, type ScalarExpr } from '../codegen/scalar-expr.js';
import { bytesPerElement } from '../ir/dtype.js';
import { kernelViews, type Kernel, type Program, type View } from './program.js';

/** Arithmetic nodes of expressions (inputs and constants are free). */
function opsIn(exprs: readonly ScalarExpr[]): number {
  return scalarExprNodes(exprs).filter((e) => e.op !== 'input' && e.op !== 'const').length;
}

function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Distinct elements a view touches: broadcast (stride-0) axes count once. */
function distinct(v: View): number {
  return v.shape.reduce((a, d, i) => a * (v.strides[i] === 0 ? 1 : d), 1);
}

/** Floating-point operations of one kernel (a multiply-add counts 2). */
export function kernelFlops(k: Kernel): number {
  switch (k.kind) {
    case 'elementwise': return elements(k.shape) * opsIn(k.exprs);
    case 'reduce': return elements(k.shape) * (opsIn([k.prologue]) + 1) + (k.epilogue ? elements(k.output.shape) * opsIn([k.epilogue]) : 0);
    case 'matmul': return elements(k.batch) * k.m * k.n * (2 * k.k + (k.epilogue ? opsIn([k.epilogue.expr]) : 0) + (k.beta !== 0 ? 2 : 0));
    case 'gather': case 'take': case 'oneHot': return 0;
    case 'scatterAdd': return elements(k.updates.shape);
    // Philox's integer rounds are not floating-point work; Box–Muller costs ~4 per element.
    case 'random': return k.distribution === 'normal' ? elements(k.output.shape) * 4 : 0;
    case 'softmaxCrossEntropy': return elements(k.logits.shape) * (k.grad ? 6 : 3);
    // max, subtract, exp, sum, scale
    case 'softmax': return elements(k.input.shape) * 5;
  }
}

/** Bytes a kernel reads and writes at least once (a lower bound on its memory traffic). */
export function kernelBytes(k: Kernel, program: Program): number {
  const { reads, writes } = kernelViews(k);
  return [...reads, ...writes].reduce((a, v) => a + distinct(v) * bytesPerElement(program.buffers[v.buffer]!.dtype), 0);
}

/** What a compiled function costs per call. */
export interface ProgramStats {
  readonly kernels: number;
  readonly flops: number;
  readonly bytesMoved: number;
  /** Bytes of intermediate buffers after memory planning. */
  readonly peakIntermediateBytes: number;
  /** The largest total of intermediates live at one kernel: the unavoidable live set. */
  readonly liveSetBytes: number;
}

export function programStats(program: Program, memory: { plannedBytes: number; liveSetBytes: number }): ProgramStats {
  return {
    kernels: program.kernels.length,
    flops: program.kernels.reduce((a, k) => a + kernelFlops(k), 0),
    bytesMoved: program.kernels.reduce((a, k) => a + kernelBytes(k, program), 0),
    peakIntermediateBytes: memory.plannedBytes,
    liveSetBytes: memory.liveSetBytes,
  };
}
