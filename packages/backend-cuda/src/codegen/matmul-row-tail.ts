import type { Kernel, MatmulKernel, SoftmaxCrossEntropyKernel, SoftmaxKernel, View } from '@symgrad/core';
import type { RowsTail, SkinnyMatmulForm } from './kernels-matmul-skinny.js';
import { crossEntropyViews, crossEntropyWarpLines, softmaxViews, softmaxWarpLines } from './kernels-specials.js';

/**
 * A classifier's head in one launch. Its last product (the seed step's 800×1000·1000×10)
 * runs in the `rows` form, a warp per row, and softmax cross-entropy or a row softmax over
 * ≤ 32 classes also gives each row a warp: when one of them is the Program's next kernel and
 * reads exactly the product's result, the product's kernel finishes each row with it once
 * it has stored the row, and that kernel has no launch of its own. On a GPU that is one
 * kernel boundary fewer on the step's critical path. The product's result is still stored
 * (another kernel may read it), and read back after the warp's barrier, so every result is
 * what the two kernels would give.
 */

type RowKernel = SoftmaxCrossEntropyKernel | SoftmaxKernel;

const sameView = (a: View, b: View): boolean =>
  a.buffer === b.buffer && a.offset === b.offset && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i] && a.strides[i] === b.strides[i]);

/** The row kernel's input (the product's result, where it fuses), what else it reads, and what it writes. */
function rowAccess(next: RowKernel): { input: View; reads: View[]; writes: View[] } {
  if (next.kind === 'softmax') return { input: next.input, reads: [], writes: [next.output] };
  return { input: next.logits, reads: [next.labels, ...(next.grad ? [next.grad.scale] : [])], writes: [next.loss, ...(next.grad ? [next.grad.output] : [])] };
}

/**
 * Whether `next`, the kernel after matmul `k` in its Program, is a softmax cross-entropy or a
 * row softmax that `k`'s kernel (in `form`) can compute per row: `k` runs unbatched in the
 * `rows` form, the row kernel's input is `k`'s whole result, and no buffer one of them writes
 * is one the other reads (the rows of a launch run in no set order, so the row kernel must not
 * overwrite the product's operands, nor the product its labels or scale). A softmax may write
 * over the product's result in place (each warp owns its row); nothing else may write there.
 *
 * @example
 * ```ts
 * // logits = h·W (800×1000·1000×10), then softmaxCrossEntropy(logits, labels):
 * fusesRowKernel(matmul, 'rows', loss); // true
 * ```
 */
export function fusesRowKernel(k: MatmulKernel, form: SkinnyMatmulForm | undefined, next: Kernel | undefined): next is RowKernel {
  if (form !== 'rows' || k.batch.length > 0 || (next?.kind !== 'softmaxCrossEntropy' && next?.kind !== 'softmax')) return false;
  const { input, reads, writes } = rowAccess(next);
  if (!sameView(input, k.out) || input.shape[1]! > 32) return false;
  const productReads = new Set([k.a, k.b, ...(k.epilogue?.inputs ?? [])].map((v) => v.buffer));
  const inPlace = (v: View) => next.kind === 'softmax' && sameView(v, k.out);
  return !writes.some((v) => productReads.has(v.buffer) || (v.buffer === k.out.buffer && !inPlace(v))) && !reads.some((v) => v.buffer === k.out.buffer);
}

/**
 * The per-row tail that computes row kernel `next` (Program kernel `index`) inside the `rows`
 * kernel of the matmul before it (see fusesRowKernel).
 *
 * @example
 * ```ts
 * renderSkinnyMatmul(matmul, 2, dtypes, 'rows', rowTail(loss, 3));
 * ```
 */
export function rowTail(next: RowKernel, index: number): RowsTail {
  if (next.kind === 'softmax') return { views: softmaxViews(next), lines: (p, IT, row) => softmaxWarpLines(next, p, IT, row), what: `with kernel ${index} (softmax)` };
  return { views: crossEntropyViews(next), lines: (p, IT, row) => crossEntropyWarpLines(next, p, IT, row), what: `with kernel ${index} (softmaxCrossEntropy)` };
}
