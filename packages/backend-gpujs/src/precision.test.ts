import { describe, expect, it } from 'vitest';
import { fn, NDArray, T, type Variable } from '@symgrad/core';
import { buildSeedStep, evaluateReference, relativeError, TestRandom } from '@symgrad/core/testing/reference';
import './index.js';

// Measures ‖gpujs − reference‖/‖reference‖ against core's float64 evaluator (the README
// quotes these numbers) and holds it to the design's 1e-4 bound for fp32.
describe('precision against the float64 reference', () => {
  it('matmul 96×80 · 80×72', async () => {
    const rng = new TestRandom(5);
    const a = T.matrix('a');
    const b = T.matrix('b');
    const A = rng.array([96, 80]);
    const B = rng.array([80, 72]);
    const f = fn([a, b], T.dot(a, b), { backend: 'gpujs' });
    const got = await f(A, B);
    const want = evaluateReference([T.dot(a, b)], new Map<Variable, NDArray>([[a, A], [b, B]]))[0]!;
    const err = relativeError(got.data, want.data);
    console.log(`gpujs matmul relative error: ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(1e-5);
    f.dispose();
  });

  it('seed step (loss and gradients), 64 → 48 → 32 → 10 on 37 rows', async () => {
    const rng = new TestRandom(11);
    const s = buildSeedStep(rng, [64, 48, 32, 10], 0.1);
    const X = rng.array([37, 64]);
    const Y = rng.array([37], 'int32', 0, 9);
    const before = s.weights.map((w) => w.get());
    const f = fn([s.x, s.y], [s.loss, ...s.grads], { backend: 'gpujs' });
    const got = await f(X, Y);
    const bind = new Map<Variable, NDArray>([[s.x, X], [s.y, Y]]);
    s.weights.forEach((w, i) => bind.set(w, before[i]!));
    const want = evaluateReference([s.loss, ...s.grads], bind);
    const errs = got.map((g, i) => relativeError(g.data, want[i]!.data));
    console.log(`gpujs seed step relative errors (loss, g1, g2, g3): ${errs.map((e) => e.toExponential(2)).join(', ')}`);
    for (const e of errs) expect(e).toBeLessThanOrEqual(1e-4);
    f.dispose();
    s.weights.forEach((w) => w.dispose());
  });
});
