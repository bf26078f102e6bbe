import { dtypeOfTyped, isFloat } from '../ir/dtype.js';
import { GraphError } from '../ir/graph.js';
import { formatShape } from '../ir/type.js';
import type { Variable } from '../ir/variable.js';
import { NDArray, type ArrayLike } from '../host/ndarray.js';

/** What a compiled function accepts for one input. */
export type InputValue = ArrayLike;

/**
 * Converts one call argument to an NDArray of the input's dtype and checks it against the
 * input's static type. Nested JS arrays and numbers take the input's dtype; typed arrays
 * and NDArrays must already have it (no silent downcast).
 */
export function coerceArgument(input: Variable, value: InputValue, position: number, debug: boolean): NDArray {
  const who = `input ${position} ${input.label()}`;
  let arr: NDArray;
  try {
    if (value instanceof NDArray) {
      if (value.dtype !== input.dtype) throw new GraphError(`${who}: expected dtype ${input.dtype}, got an NDArray of ${value.dtype} (convert it with .astype('${input.dtype}'))`);
      arr = value;
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'data' in value && 'shape' in value) {
      const own = ArrayBuffer.isView(value.data) ? dtypeOfTyped(value.data) : undefined;
      if (own !== undefined && own !== input.dtype) {
        throw new GraphError(`${who}: expected dtype ${input.dtype}, got a ${value.data.constructor.name} (${own})`);
      }
      const size = value.shape.reduce((a, b) => a * b, 1);
      if (value.data.length !== size) {
        throw new GraphError(`${who}: typed array has ${value.data.length} elements but shape ${formatShape(value.shape)} needs ${size}`);
      }
      arr = NDArray.from(value, input.dtype);
    } else if (ArrayBuffer.isView(value)) {
      throw new GraphError(`${who}: a typed array needs a shape: pass { data, shape } or an NDArray`);
    } else {
      arr = NDArray.from(value, input.dtype);
    }
  } catch (err) {
    if (err instanceof GraphError) throw err;
    throw new GraphError(`${who}: ${(err as Error).message}`);
  }
  const want = input.shape;
  if (arr.ndim !== want.length || arr.shape.some((d, i) => want[i] !== null && want[i] !== d)) {
    throw new GraphError(`${who}: expected shape ${formatShape(want)} (${input.dtype}), got ${formatShape(arr.shape)}`);
  }
  if (debug && isFloat(arr.dtype)) {
    const bad = arr.data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new GraphError(`${who}: element ${bad} is ${arr.data[bad]} (debug mode checks inputs for NaN and Inf)`);
  }
  return arr;
}
