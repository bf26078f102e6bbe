import type { ElementwiseKernel, Kernel, View } from '../program.js';
import { kernelAliasingProblems, mapKernelViews } from '../program.js';
import { matmulOperandOk } from './concat-in-place.js';
import { BufferUsers, isWhole, plainCopy, reads, writes, type ProgramDraft } from './draft.js';

/**
 * A copy that reorders a whole buffer X into a whole buffer D: `out = in0`, same dtype, the
 * output D contiguous and the input a view of all of X (a transpose before a reshape).
 */
function permutingCopy(d: ProgramDraft, k: Kernel | undefined): ElementwiseKernel | undefined {
  const copy = plainCopy(d, k);
  if (!copy) return undefined;
  const [from, to] = [copy.inputs[0]!, copy.outputs[0]!];
  return isWhole(d, to) && from.offset === 0 && d.buffers[from.buffer]!.size === d.buffers[to.buffer]!.size ? copy : undefined;
}

/**
 * `w`, a view of X, as a view of D, where the copy read X through `from` (shape S, strides σ)
 * and wrote it to D through `to` (shape S, strides τ): each axis of `w` of size n and stride s
 * is the axis of S of that size and stride, so its stride in D is that axis's τ. Undefined
 * where the axes do not match one to one (a writer that sees X with merged axes).
 */
function permuteView(w: View, from: View, to: View): View | undefined {
  if (w.offset !== 0) return undefined;
  const used = new Set<number>();
  const strides: number[] = [];
  for (let a = 0; a < w.shape.length; a++) {
    const [n, s] = [w.shape[a]!, w.strides[a]!];
    if (n === 1) {
      strides.push(0);
      continue;
    }
    const k = from.shape.findIndex((m, j) => m === n && from.strides[j] === s && !used.has(j));
    if (k < 0) return undefined;
    used.add(k);
    strides.push(to.strides[k]!);
  }
  // Every axis of the copy is one of the writer's (or of size 1): the map is a bijection.
  if (from.shape.some((m, j) => m !== 1 && !used.has(j))) return undefined;
  return { buffer: to.buffer, offset: to.offset, shape: [...w.shape], strides };
}

/**
 * Kernels write in the layout a copy would have made: where the only reader of a temporary X
 * is a copy reordering all of it into D (a head transpose before a reshape, `[batch, heads,
 * steps, dim]` → `[batch, steps, heads·dim]`), X's one writer (a batched matmul, or an
 * elementwise kernel) writes D through the permuted view instead, and the copy goes. Every
 * backend takes strided matmul outputs; the view keeps a matmul's layout rule (rows at least a
 * row apart, unit column stride).
 */
export function permuteInPlace(d: ProgramDraft): boolean {
  const users = new BufferUsers(d);
  let any = false;
  for (let c = 0; c < d.kernels.length; c++) {
    const copy = permutingCopy(d, d.kernels[c]);
    if (!copy) continue;
    const [from, to] = [copy.inputs[0]!, copy.outputs[0]!];
    const [x, into] = [from.buffer, to.buffer];
    const [bx, bd] = [d.buffers[x]!, d.buffers[into]!];
    if (bx.role !== 'temp' || d.pinned.has(x) || !(bd.role === 'temp' || bd.role === 'output')) continue;
    const ux = users.of(x);
    if (ux.writers.length !== 1 || ux.readers.length !== 1 || ux.readers[0] !== c) continue;
    const w = ux.writers[0]!;
    const writer = d.kernels[w]!;
    if (w > c || !(writer.kind === 'matmul' || writer.kind === 'elementwise')) continue;
    // The writer must not read X (an accumulating matmul) nor touch D, and nothing between it and the copy may touch D.
    if (reads(writer).some((v) => v.buffer === x || v.buffer === into) || writes(writer).some((v) => v.buffer === into)) continue;
    if (!users.untouchedBetween([into], w, c, true)) continue;
    let ok = true;
    const next = mapKernelViews(writer, (v) => (v.buffer === x ? permuteView(v, from, to) ?? (ok = false, v) : v));
    if (!ok || (next.kind === 'matmul' && !matmulOperandOk(next.out)) || kernelAliasingProblems(next).length > 0) continue;
    users.replace(w, writer, next);
    d.kernels[w] = next;
    d.sources[w] = [...d.sources[w]!, ...d.sources[c]!];
    users.replace(c, copy, undefined);
    d.kernels[c] = undefined;
    any = true;
  }
  return any;
}
