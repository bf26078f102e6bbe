import { apply1 } from '../../ir/graph.js';
import { NDArray } from '../../host/ndarray.js';
import { ConstantVariable, type Apply, type Variable } from '../../ir/variable.js';
import type { DType } from '../../ir/dtype.js';
import { sameShape } from '../../ir/type.js';
import { resolveSliceAxis } from '../../ops/movement.js';
import { producer, sameType, uniformConstant } from '../match.js';
import type { LocalRewrite, RewriteContext } from '../rewrite-graph.js';

type SliceProps = { begin: number[]; end: (number | null)[]; step: number[] };

/**
 * The terms of the sum rooted at `node`: its inputs, and the terms of any input that is
 * itself an add of the same type read by nothing else (no broadcast hides inside).
 */
function termsOf(node: Apply, graph: RewriteContext): Variable[] {
  const out = node.outputs[0]!;
  const flat = (v: Variable): Variable[] => {
    const a = producer(v, 'add');
    return a && graph.uses(v) === 1 && sameType(v, out) ? a.inputs.flatMap(flat) : [v];
  };
  return node.inputs.flatMap(flat);
}

/** A tensor placed at [lo, hi) of one axis of a zero tensor: a padded slice, or a concat's piece. */
interface Placed {
  readonly value: Variable;
  readonly lo: number;
  readonly hi: number;
}

/** A term that is zero outside one axis's ranges: the pieces it places, and a tensor of the sum's shape to cut zero gaps from. */
interface PlacedTerm {
  readonly term: Variable;
  readonly axis: number;
  readonly pieces: readonly Placed[];
  readonly full: Variable;
}

function isFullAxis(dim: number | null, p: SliceProps, i: number): boolean {
  if (p.step[i] !== 1) return false;
  if (dim === null) return p.begin[i] === 0 && p.end[i] === null;
  const { start, length } = resolveSliceAxis(dim, p.begin[i]!, p.end[i]!, 1);
  return start === 0 && length === dim;
}

/** A padded slice that is a range of one static axis (step 1, every other axis whole). */
function paddedRange(v: Variable): PlacedTerm | undefined {
  const p = producer(v, 'padSlice');
  if (!p) return undefined;
  const props = p.props as SliceProps;
  const like = p.inputs[1]!;
  const partial = v.shape.map((_, i) => i).filter((i) => !isFullAxis(v.shape[i]!, props, i));
  if (partial.length !== 1) return undefined;
  const axis = partial[0]!;
  const dim = v.shape[axis];
  if (dim === null || dim === undefined || props.step[axis] !== 1) return undefined;
  const { start, length } = resolveSliceAxis(dim, props.begin[axis]!, props.end[axis]!, 1);
  return { term: v, axis, pieces: [{ value: p.inputs[0]!, lo: start, hi: start + length }], full: like };
}

/** A zero piece this pass cut: zeros broadcast like a slice of a tensor of the sum's shape. */
function zeroPieceSource(v: Variable): Variable | undefined {
  const b = producer(v, 'broadcastLike');
  const s = b && uniformConstant(b.inputs[0]!) === 0 ? producer(b.inputs[1]!, 'slice') : undefined;
  return s?.inputs[0];
}

/** A concat with zero pieces among its static-sized pieces (an earlier step of this pass). */
function concatWithZeros(v: Variable): PlacedTerm | undefined {
  const c = producer(v, 'concat');
  if (!c) return undefined;
  const axis = c.props.axis;
  let at = 0;
  let full: Variable | undefined;
  const pieces: Placed[] = [];
  for (const x of c.inputs) {
    const n = x.shape[axis];
    if (n === null || n === undefined) return undefined;
    const zeroOf = zeroPieceSource(x);
    if (zeroOf) full = zeroOf;
    else pieces.push({ value: x, lo: at, hi: at + n });
    at += n;
  }
  return full && sameShape(full.shape, v.shape) ? { term: v, axis, pieces, full } : undefined;
}

/** Zeros of `dtype` shaped like `full` cut to [lo, hi) on `axis`. */
function zeros(full: Variable, axis: number, lo: number, hi: number, dtype: DType): Variable {
  const r = full.ndim;
  const props: SliceProps = { begin: full.shape.map((_, i) => (i === axis ? lo : 0)), end: full.shape.map((_, i) => (i === axis ? hi : null)), step: full.shape.map(() => 1) };
  const zero = new ConstantVariable(NDArray.zeros(Array(r).fill(1), dtype));
  return apply1('broadcastLike', {}, [zero, apply1('slice', props, [full])]);
}

/**
 * Padded slices of disjoint ranges of one axis, summed, are a concat: the gradient of a
 * tensor read as slices (an LSTM's gates, a recurrent layer's steps) sums one zero-padded
 * tensor per slice; a concat writes each piece once, with zeros only in the gaps.
 */
function concatPaddedSlices(node: Apply, terms: readonly Variable[]): Variable | undefined {
  const out = node.outputs[0]!;
  const placed = terms.map((t) => (sameType(t, out) ? paddedRange(t) ?? concatWithZeros(t) : undefined));
  for (let axis = 0; axis < out.ndim; axis++) {
    const group = placed.filter((p): p is PlacedTerm => p?.axis === axis);
    if (group.length < 2) continue;
    const pieces = group.flatMap((g) => g.pieces).sort((a, b) => a.lo - b.lo);
    if (pieces.some((p, i) => i > 0 && p.lo < pieces[i - 1]!.hi)) continue;
    const full = group[0]!.full;
    const parts: Variable[] = [];
    let at = 0;
    for (const p of pieces) {
      if (p.lo > at) parts.push(zeros(full, axis, at, p.lo, out.dtype));
      if (p.hi > p.lo) parts.push(p.value);
      at = p.hi;
    }
    const dim = out.shape[axis] as number;
    if (at < dim) parts.push(zeros(full, axis, at, dim, out.dtype));
    const merged = new Set(group.map((g) => g.term));
    const rest = terms.filter((t) => !merged.has(t));
    return [apply1('concat', { axis }, parts), ...rest].reduce((a, b) => apply1('add', {}, [a, b]));
  }
  return undefined;
}

/** The axis of a 2-D matmul operand its product sums over. */
const contracted = (trans: boolean, operand: 'a' | 'b'): number => (operand === 'a' ? (trans ? 0 : 1) : (trans ? 1 : 0));

/** An operand's pieces along the contracted axis: a concat's (read by that product only), else itself. */
function piecesAlong(v: Variable, axis: number, graph: RewriteContext): Variable[] {
  const c = producer(v, 'concat');
  return c && c.props.axis === axis && graph.uses(v) === 1 ? [...c.inputs] : [v];
}

/**
 * A sum of matrix products with the same transposes is one product over operands
 * concatenated along the summed axis: Σₜ hₜᵀ·gₜ = [h₁ … hₙ]ᵀ·[g₁ … gₙ]. A recurrent
 * weight's gradient is such a sum, one small product per step; as one product the GEMM
 * runs at full width and no adds remain. Only products nothing else reads are combined,
 * so no product is computed twice.
 */
function combineProducts(node: Apply, terms: readonly Variable[], graph: RewriteContext): Variable | undefined {
  const out = node.outputs[0]!;
  if (out.ndim !== 2) return undefined;
  const groups = new Map<string, Apply<'matmul'>[]>();
  for (const t of terms) {
    const m = producer(t, 'matmul');
    if (!m || graph.uses(t) !== 1 || !sameType(t, out) || m.inputs.some((x) => x.ndim !== 2)) continue;
    const key = `${m.props.transA}|${m.props.transB}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const combined = [...groups.values()].filter((g) => g.length > 1);
  if (combined.length === 0) return undefined;
  const gone = new Set(combined.flat().map((m) => m.outputs[0]!));
  const products = combined.map((g) => {
    const { transA, transB } = g[0]!.props;
    const [ka, kb] = [contracted(transA, 'a'), contracted(transB, 'b')];
    const a = g.flatMap((m) => piecesAlong(m.inputs[0]!, ka, graph));
    const b = g.flatMap((m) => piecesAlong(m.inputs[1]!, kb, graph));
    return apply1('matmul', { transA, transB }, [apply1('concat', { axis: ka }, a), apply1('concat', { axis: kb }, b)]);
  });
  return [...products, ...terms.filter((t) => !gone.has(t))].reduce((a, b) => apply1('add', {}, [a, b]));
}

/**
 * Sums that are concatenations in disguise: disjoint padded slices become one concat, and
 * matrix products with the same transposes become one product over concatenated
 * operands. Both shapes are what reverse mode makes of an unrolled loop.
 */
export const concatSums: LocalRewrite = (node, graph) => {
  if (node.op !== 'add') return undefined;
  const out = node.outputs[0]!;
  const terms = termsOf(node, graph);
  const r = concatPaddedSlices(node, terms) ?? combineProducts(node, terms, graph);
  return r && sameType(r, out) ? [r] : undefined;
};
