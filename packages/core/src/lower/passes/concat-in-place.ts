import type { ElementwiseKernel, Kernel, View } from '../program.js';
import { kernelAliasingProblems, mapKernelViews } from '../program.js';
import { sameView } from '../view.js';
import { BufferUsers, isWhole, plainCopy, reads, writes, type ProgramDraft } from './draft.js';

/**
 * Where a view's elements lie, as rows: `rows` runs of `length` consecutive elements,
 * `pitch` apart, from `offset`. Every concat piece (a range of one axis of a contiguous
 * tensor) has this form; other views give undefined.
 */
interface Rows {
  readonly offset: number;
  readonly rows: number;
  readonly length: number;
  readonly pitch: number;
}

function rowsOf(v: View): Rows | undefined {
  // Merge axes that are contiguous with the next, dropping size-1 axes.
  const dims: { n: number; s: number }[] = [];
  v.shape.forEach((n, i) => {
    if (n === 1) return;
    const s = v.strides[i]!;
    const last = dims[dims.length - 1];
    if (last && last.s === s * n) dims[dims.length - 1] = { n: last.n * n, s };
    else dims.push({ n, s });
  });
  if (dims.length === 0) return { offset: v.offset, rows: 1, length: 1, pitch: 1 };
  if (dims.length === 1) {
    const [d] = dims as [{ n: number; s: number }];
    return d.s === 1 ? { offset: v.offset, rows: 1, length: d.n, pitch: d.n } : d.s > 1 ? { offset: v.offset, rows: d.n, length: 1, pitch: d.s } : undefined;
  }
  if (dims.length !== 2) return undefined;
  const [r, c] = dims as [{ n: number; s: number }, { n: number; s: number }];
  return c.s === 1 && r.s >= c.n ? { offset: v.offset, rows: r.n, length: c.n, pitch: r.s } : undefined;
}

/** True when two row sets provably share no element. */
function disjoint(a: Rows, b: Rows): boolean {
  const end = (x: Rows) => x.offset + (x.rows - 1) * x.pitch + x.length;
  if (end(a) <= b.offset || end(b) <= a.offset) return true;
  if (a.pitch !== b.pitch || a.rows === 1 || b.rows === 1) return false;
  // Same pitch: disjoint when their columns within a row are (neither wraps into the next row).
  const col = (x: Rows) => x.offset % x.pitch;
  const wraps = (x: Rows) => col(x) + x.length > x.pitch;
  if (wraps(a) || wraps(b)) return false;
  return col(a) + a.length <= col(b) || col(b) + b.length <= col(a);
}

/**
 * `w`, a view of a contiguous buffer X whose element f now lives at D's
 * `at.offset + ⌊f / L⌋·pitch + f mod L` (L = at.length), as a view of D; undefined when
 * some axis of `w` would cross from one row of X into the next.
 */
function relocate(w: View, at: Rows, into: number): View | undefined {
  const L = at.length;
  const q = Math.floor(w.offset / L);
  const r = w.offset % L;
  let span = 0;
  const strides: number[] = [];
  for (let a = 0; a < w.shape.length; a++) {
    const n = w.shape[a]!;
    const s = w.strides[a]!;
    if (n === 1) strides.push(0);
    else if (s < 0) return undefined;
    else if (s % L === 0) strides.push((s / L) * at.pitch);
    else {
      strides.push(s);
      span += (n - 1) * s;
    }
  }
  if (r + span >= L) return undefined;
  return { buffer: into, offset: at.offset + q * at.pitch + r, shape: [...w.shape], strides };
}

/** The layout rule of a matmul's operands and output (last stride 1, rows at least a row apart), which a relocated view must keep. */
export function matmulOperandOk(v: View): boolean {
  const r = v.shape.length;
  const [rows, cols] = [v.shape[r - 2]!, v.shape[r - 1]!];
  return (cols === 1 || v.strides[r - 1] === 1) && (rows === 1 || v.strides[r - 2]! >= cols);
}

/** The copy kernel `k` when it is one: out = in0 over a whole buffer, same dtype. */
function wholeCopy(d: ProgramDraft, k: Kernel | undefined): ElementwiseKernel | undefined {
  const copy = plainCopy(d, k);
  return copy && isWhole(d, copy.inputs[0]!) ? copy : undefined;
}

/**
 * What a kernel may do with X for X to move: elementwise kernels anything; a reduce only
 * reads it; a matmul reads it as an operand or writes it as its output (an epilogue reads
 * it only where that is the output itself).
 */
function movable(k: Kernel, x: number): boolean {
  const touches = (v: View) => v.buffer === x;
  switch (k.kind) {
    case 'elementwise': return true;
    case 'reduce': return !touches(k.output);
    case 'matmul': return !(k.epilogue?.inputs.some((v) => touches(v) && !sameView(v, k.out)) ?? false);
    default: return false;
  }
}

/**
 * Concats write in place: a temporary X that a kernel only copies into a piece of a
 * concat's buffer D is computed there instead, and its readers read that piece. Fusion
 * already does this where the copy is X's only reader; here X has others (a recurrent
 * layer's state feeds the next step as well as the stacked states its weight's gradient
 * reads), so the copy would stay. Applies where X is written only before the copy (by
 * elementwise kernels or a matmul), every view of X maps onto the piece, and no other
 * kernel writes the piece or reads it while X is being made.
 */
export function concatInPlace(d: ProgramDraft): boolean {
  const users = new BufferUsers(d);
  let any = false;
  for (let c = 0; c < d.kernels.length; c++) {
    const copy = wholeCopy(d, d.kernels[c]);
    if (!copy) continue;
    const x = copy.inputs[0]!.buffer;
    const v = copy.outputs[0]!;
    const into = v.buffer;
    const [bx, bd] = [d.buffers[x]!, d.buffers[into]!];
    if (bx.role !== 'temp' || d.pinned.has(x) || !(bd.role === 'temp' || bd.role === 'output')) continue;
    const at = rowsOf(v);
    if (!at || at.rows * at.length !== bx.size) continue;
    const ux = users.of(x);
    const xKernels = [...new Set([...ux.readers, ...ux.writers])].sort((a, b) => a - b);
    if (ux.writers.length === 0 || ux.writers.some((w) => w > c)) continue;
    if (!xKernels.every((i) => movable(d.kernels[i]!, x))) continue;
    // Nothing else may write the piece, nor read it before the copy would have.
    const ud = users.of(into);
    const first = xKernels[0]!;
    const clash = (views: View[]) => views.some((w) => w.buffer === into && !disjoint(rowsOf(w) ?? { offset: 0, rows: 1, length: bd.size, pitch: bd.size }, at));
    if (ud.writers.some((i) => i !== c && clash(writes(d.kernels[i]!)))) continue;
    if (ud.readers.some((i) => i >= first && i < c && clash(reads(d.kernels[i]!)))) continue;
    if (ux.writers.some((i) => reads(d.kernels[i]!).some((w) => w.buffer === into))) continue;
    const moved = new Map<number, Kernel>();
    let ok = true;
    for (const i of xKernels) {
      if (i === c) continue;
      const k = d.kernels[i]!;
      const next = mapKernelViews(k, (w) => (w.buffer === x ? relocate(w, at, into) ?? (ok = false, w) : w));
      if (next.kind === 'matmul' && ![next.a, next.b, next.out].every(matmulOperandOk)) ok = false;
      // A kernel that would read the piece and write elsewhere in D breaks the aliasing rule.
      if (kernelAliasingProblems(next).length > 0) ok = false;
      if (!ok) break;
      moved.set(i, next);
    }
    if (!ok) continue;
    for (const [i, next] of moved) {
      users.replace(i, d.kernels[i], next);
      d.kernels[i] = next;
    }
    const last = ux.writers[ux.writers.length - 1]!;
    d.sources[last] = [...d.sources[last]!, ...d.sources[c]!];
    users.replace(c, copy, undefined);
    d.kernels[c] = undefined;
    any = true;
  }
  return any;
}
