import { beforeAll, describe, expect, it } from 'vitest';
import { registerBackend, T } from '../../index.js';
import { TestRandom } from '../../testing/random.js';
import { referenceBackendFactory } from '../../testing/reference-backend.js';
import { checkProgramPass, type BuildGraph } from '../../testing-fixtures/program-pass-check.js';

beforeAll(() => registerBackend('ref-permute', referenceBackendFactory('ref-permute'), -5));

const check = (build: BuildGraph, values: Parameters<typeof checkProgramPass>[2], off = false) => checkProgramPass('ref-permute', build, values, off ? ['permuteInPlace'] : []);
/** Copies left in the Program. */
const copies = (labels: string[]) => labels.flatMap((l) => l.split('|')).filter((part) => part.endsWith('copy')).length;

describe('permuteInPlace', () => {
  it("attention's heads: the batched product writes [batch, steps, heads·dim] itself, at awkward sizes (≤ 1e-5 of float64)", async () => {
    const rng = new TestRandom(31);
    for (const [b, h, t, d, f] of [[1, 1, 1, 1, 1], [3, 2, 7, 3, 5], [2, 5, 4, 4, 3], [1, 3, 1, 2, 2]] as const) {
      const build: BuildGraph = (dtype) => {
        const weights = T.tensor(dtype, [b, h, t, t], 'weights');
        const values = T.tensor(dtype, [b, h, t, d], 'values');
        const w = T.tensor(dtype, [h * d, f], 'w');
        const heads = T.reshape(T.transpose(T.matmul(weights, values), [0, 2, 1, 3]), [-1, h * d]);
        return { inputs: [weights, values, w], outputs: [T.dot(heads, w)] };
      };
      const values = [rng.array([b, h, t, t]), rng.array([b, h, t, d]), rng.array([h * d, f])];
      const [on, off] = [await check(build, values), await check(build, values, true)];
      expect(on.error, `${[b, h, t, d]}`).toBeLessThanOrEqual(1e-5);
      expect(off.error).toBeLessThanOrEqual(1e-5);
      // A size-1 heads or steps axis makes the transpose a reshape already: no copy either way.
      const moved = h > 1 && t > 1 ? 1 : 0;
      expect(copies(off.labels) - copies(on.labels), `${[b, h, t, d]}: ${on.labels.join(' ')}`).toBe(moved);
    }
  });

  it('stays a copy where the product is read elsewhere too, or is the function output', async () => {
    const rng = new TestRandom(32);
    const values = [rng.array([2, 3, 4, 5]), rng.array([2, 3, 5, 6]), rng.array([18, 2])];
    for (const variant of ['alone', 'read twice', 'output'] as const) {
      const build: BuildGraph = (dtype) => {
        const a = T.tensor(dtype, [2, 3, 4, 5], 'a');
        const b = T.tensor(dtype, [2, 3, 5, 6], 'b');
        const w = T.tensor(dtype, [18, 2], 'w');
        const p = T.matmul(a, b);
        const out = T.dot(T.reshape(T.transpose(p, [0, 2, 1, 3]), [-1, 18]), w);
        return { inputs: [a, b, w], outputs: variant === 'alone' ? [out] : variant === 'output' ? [p, out] : [out, T.sum(p)] };
      };
      const [on, off] = [await check(build, values), await check(build, values, true)];
      expect(on.error).toBeLessThanOrEqual(1e-5);
      expect(copies(off.labels), `${variant}: ${off.labels.join(' ')}`).toBe(1);
      expect(copies(on.labels), `${variant}: ${on.labels.join(' ')}`).toBe(variant === 'alone' ? 0 : 1);
    }
  });
});
