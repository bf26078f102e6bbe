import { T } from '../api/t.js';
import { shared } from '../api/constructors.js';
import type { DType } from '../ir/dtype.js';
import type { SharedVariable } from '../ir/shared.js';
import type { Variable } from '../ir/variable.js';
import { NDArray } from '../host/ndarray.js';
import type { TestRandom } from './random.js';

/** The seed step's MLP with its backward pass written out by hand (core cannot use autodiff). */
export interface SeedStep {
  readonly x: Variable;
  readonly y: Variable;
  readonly weights: readonly SharedVariable[];
  readonly loss: Variable;
  readonly grads: readonly Variable[];
  readonly probabilities: Variable;
  readonly updates: readonly (readonly [SharedVariable, Variable])[];
}

/**
 * He-normal weights from a seeded generator (normal, standard deviation √(2 / fan-in)).
 *
 * @example
 * ```ts
 * const w1 = shared(heNormalForTest(new TestRandom(1), [1000, 1000]), 'w1');
 * ```
 */
export function heNormalForTest(rng: TestRandom, shape: [number, number], dtype: DType = 'float32'): NDArray {
  const a = NDArray.zeros(shape, dtype);
  const std = Math.sqrt(2 / shape[0]);
  for (let i = 0; i < a.size; i++) a.data[i] = rng.normal() * std;
  return a;
}

/**
 * The reference workload (MLP sizes[0] → … → sizes[3], relu, softmax, mean categorical
 * cross-entropy against int labels, SGD) with gradients derived by hand:
 * dz3 = (softmax − onehot)/n, dW = hᵀ·dz, dh = dz·Wᵀ, relu' masked by the relu's output (h > 0).
 *
 * @example
 * ```ts
 * const rng = new TestRandom(42);
 * const s = buildSeedStep(rng, [300, 256, 200, 10], 0.1);
 * const train = fn([s.x, s.y], [s.loss, ...s.grads], { updates: s.updates, backend: 'cpu' });
 * const [loss] = await train(rng.array([120, 300]), rng.array([120], 'int32', 0, 9));
 * ```
 */
export function buildSeedStep(rng: TestRandom, sizes: readonly [number, number, number, number], lr: number, dtype: DType = 'float32'): SeedStep {
  const x = T.tensor(dtype, [null, sizes[0]], 'x');
  const y = T.ivector('y');
  const ws = [0, 1, 2].map((i) => shared(heNormalForTest(rng, [sizes[i]!, sizes[i + 1]!], dtype), `w${i + 1}`));
  const [w1, w2, w3] = ws as [SharedVariable, SharedVariable, SharedVariable];
  const z1 = T.dot(x, w1);
  const h1 = T.relu(z1);
  const z2 = T.dot(h1, w2);
  const h2 = T.relu(z2);
  const p = T.softmax(T.dot(h2, w3));
  const loss = T.mean(T.categoricalCrossentropy(p, y));
  const dz3 = T.div(T.sub(p, T.oneHot(y, sizes[3], dtype)), T.size(x, 0, dtype));
  const g3 = T.dot(T.transpose(h2), dz3);
  const dz2 = T.where(T.gt(h2, 0), T.dot(dz3, T.transpose(w3)), 0);
  const g2 = T.dot(T.transpose(h1), dz2);
  const dz1 = T.where(T.gt(h1, 0), T.dot(dz2, T.transpose(w2)), 0);
  const g1 = T.dot(T.transpose(x), dz1);
  const grads = [g1, g2, g3];
  return { x, y, weights: ws, loss, grads, probabilities: p, updates: ws.map((w, i) => [w, T.sub(w, T.mul(grads[i]!, lr))] as const) };
}
