/**
 * @symgrad/nn — building blocks for neural networks on symgrad. This release holds the
 * weight initializers and the seeded random numbers behind them; layers, losses, optimizers
 * and training loops follow.
 *
 * @example
 * ```ts
 * import { shared } from '@symgrad/core';
 * import { heNormal, zeros } from '@symgrad/nn';
 * const w1 = shared(heNormal([784, 256], { seed: 1 }), 'w1');
 * const b1 = shared(zeros([256]), 'b1');
 * ```
 */
export {
  zeros, constant, uniform, normal, glorotUniform, glorotNormal, heUniform, heNormal, fans,
  type SeedOptions, type UniformOptions, type NormalOptions,
} from './initializers.js';
export { philox4x32, seedToKey, fillUniform01, fillStandardNormal } from './philox.js';
