import { promoteTypes, promoteWithScalar, type DType } from '../ir/dtype.js';
import { GraphError } from '../ir/graph.js';
import { ConstantVariable, Variable } from '../ir/variable.js';
import { NDArray, type NestedArray } from '../host/ndarray.js';
import { kindOf } from '../host/kind-of.js';

/** What tensor functions accept: a symbolic variable, a JS number/boolean, an NDArray or nested arrays. */
export type Operand = Variable | number | boolean | NDArray | NestedArray;

/**
 * Turns operands into variables. JS numbers are weakly typed (as in JAX): they take the
 * dtype of the tensor operands, so `x.mul(0.1)` stays float32. `op` names the caller in
 * the error for an operand that is none of these.
 *
 * @example
 * ```ts
 * function hypot(a: Operand, b: Operand): Variable {
 *   const [x, y] = asVariables('hypot', [a, b]); // hypot(T.ivector('v'), 3): 3 becomes an int32 constant
 *   return T.sqrt(x!.square().add(y!.square()));
 * }
 * ```
 */
export function asVariables(op: string, operands: readonly Operand[]): Variable[] {
  const tensors = operands.filter((o): o is Variable => o instanceof Variable);
  const anchor: DType | undefined = tensors.length ? tensors.map((t) => t.dtype).reduce(promoteTypes) : undefined;
  return operands.map((o, i) => {
    if (o instanceof Variable) return o;
    if (typeof o === 'number' || typeof o === 'boolean') {
      const dtype = anchor === undefined ? (typeof o === 'boolean' ? 'bool' : 'float32') : promoteWithScalar(anchor, o);
      return new ConstantVariable(NDArray.from(o, dtype));
    }
    if (o instanceof NDArray) return new ConstantVariable(o);
    if (Array.isArray(o)) return new ConstantVariable(NDArray.from(o as NestedArray, anchor));
    throw new GraphError(`${op}: operand ${i} is ${kindOf(o)}, not a tensor, number or array`);
  });
}

/**
 * A single operand as a variable: a number with no tensor to take a dtype from is
 * float32 (bool for a boolean).
 *
 * @example
 * ```ts
 * asVariable('scale', 0.5).dtype; // 'float32'
 * asVariable('mask', [[true, false]]).dtype; // 'bool'
 * ```
 */
export function asVariable(op: string, o: Operand): Variable {
  return asVariables(op, [o])[0]!;
}
