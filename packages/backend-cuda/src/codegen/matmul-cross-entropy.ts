import type { Kernel, MatmulKernel, SoftmaxCrossEntropyKernel, View } from '@symgrad/core';
import type { RowsTail, SkinnyMatmulForm } from './kernels-matmul-skinny.js';
import { crossEntropyViews, crossEntropyWarpLines } from './kernels-specials.js';

/**
 * Logits and their loss in one launch. A classifier's last product (the seed step's
 * 800×1000·1000×10) runs in the `rows` form, a warp per row, and softmax cross-entropy over
 * ≤ 32 classes also gives each row a warp: when the loss is the Program's next kernel and
 * reads exactly the product's result, the product's kernel finishes each row's loss and
 * gradient once it has stored the row, and the loss kernel has no launch of its own. On a
 * GPU that is one kernel boundary fewer on the training step's critical path. The logits
 * are still stored (another kernel may read them), and read back after the warp's barrier,
 * so every result is what the two kernels would give.
 */

const sameView = (a: View, b: View): boolean =>
  a.buffer === b.buffer && a.offset === b.offset && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i] && a.strides[i] === b.strides[i]);

/**
 * Whether `next`, the kernel after matmul `k` in its Program, is a softmax cross-entropy that
 * `k`'s kernel (in `form`) can compute per row: `k` runs unbatched in the `rows` form, the
 * loss's logits are `k`'s whole result, and no buffer one of them writes is one the other
 * reads (the rows of a launch run in no set order, so the loss must not overwrite the
 * product's operands, nor the product the loss's labels or scale).
 *
 * @example
 * ```ts
 * // logits = h·W (800×1000·1000×10), then softmaxCrossEntropy(logits, labels):
 * fusesCrossEntropy(matmul, 'rows', loss); // true
 * ```
 */
export function fusesCrossEntropy(k: MatmulKernel, form: SkinnyMatmulForm | undefined, next: Kernel | undefined): next is SoftmaxCrossEntropyKernel {
  if (form !== 'rows' || k.batch.length > 0 || next?.kind !== 'softmaxCrossEntropy') return false;
  if (!sameView(next.logits, k.out) || next.logits.shape[1]! > 32) return false;
  const productReads = new Set([k.a, k.b, ...(k.epilogue?.inputs ?? [])].map((v) => v.buffer));
  const lossWrites = [next.loss, ...(next.grad ? [next.grad.output] : [])].map((v) => v.buffer);
  const lossReads = [next.labels, ...(next.grad ? [next.grad.scale] : [])].map((v) => v.buffer);
  return !lossWrites.some((b) => productReads.has(b) || b === k.out.buffer) && !lossReads.includes(k.out.buffer);
}

/**
 * The per-row tail that computes softmax cross-entropy kernel `ce` (Program kernel `index`)
 * inside the `rows` kernel of the matmul before it (see fusesCrossEntropy).
 *
 * @example
 * ```ts
 * renderSkinnyMatmul(matmul, 2, dtypes, 'rows', crossEntropyTail(loss, 3));
 * ```
 */
export function crossEntropyTail(ce: SoftmaxCrossEntropyKernel, index: number): RowsTail {
  return {
    views: crossEntropyViews(ce),
    lines: (p, IT, row) => crossEntropyWarpLines(ce, p, IT, row),
    what: `with kernel ${index} (softmaxCrossEntropy)`,
  };
}
