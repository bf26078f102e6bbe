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

/**
 * Canonical forms: neutral elements vanish, double negation cancels, transposes compose,
 * reshape chains collapse, casts and reshapes to the same type disappear.
 */
export const canonicalize: LocalRewrite = (node) => {
  const out = node.outputs[0]!;
  const x = node.inputs[0]!;
  const n = neutral(node);
  if (n) return [n];
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
    default:
      return undefined;
  }
};
