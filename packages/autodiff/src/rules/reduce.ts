/**
 * Gradients of reductions. `sum` spreads the cotangent back over the reduced axes;
 * `max`/`min` send it to the extremal elements, split evenly among tied maxima (minima),
 * as TensorFlow does. `argmax` is not differentiable. (`mean` is `sum / sizeOf`, so its
 * gradient comes from `sum` and `div`.)
 */
import { T, type Apply, type Variable } from '@symgrad/core';
import { broadcastReduced, castLike } from './helpers.js';
import { notDifferentiable, type GradientTable, type InputGradient } from './types.js';

/** Gradient of max/min: the cotangent split evenly among the elements equal to the result. */
function extremum(node: Apply<'max' | 'min'>, [g]: readonly (Variable | undefined)[]): InputGradient[] {
  const x = node.inputs[0]!;
  const { axes, keepdims } = node.props;
  const z = broadcastReduced(node.outputs[0]!, x, axes, keepdims);
  const hit = T.cast(T.eq(x, z), x.dtype);
  const count = T.sum(hit, axes, true);
  return [castLike(T.div(T.mul(hit, broadcastReduced(g!, x, axes, keepdims)), count), x)];
}

/** Built-in gradient rules and markers of the reductions (sum, max, min, argmax). */
export const reduceGradients: GradientTable = {
  sum: (node, [g]) => {
    const x = node.inputs[0]!;
    return [castLike(broadcastReduced(g!, x, node.props.axes, node.props.keepdims), x)];
  },
  /** Ties share the cotangent evenly (TensorFlow's convention). */
  max: extremum,
  /** Ties share the cotangent evenly (TensorFlow's convention). */
  min: extremum,
  argmax: notDifferentiable,
};
