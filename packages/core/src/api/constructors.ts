import type { DType } from '../ir/dtype.js';
import { isDType } from '../ir/dtype.js';
import { GraphError } from '../ir/graph.js';
import { SharedVariable } from '../ir/shared.js';
import { formatShape, type Dim } from '../ir/type.js';
import { ConstantVariable, Variable } from '../ir/variable.js';
import { NDArray, type ArrayLike } from '../host/ndarray.js';

/** Options of the variable constructors: a static shape where some dims are known (1 = broadcastable). */
export interface TensorOptions {
  shape?: readonly Dim[];
}

/**
 * A symbolic input of a given dtype and static shape (`null` for dims known at call time).
 *
 * @example
 * ```ts
 * const x = tensor('float32', [null, 784], 'x');
 * ```
 */
export function tensor(dtype: DType, shape: readonly Dim[], name?: string): Variable {
  return makeInput('tensor', dtype, shape, name);
}

/** An input variable, with errors that start with the constructor the user called. */
function makeInput(ctor: string, dtype: DType, shape: readonly Dim[], name: string | undefined): Variable {
  const who = `${ctor}${name ? ` '${name}'` : ''}`;
  if (!isDType(dtype)) throw new GraphError(`${who}: unknown dtype '${String(dtype)}' (use float32, float64, int32 or bool)`);
  for (const d of shape) {
    if (d !== null && (!Number.isInteger(d) || d < 0)) {
      throw new GraphError(`${who}: invalid dimension ${d} in shape ${formatShape(shape)}: dimensions must be non-negative integers, or null for a size known at call time`);
    }
  }
  return new Variable({ dtype, shape: [...shape] }, 'input', name === undefined ? {} : { name });
}

function ranked(ctor: string, rank: number, dtype: DType) {
  return (name?: string, opts: TensorOptions = {}): Variable => {
    const shape = opts.shape ?? new Array<Dim>(rank).fill(null);
    if (shape.length !== rank) {
      throw new GraphError(`${ctor}${name ? ` '${name}'` : ''}: a rank-${rank} variable needs a shape of ${rank} dims, got ${formatShape(shape)}`);
    }
    return makeInput(ctor, dtype, shape, name);
  };
}

/** The variable constructors of Theano's `T`, with dtype prefixes f (float32), d (float64), i (int32), b (bool). */
export const constructors = {
  scalar: ranked('scalar', 0, 'float32'),
  vector: ranked('vector', 1, 'float32'),
  matrix: ranked('matrix', 2, 'float32'),
  tensor3: ranked('tensor3', 3, 'float32'),
  tensor4: ranked('tensor4', 4, 'float32'),
  /** A 1×n matrix whose first axis broadcasts. */
  row: (name?: string, dtype: DType = 'float32') => makeInput('row', dtype, [1, null], name),
  /** An n×1 matrix whose second axis broadcasts. */
  col: (name?: string, dtype: DType = 'float32') => makeInput('col', dtype, [null, 1], name),
  fscalar: ranked('fscalar', 0, 'float32'), fvector: ranked('fvector', 1, 'float32'), fmatrix: ranked('fmatrix', 2, 'float32'), ftensor3: ranked('ftensor3', 3, 'float32'), ftensor4: ranked('ftensor4', 4, 'float32'),
  dscalar: ranked('dscalar', 0, 'float64'), dvector: ranked('dvector', 1, 'float64'), dmatrix: ranked('dmatrix', 2, 'float64'), dtensor3: ranked('dtensor3', 3, 'float64'), dtensor4: ranked('dtensor4', 4, 'float64'),
  iscalar: ranked('iscalar', 0, 'int32'), ivector: ranked('ivector', 1, 'int32'), imatrix: ranked('imatrix', 2, 'int32'), itensor3: ranked('itensor3', 3, 'int32'), itensor4: ranked('itensor4', 4, 'int32'),
  bscalar: ranked('bscalar', 0, 'bool'), bvector: ranked('bvector', 1, 'bool'), bmatrix: ranked('bmatrix', 2, 'bool'),
  tensor,
};

/**
 * A constant tensor, embedded in every function that uses it.
 *
 * @example
 * ```ts
 * const c = constant([[1, 0], [0, 1]], 'float32');
 * ```
 */
export function constant(value: ArrayLike, dtype?: DType, name?: string): ConstantVariable {
  return new ConstantVariable(NDArray.from(value, dtype), name);
}

/**
 * A shared variable: a value that persists across calls and that `updates` can change.
 *
 * @example
 * ```ts
 * const w1 = shared(heNormal([1000, 1000]), 'w1');
 * w1.get();           // NDArray
 * w1.set(newValue);   // same shape and dtype
 * ```
 */
export function shared(value: ArrayLike, name?: string, dtype?: DType): SharedVariable {
  return new SharedVariable(NDArray.from(value, dtype), name);
}
