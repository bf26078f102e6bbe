/**
 * Gradients of the random op: its numbers do not vary smoothly with the int32 state, and a
 * tensor it takes the shape from is read only for that shape (as JAX treats keys).
 */
import { disconnected, notDifferentiable, type GradientTable } from './types.js';

/** Built-in gradient rules of the random op. */
export const randomGradients: GradientTable = {
  random: (node) => [notDifferentiable, ...(node.inputs.length > 1 ? [disconnected] : [])],
};
