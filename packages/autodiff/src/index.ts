/**
 * @symgrad/autodiff — symbolic reverse-mode differentiation of symgrad graphs: `grad`,
 * `jacobian`, `hessianVectorProduct`, gradient rules for every core op (and
 * `registerGradient` for custom ops), and `verifyGrad`/`checkGrad` to test gradients
 * against finite differences.
 *
 * @example
 * ```ts
 * import { T, fn, shared } from '@symgrad/core';
 * import { grad } from '@symgrad/autodiff';
 * import '@symgrad/backend-cpu';
 * const x = T.vector('x');
 * const gx = grad(T.sum(T.square(x)), x);
 * await fn([x], gx)([1, 2, 3]); // [2, 4, 6]
 * ```
 */
export { grad, type GradOptions, type DisconnectedPolicy } from './grad.js';
export { jacobian, hessianVectorProduct, type JacobianOptions } from './jacobian.js';
export { checkGrad, verifyGrad, type VerifyGradOptions, type GradCheckReport, type GradCheckElement } from './verify-grad.js';
export { registerGradient, getGradientRule } from './rules/registry.js';
export { sumToShape, zerosLike } from './rules/helpers.js';
export {
  disconnected, notDifferentiable,
  type Disconnected, type NotDifferentiable, type InputGradient, type Pullback, type GradientRule, type GradientTable,
} from './rules/types.js';
export { elementwiseGradients } from './rules/elementwise.js';
export { reduceGradients } from './rules/reduce.js';
export { linalgGradients } from './rules/linalg.js';
export { movementGradients } from './rules/movement.js';
export { indexingGradients } from './rules/indexing.js';
export { nnetGradients } from './rules/nnet.js';
