import { apply1 } from '../../ir/graph.js';
import type { Apply, Variable } from '../../ir/variable.js';
import { producer, sameType, uniformConstant } from '../match.js';
import type { LocalRewrite } from '../rewrite-graph.js';

/** x when `node` is `x ∘ c` with a neutral constant c (x + 0, x · 1, x − 0, x / 1). */
function neutral(node: Apply): Variable | undefined {
  const [a, b] = node.inputs as [Variable, Variable];
  const out = node.outputs[0]!;
  const keep = (x: Variable) => (sameType(x, out) ? x : undefined);
  switch (node.op) {
    case 'add': return uniformConstant(b) === 0 ? keep(a) : uniformConstant(a) === 0 ? keep(b) : undefined;
    case 'sub': return uniformConstant(b) === 0 ? keep(a) : undefined;
    case 'mul': return uniformConstant(b) === 1 ? keep(a) : uniformConstant(a) === 1 ? keep(b) : undefined;
    case 'div': return uniformConstant(b) === 1 ? keep(a) : undefined;
    default: return undefined;
  }
}

/** The scatterAdd producing `v` when it adds into zeros (a gradient of take, say). */
function scatterIntoZeros(v: Variable): Apply<'scatterAdd'> | undefined {
  const s = producer(v, 'scatterAdd');
  return s && uniformConstant(s.inputs[0]!) === 0 ? s : undefined;
}

/** True when `v` is one value for every element (all its static dims are 1). */
const scalarLike = (v: Variable): boolean => v.shape.every((d) => d === 1);

/**
 * Sparse updates: a scatterAdd into zeros, scaled, negated, added to or subtracted from a
 * tensor of its own type, becomes a scatterAdd into that tensor of the scaled slices. So
 * `w − lr · grad(Σ take(w, ids) · g, w)` touches only the rows at `ids`, not the whole table.
 */
function sparseUpdate(node: Apply): Variable | undefined {
  const [a, b] = node.inputs as [Variable, Variable];
  const out = node.outputs[0]!;
  const re = (s: Apply<'scatterAdd'>, into: Variable, slices: Variable): Variable =>
    apply1('scatterAdd', s.props, [into, s.inputs[1]!, slices], node.callSite);
  switch (node.op) {
    case 'neg': {
      const s = scatterIntoZeros(a);
      return s ? re(s, s.inputs[0]!, apply1('neg', {}, [s.inputs[2]!])) : undefined;
    }
    case 'mul': {
      const sa = scatterIntoZeros(a);
      const [s, k] = sa ? [sa, b] : [scatterIntoZeros(b), a];
      const u = s?.inputs[2];
      if (!s || !u || !scalarLike(k) || k.ndim > u.ndim || !sameType(s.outputs[0]!, out)) return undefined;
      const scaled = apply1('mul', {}, [u, k]);
      return scaled.dtype === u.dtype ? re(s, s.inputs[0]!, scaled) : undefined;
    }
    case 'add': {
      const sb = scatterIntoZeros(b);
      const [s, into] = sb ? [sb, a] : [scatterIntoZeros(a), b];
      return s && sameType(into, out) && sameType(s.outputs[0]!, out) ? re(s, into, s.inputs[2]!) : undefined;
    }
    case 'sub': {
      const s = scatterIntoZeros(b);
      return s && sameType(a, out) && sameType(s.outputs[0]!, out) ? re(s, a, apply1('neg', {}, [s.inputs[2]!])) : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Canonical forms: neutral elements vanish, double negation cancels, transposes compose,
 * reshape and concat chains collapse, casts and reshapes to the same type disappear, and a sum with a
 * scatterAdd into zeros becomes a scatterAdd (a sparse update).
 */
export const canonicalize: LocalRewrite = (node, graph) => {
  const out = node.outputs[0]!;
  const x = node.inputs[0]!;
  const n = neutral(node);
  if (n) return [n];
  const sparse = sparseUpdate(node);
  if (sparse) return [sparse];
  switch (node.op) {
    case 'neg': {
      const inner = producer(x, 'neg');
      return inner ? [inner.inputs[0]!] : undefined;
    }
    case 'transpose': {
      const perm = (node.props as { perm: number[] }).perm;
      const inner = producer(x, 'transpose');
      const src = inner ? inner.inputs[0]! : x;
      const composed = inner ? perm.map((p) => inner.props.perm[p]!) : perm;
      if (composed.every((p, i) => p === i)) return [src];
      return inner ? [apply1('transpose', { perm: composed }, [src])] : undefined;
    }
    case 'reshape': {
      const inner = producer(x, 'reshape') ?? producer(x, 'reshapeLike');
      const src = inner ? inner.inputs[0]! : x;
      if (sameType(src, out) && !out.shape.includes(null)) return [src];
      return inner ? [apply1('reshape', node.props as { shape: number[] }, [src])] : undefined;
    }
    case 'cast':
    case 'broadcastTo':
      return sameType(x, out) ? [x] : undefined;
    case 'concat': {
      // A concat of a concat on the same axis read by nothing else: one concat, each piece copied once.
      const axis = (node.props as { axis: number }).axis;
      const inner = (v: Variable) => { const c = producer(v, 'concat'); return c && c.props.axis === axis && graph.uses(v) === 1 ? c : undefined; };
      if (node.inputs.length === 1 && sameType(x, out)) return [x];
      return node.inputs.some(inner) ? [apply1('concat', { axis }, node.inputs.flatMap((v) => inner(v)?.inputs ?? [v]))] : undefined;
    }
    default:
      return undefined;
  }
};
