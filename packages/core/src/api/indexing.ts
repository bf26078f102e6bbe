import { apply1, GraphError } from '../ir/graph.js';
import { normalizeAxis } from '../ir/type.js';
import { kindOf } from '../host/kind-of.js';
import type { Variable } from '../ir/variable.js';
import { asVariables, type Operand } from './operand.js';

function takeAxis(op: string, x: Variable, axis: number): number {
  const a = normalizeAxis(axis, x.ndim);
  if (a === undefined) throw new GraphError(`${op}: axis ${axis} is out of range for ${x.describe()}`);
  return a;
}

function checkFill(x: Variable, fill: number | undefined): number | null {
  if (fill === undefined) return null;
  const ok = typeof fill === 'number' && (x.dtype === 'int32' ? Number.isInteger(fill) && fill >= -(2 ** 31) && fill < 2 ** 31
    : x.dtype === 'bool' ? fill === 0 || fill === 1 : true);
  const want = x.dtype === 'int32' ? 'an integer in the int32 range' : x.dtype === 'bool' ? '0 or 1' : 'a number';
  if (!ok) throw new GraphError(`take: fill ${typeof fill === 'number' ? fill : `is ${kindOf(fill)}, which`} does not fit ${x.describe()}: give ${want}`);
  return Number.isNaN(fill) ? null : fill;
}

/**
 * Indexing by integer tensors: `take` picks slices at indices, `scatterAdd` adds slices at
 * indices (its transpose, and its gradient). Indices are int32; a negative index counts from
 * the end, as in NumPy.
 *
 * @example
 * ```ts
 * const table = shared(weights, 'table');        // [vocabulary, width]
 * const ids = T.imatrix('ids');                  // [batch, length]
 * const vectors = T.take(table, ids);            // [batch, length, width]
 * const counts = T.scatterAdd(T.constant([0, 0, 0, 0, 0]), T.constant([1, 3, 1], 'int32'), T.constant([1, 1, 1])); // [0, 2, 0, 1, 0]
 * ```
 */
export const indexing = {
  /**
   * The slices of `x` at `indices` along `axis` (JAX's `jnp.take`, NumPy's `x[indices]` for
   * axis 0): the output has x's shape with that axis replaced by the indices' shape. An index
   * outside [−size, size) gives `fill`, by default NaN (in an int32 tensor −2³¹, in a bool
   * one true), like JAX's default `fill` mode. Its gradient adds the output's gradient back at
   * the indices (`scatterAdd`), so a repeated index gets the sum.
   */
  take(x: Operand, indices: Operand, axis = 0, fill?: number): Variable {
    const [v, i] = asVariables('take', [x, indices]);
    return apply1('take', { axis: takeAxis('take', v!, axis), fill: checkFill(v!, fill) }, [v!, i!]);
  },
  /**
   * `x` with the slices of `updates` added at `indices` along `axis` (JAX's
   * `x.at[indices].add(updates)`, Theano's `inc_subtensor` of an advanced index, PyTorch's
   * `index_add`): updates have x's shape with that axis replaced by the indices' shape.
   * Repeated indices add up; an index outside [−size, size) is dropped. On a GPU the adds at
   * one index run as atomics in no fixed order, so float results may differ in the last bits
   * between runs.
   */
  scatterAdd(x: Operand, indices: Operand, updates: Operand, axis = 0): Variable {
    const [v, i, u] = asVariables('scatterAdd', [x, indices, updates]);
    return apply1('scatterAdd', { axis: takeAxis('scatterAdd', v!, axis) }, [v!, i!, u!]);
  },
};
