/**
 * Gradients of indexing ops: `take` and `scatterAdd` are each other's transposes (the
 * gradient of a lookup adds the output's gradient back at the indices, repeated indices
 * summing); integer indices get none, and `oneHot` reads only integer indices.
 */
import { T } from '@symgrad/core';
import { zerosLike } from './helpers.js';
import { disconnected, notDifferentiable, type GradientTable } from './types.js';

/** Built-in gradient rules and markers of the indexing ops (take, scatterAdd, oneHot). */
export const indexingGradients: GradientTable = {
  take: (node, [g]) => [T.scatterAdd(zerosLike(node.inputs[0]!), node.inputs[1]!, g!, node.props.axis), disconnected],
  // Updates at an index out of range were dropped: their gradient is 0, not take's NaN fill.
  scatterAdd: (node, [g]) => [g!, disconnected, T.take(g!, node.inputs[1]!, node.props.axis, 0)],
  oneHot: notDifferentiable,
};
