import { ConstantVariable, type Variable } from '../ir/variable.js';
import type { OpName, OpProps } from '../ir/op.js';
import type { Apply } from '../ir/variable.js';
import { sameShape } from '../ir/type.js';

/** The node producing `v` when it is an application of `op`. */
export function producer<N extends OpName>(v: Variable, op: N): Apply<N> | undefined {
  return v.owner?.op === op ? (v.owner as Apply<N>) : undefined;
}

/** Ops that move a tensor's elements without changing them: a uniform constant stays one through them. */
const MOVES: ReadonlySet<string> = new Set(['broadcastTo', 'broadcastLike', 'reshape', 'reshapeLike', 'transpose']);

/**
 * The single value of a constant whose elements are all equal, if `v` is one, also seen
 * through broadcasts and reshapes (a gradient's ones are a scalar 1 reshaped and broadcast
 * to the input's shape).
 */
export function uniformConstant(v: Variable): number | undefined {
  const b = v.owner && MOVES.has(v.owner.op) ? v.owner.inputs[0]! : undefined;
  if (b) return uniformConstant(b);
  if (!(v instanceof ConstantVariable)) return undefined;
  const d = v.value.data;
  if (d.length === 0) return undefined;
  const first = d[0]!;
  for (let i = 1; i < d.length; i++) if (d[i] !== first) return undefined;
  return first;
}

/** True when `a` can stand in for `b`: same dtype and the same static shape. */
export function sameType(a: Variable, b: Variable): boolean {
  return a.dtype === b.dtype && sameShape(a.shape, b.shape);
}

export function propsOf<N extends OpName>(node: Apply<N>): OpProps[N] {
  return node.props;
}
