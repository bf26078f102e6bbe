/**
 * Test-only: the precision measurements the README quotes, shared by the Node test
 * (precision.test.ts) and the browser bundle. Each is ‖got − want‖ / ‖want‖ against core's
 * float64 reference evaluator, on the matmul shapes that exercise the unrolled k loop's tail
 * (k not a multiple of 4), both transposes, alpha/beta with an epilogue, and a long k.
 */
import { fn, T, type NDArray, type Variable } from '@symgrad/core';
import { buildSeedStep, evaluateReference, relativeError, TestRandom } from '@symgrad/core/testing/reference';

export interface PrecisionResults {
  matmul: Record<string, number>;
  /** loss, g1, g2, g3 of the seed step 64 → 48 → 32 → 10 on 37 rows. */
  seedStep: number[];
}

async function measure(backend: string, inputs: [Variable, NDArray][], out: Variable): Promise<number> {
  const f = fn(inputs.map(([v]) => v), out, { backend });
  const got = await f(...inputs.map(([, a]) => a));
  f.dispose();
  const want = evaluateReference([out], new Map(inputs))[0]!;
  return relativeError(got.data, want.data);
}

export async function measurePrecision(backend: string): Promise<PrecisionResults> {
  const rng = new TestRandom(5);
  const a = T.matrix('a');
  const b = T.matrix('b');
  const c = T.matrix('c');
  const matmul: Record<string, number> = {};
  matmul['96×80 · 80×72'] = await measure(backend, [[a, rng.array([96, 80])], [b, rng.array([80, 72])]], T.dot(a, b));
  matmul['transA·transB, k = 131'] = await measure(backend, [[a, rng.array([131, 37])], [b, rng.array([61, 131])]], T.dot(a.T, b.T));
  matmul['tanh(0.5·A·B + C), k = 83'] = await measure(backend, [[a, rng.array([29, 83])], [b, rng.array([83, 45])], [c, rng.array([29, 45])]], T.tanh(T.dot(a, b).mul(0.5).add(c)));
  matmul['long k: 16×2053 · 2053×24'] = await measure(backend, [[a, rng.array([16, 2053])], [b, rng.array([2053, 24])]], T.dot(a, b));

  const srng = new TestRandom(11);
  const s = buildSeedStep(srng, [64, 48, 32, 10], 0.1);
  const X = srng.array([37, 64]);
  const Y = srng.array([37], 'int32', 0, 9);
  const bind = new Map<Variable, NDArray>([[s.x, X], [s.y, Y]]);
  s.weights.forEach((w) => bind.set(w, w.get()));
  const f = fn([s.x, s.y], [s.loss, ...s.grads], { backend });
  const got = await f(X, Y);
  f.dispose();
  const want = evaluateReference([s.loss, ...s.grads], bind);
  s.weights.forEach((w) => w.dispose());
  return { matmul, seedStep: got.map((g, i) => relativeError(g.data, want[i]!.data)) };
}
