import { defineOp, OpTypeError, REDUCE_OPS } from '../ir/op.js';
import type { Dim, TensorType } from '../ir/type.js';

function checkAxes(x: TensorType, axes: readonly number[]): void {
  const seen = new Set<number>();
  for (const a of axes) {
    if (!Number.isInteger(a) || a < 0 || a >= x.shape.length) {
      throw new OpTypeError(`axis ${a} is out of range for a tensor of rank ${x.shape.length}`);
    }
    if (seen.has(a)) throw new OpTypeError(`axis ${a} is repeated in axes [${axes.join(', ')}]`);
    seen.add(a);
  }
}

/**
 * The shape a reduction over `axes` (non-negative) leaves: those axes removed, or kept
 * with size 1 when `keepdims` is set, so the result broadcasts against the input.
 *
 * @example
 * ```ts
 * reducedShape([2, null, 4], [1], true); // [2, 1, 4]
 * reducedShape([2, null, 4], [0, 2], false); // [null]
 * ```
 */
export function reducedShape(shape: readonly Dim[], axes: readonly number[], keepdims: boolean): Dim[] {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

for (const name of REDUCE_OPS) {
  defineOp({
    name,
    family: 'reduce',
    arity: 1,
    inferType: ([x], { axes, keepdims }) => {
      checkAxes(x!, axes);
      const dtype = name === 'sum' && x!.dtype === 'bool' ? 'int32' : x!.dtype;
      return [{ dtype, shape: reducedShape(x!.shape, axes, keepdims) }];
    },
  });
}

defineOp({
  name: 'argmax',
  family: 'reduce',
  arity: 1,
  inferType: ([x], { axis, keepdims }) => {
    checkAxes(x!, [axis]);
    if (x!.shape[axis] === 0) throw new OpTypeError(`axis ${axis} has size 0: an empty axis has no largest element`);
    return [{ dtype: 'int32', shape: reducedShape(x!.shape, [axis], keepdims) }];
  },
});
