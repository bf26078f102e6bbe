/** Gradients of indexing ops: `oneHot` reads integer indices, so it has none. */
import { notDifferentiable, type GradientTable } from './types.js';

/** Built-in gradient rules and markers of the indexing ops (oneHot). */
export const indexingGradients: GradientTable = {
  oneHot: notDifferentiable,
};
