/**
 * Gradients of movement ops, each the transpose of its op: slice ↔ padSlice,
 * concat ↔ splitLike, reshape → reshapeLike, transpose → the inverse permutation,
 * broadcast → `sumToShape`. Inputs read only for their shape (the `like` inputs) are
 * disconnected; `sizeOf` is not differentiable.
 *
 * Broadcasts follow Theano: only static size-1 dims broadcast, so an operand dimension
 * that is `null` is taken to equal the target's.
 */
import { apply1, T, type Variable } from '@symgrad/core';
import { castLike, reduceLike, zerosLike } from './helpers.js';
import { disconnected, notDifferentiable, type GradientTable } from './types.js';

/** Built-in gradient rules and markers of the movement ops (transpose, reshapes, broadcasts, slices, concat/splitLike, sizeOf). */
export const movementGradients: GradientTable = {
  transpose: (node, [g]) => {
    const inv: number[] = [];
    node.props.perm.forEach((p, i) => { inv[p] = i; });
    return [T.transpose(g!, inv)];
  },
  reshape: (node, [g]) => [T.reshapeLike(g!, node.inputs[0]!)],
  reshapeLike: (node, [g]) => [T.reshapeLike(g!, node.inputs[0]!), disconnected],
  broadcastTo: (node, [g]) => [reduceLike(g!, node.inputs[0]!)],
  broadcastLike: (node, [g]) => [reduceLike(g!, node.inputs[0]!), disconnected],
  slice: (node, [g]) => [apply1('padSlice', node.props, [g!, node.inputs[0]!])],
  padSlice: (node, [g]) => [apply1('slice', node.props, [g!]), disconnected],
  concat: (node, [g]) => T.splitLike(g!, node.inputs, node.props.axis).map((p, i) => castLike(p, node.inputs[i]!)),
  /** Outputs that do not reach the cost contribute zeros. */
  splitLike: (node, gs) => {
    const x = node.inputs[0]!;
    const pieces = node.outputs.map((o, i): Variable => (gs[i] ? castLike(gs[i], x) : zerosLike(node.inputs[i + 1]!, x.dtype)));
    return [pieces.length === 1 ? pieces[0]! : T.concat(pieces, node.props.axis), ...node.outputs.map(() => disconnected)];
  },
  sizeOf: notDifferentiable,
};
