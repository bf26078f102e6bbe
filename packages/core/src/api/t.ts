import { constructors, constant, shared } from './constructors.js';
import { elementwise } from './elementwise.js';
import { indexing } from './indexing.js';
import { linalg } from './linalg.js';
import { movement } from './movement.js';
import { nnet } from './nnet.js';
import { reductions } from './reduce.js';
import { random } from './random.js';

/**
 * Theano's `T`: variable constructors and every tensor function.
 *
 * @example
 * ```ts
 * import { T, shared, fn } from '@symgrad/core';
 * const x = T.matrix('x');
 * const y = T.ivector('y');
 * const h1 = T.relu(T.dot(x, w1));
 * ```
 */
export const T = {
  ...constructors,
  constant,
  shared,
  ...elementwise,
  ...reductions,
  ...linalg,
  ...movement,
  ...indexing,
  ...nnet,
  random,
};
