import type { DType } from '../ir/dtype.js';
import { apply1 } from '../ir/graph.js';
import type { BinaryOp, CompareOp, UnaryOp } from '../ir/op.js';
import type { Variable } from '../ir/variable.js';
import { asVariable, asVariables, type Operand } from './operand.js';

function unary(op: UnaryOp) {
  return (x: Operand): Variable => apply1(op, {}, [asVariable(op, x)]);
}

function binary(op: BinaryOp | CompareOp) {
  return (a: Operand, b: Operand): Variable => apply1(op, {}, asVariables(op, [a, b]));
}

/**
 * Elementwise functions with NumPy broadcasting. JS numbers adopt the tensor's dtype.
 *
 * @example
 * ```ts
 * const h = T.relu(T.add(T.dot(x, w), b));
 * const z = T.where(T.gt(x, 0), x, T.mul(x, 0.01));
 * ```
 */
export const elementwise = {
  neg: unary('neg'), exp: unary('exp'), log: unary('log'), log1p: unary('log1p'), expm1: unary('expm1'),
  sqrt: unary('sqrt'), rsqrt: unary('rsqrt'), square: unary('square'), abs: unary('abs'), sign: unary('sign'),
  tanh: unary('tanh'), sigmoid: unary('sigmoid'), relu: unary('relu'),
  add: binary('add'), sub: binary('sub'), mul: binary('mul'), div: binary('div'), pow: binary('pow'),
  minimum: binary('minimum'), maximum: binary('maximum'),
  lt: binary('lt'), le: binary('le'), gt: binary('gt'), ge: binary('ge'), eq: binary('eq'), ne: binary('ne'),
  /** `cond ? a : b` elementwise; `cond` must be bool. */
  where(cond: Operand, a: Operand, b: Operand): Variable {
    const [c, x, y] = asVariables('where', [cond, a, b]);
    return apply1('where', {}, [c!, x!, y!]);
  },
  /** Converts to another dtype (float → int truncates toward zero). */
  cast(x: Operand, dtype: DType): Variable {
    const v = asVariable('cast', x);
    return v.dtype === dtype ? v : apply1('cast', { dtype }, [v]);
  },
  /** log(1 + exp(x)), computed without overflow: relu(x) + log1p(exp(−|x|)). */
  softplus(x: Operand): Variable {
    const v = asVariable('softplus', x);
    return elementwise.add(elementwise.relu(v), elementwise.log1p(elementwise.exp(elementwise.neg(elementwise.abs(v)))));
  },
  /** Clamps into [lo, hi]. */
  clip(x: Operand, lo: Operand, hi: Operand): Variable {
    return elementwise.minimum(elementwise.maximum(x, lo), hi);
  },
};
