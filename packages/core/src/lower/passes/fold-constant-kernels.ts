import { evalScalarExpr } from '../../codegen/scalar-expr.js';
import { allocTyped } from '../../ir/dtype.js';
import { mapKernelViews } from '../program.js';
import { BufferUsers, isTemp, isWhole, reads, type ProgramDraft } from './draft.js';

/** Above this many elements a computed fill stays a kernel. */
const MAX_FOLD = 1 << 16;

/**
 * Elementwise kernels with no inputs (fills such as a mean's 1/n spread over rows) become
 * constant buffers computed at compile time; a fill of one value becomes a single element
 * read with zero strides. Values that exist before the first kernel let later passes move
 * their readers freely.
 */
export function foldConstantKernels(d: ProgramDraft): boolean {
  const users = new BufferUsers(d);
  const folded = new Set<number>();
  d.kernels.forEach((k, i) => {
    if (k?.kind !== 'elementwise' || k.inputs.length !== 0 || k.outputs.length !== 1) return;
    const out = k.outputs[0]!;
    const size = out.shape.reduce((a, b) => a * b, 1);
    if (!isTemp(d, out.buffer) || !isWhole(d, out) || size > MAX_FOLD || size === 0) return;
    if (users.of(out.buffer).writers.length !== 1) return;
    const v = evalScalarExpr(k.exprs[0]!, []);
    const spec = d.buffers[out.buffer]!;
    const data = allocTyped(spec.dtype, 1);
    data[0] = v;
    d.buffers[out.buffer] = { ...spec, size: 1, role: 'constant' };
    d.constants.set(out.buffer, data);
    users.replace(i, k, undefined);
    d.kernels[i] = undefined;
    folded.add(out.buffer);
  });
  if (!folded.size) return false;
  // Every reader of a folded buffer reads its one element, in one pass over the Program.
  d.kernels.forEach((other, j) => {
    if (!other || !reads(other).some((w) => folded.has(w.buffer))) return;
    d.kernels[j] = mapKernelViews(other, (w) => (folded.has(w.buffer) ? { ...w, offset: 0, strides: w.strides.map(() => 0) } : w));
  });
  return true;
}
