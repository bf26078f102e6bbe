import { beforeAll, describe, expect, it } from 'vitest';
import { fn, programAliasingProblems, registerBackend, T, type Variable } from '../index.js';
import { referenceBackendFactory } from '../testing/reference-backend.js';
import { relativeError, TestRandom } from '../testing/random.js';
import type { NDArray } from '../host/ndarray.js';

beforeAll(() => registerBackend('ref-prop', referenceBackendFactory('ref-prop'), -5));

/** A random small graph of elementwise, reduce, matmul and view ops over [m, n] inputs. */
function randomGraph(rng: TestRandom): { inputs: Variable[]; values: NDArray[]; outputs: Variable[] } {
  const m = rng.int(1, 6);
  const n = rng.int(1, 6);
  const inputs = [0, 1, 2].map((i) => T.tensor('float32', [m, n], `in${i}`));
  const values = inputs.map(() => rng.array([m, n], 'float32', -1, 1));
  const pool: Variable[] = [...inputs];
  const same = (v: Variable) => v.shape[0] === m && v.shape[1] === n;
  const pick = (pred: (v: Variable) => boolean = same) => {
    const c = pool.filter(pred);
    return c[Math.floor(rng.next() * c.length)]!;
  };
  const steps = rng.int(3, 10);
  for (let s = 0; s < steps; s++) {
    const a = pick();
    const b = pick();
    const v = [
      () => T.tanh(a), () => T.sigmoid(a), () => T.square(a), () => T.relu(a), () => T.neg(T.neg(a)), () => T.abs(a),
      () => T.add(a, b), () => T.sub(a, T.mul(b, 0.5)), () => T.mul(a, b), () => T.maximum(a, b),
      () => T.where(T.gt(a, b), a, T.mul(b, 1)), () => T.exp(T.mul(a, 0.3)), () => T.add(T.mul(a, 1), 0),
      () => T.add(a, T.sum(b, 0, true)), () => T.sub(a, T.max(b, 1, true)), () => T.mul(a, T.mean(b, 1, true)),
      () => T.div(a, T.add(T.sum(T.square(b), 1, true), 1)),
      () => T.dot(T.dot(a, T.transpose(b)), b), () => T.transpose(T.dot(T.transpose(a), b).slice(null, [0, m])).T.slice([0, n]).T,
      () => T.softmax(a), () => T.logSoftmax(T.transpose(T.transpose(b))), () => T.log(T.softmax(a)),
      () => T.reshape(T.reshape(a, [-1]), [m, n]), () => T.concat([a.slice(null, [0, 1]), b.slice(null, [1, null])], 1),
    ][rng.int(0, 23)]!();
    if (v.shape.length === 2 && v.shape[0] === m && v.shape[1] === n) pool.push(v);
  }
  const last = pool.slice(-3);
  return { inputs, values, outputs: [...last, T.sum(last[last.length - 1]!)] };
}

describe('rewrites preserve results', () => {
  it('200 random graphs: O1 and O2 agree with O0 (relative error ≤ 1e-5)', async () => {
    const rng = new TestRandom(20261126);
    for (let g = 0; g < 200; g++) {
      const { inputs, values, outputs } = randomGraph(rng);
      const results: NDArray[][] = [];
      for (const level of ['O0', 'O1', 'O2'] as const) {
        const f = fn(inputs, outputs, { backend: 'ref-prop', optimizer: level });
        results.push(await f(...values));
        expect(programAliasingProblems(f.program!), `graph ${g} at ${level}`).toEqual([]);
      }
      for (const r of results.slice(1)) {
        r.forEach((out, i) => {
          const err = relativeError(out.data, results[0]![i]!.data);
          expect(err, `graph ${g} output ${i}`).toBeLessThanOrEqual(1e-5);
        });
      }
    }
  });
});
