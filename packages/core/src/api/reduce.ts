import { floatOf, type DType } from '../ir/dtype.js';
import { apply1, GraphError } from '../ir/graph.js';
import type { ReduceOp } from '../ir/op.js';
import { normalizeAxis } from '../ir/type.js';
import type { Variable } from '../ir/variable.js';
import { elementwise } from './elementwise.js';
import { asVariable, type Operand } from './operand.js';

/** Axes to reduce: one axis, several, or all when omitted; negatives count from the end. */
export type Axes = number | readonly number[] | undefined;

export function normalizeAxes(op: string, x: Variable, axis: Axes): number[] {
  const list = axis === undefined ? x.shape.map((_, i) => i) : typeof axis === 'number' ? [axis] : [...axis];
  return list.map((a) => {
    const n = normalizeAxis(a, x.ndim);
    if (n === undefined) throw new GraphError(`${op}: axis ${a} is out of range for ${x.describe()}`);
    return n;
  }).sort((a, b) => a - b);
}

function reducer(op: ReduceOp) {
  return (x: Operand, axis?: Axes, keepdims = false): Variable => {
    const v = asVariable(op, x);
    return apply1(op, { axes: normalizeAxes(op, v, axis), keepdims }, [v]);
  };
}

/**
 * Reductions over axes (all axes by default), with `keepdims`.
 *
 * @example
 * ```ts
 * const loss = T.mean(T.square(T.sub(pred, target)));
 * const rowMax = T.max(x, 1, true);
 * ```
 */
export const reductions = {
  sum: reducer('sum'),
  max: reducer('max'),
  min: reducer('min'),
  /** The arithmetic mean; ints average to float32. */
  mean(x: Operand, axis?: Axes, keepdims = false): Variable {
    const v = asVariable('mean', x);
    const axes = normalizeAxes('mean', v, axis);
    const f = v.dtype === floatOf(v.dtype) ? v : elementwise.cast(v, floatOf(v.dtype));
    const total = apply1('sum', { axes, keepdims }, [f]);
    return elementwise.div(total, apply1('sizeOf', { axes, dtype: f.dtype }, [v]));
  },
  /** The number of elements along axes (all by default) as a scalar, known once shapes are concrete. */
  size(x: Operand, axis?: Axes, dtype: DType = 'float32'): Variable {
    const v = asVariable('size', x);
    return apply1('sizeOf', { axes: normalizeAxes('size', v, axis), dtype }, [v]);
  },
  /** Index of the largest element along one axis (the last by default); ties pick the first. */
  argmax(x: Operand, axis = -1, keepdims = false): Variable {
    const v = asVariable('argmax', x);
    const a = normalizeAxis(axis, v.ndim);
    if (a === undefined) throw new GraphError(`argmax: axis ${axis} is out of range for ${v.describe()}`);
    return apply1('argmax', { axis: a, keepdims }, [v]);
  },
  /** log Σ exp(x) along axes, stable: max + log Σ exp(x − max). */
  logSumExp(x: Operand, axis?: Axes, keepdims = false): Variable {
    const v = asVariable('logSumExp', x);
    const axes = normalizeAxes('logSumExp', v, axis);
    const m = apply1('max', { axes, keepdims: true }, [v]);
    const s = apply1('sum', { axes, keepdims }, [elementwise.exp(elementwise.sub(v, m))]);
    return elementwise.add(elementwise.log(s), keepdims ? m : apply1('max', { axes, keepdims: false }, [v]));
  },
};
