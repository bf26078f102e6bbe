import { beforeAll, describe, expect, it } from 'vitest';
import { registerBackend, T, type Variable } from '../../index.js';
import { TestRandom } from '../../testing/random.js';
import { referenceBackendFactory } from '../../testing/reference-backend.js';
import { checkProgramPass, type BuildGraph as Build } from '../../testing-fixtures/program-pass-check.js';

beforeAll(() => registerBackend('ref-concat', referenceBackendFactory('ref-concat'), -5));

const check = (build: Build, values: Parameters<typeof checkProgramPass>[2], exclude: 'concatInPlace'[] = []) => checkProgramPass('ref-concat', build, values, exclude);

/** Copies into a concat still in the Program (sibling copies fused into one kernel count one each). */
const copies = (labels: string[]) => labels.flatMap((l) => l.split('|')).filter((part) => part === 'concat').length;

describe('concatInPlace', () => {
  it('a recurrence writes its states into their concat, which its next steps read (≤ 1e-5 of float64)', async () => {
    const rng = new TestRandom(11);
    for (const [batch, units, steps] of [[1, 1, 2], [3, 5, 4], [7, 13, 3]] as const) {
      const build: Build = (dtype) => {
        const w = T.tensor(dtype, [units, units], 'w');
        const xs = Array.from({ length: steps }, (_, t) => T.tensor(dtype, [batch, units], `x${t}`));
        const hs: Variable[] = [];
        let h: Variable | undefined;
        for (const x of xs) hs.push((h = T.tanh(h ? T.add(T.dot(h, w), x) : x)));
        return { inputs: [w, ...xs], outputs: [T.concat(hs, 0), T.concat(hs.map((s) => T.expandDims(s, 1)), 1)] };
      };
      const values = [rng.array([units, units]), ...Array.from({ length: steps }, () => rng.array([batch, units]))];
      const on = await check(build, values);
      const off = await check(build, values, ['concatInPlace']);
      expect(on.error, `${batch}×${units}×${steps}`).toBeLessThanOrEqual(1e-5);
      expect(off.error).toBeLessThanOrEqual(1e-5);
      // Each state (a tanh, then matmuls with a tanh epilogue) goes in place into one of the two concats; the other keeps its copies.
      expect(copies(off.labels) - copies(on.labels), `${batch}×${units}×${steps}: ${on.labels.join(' ')}`).toBe(steps);
    }
  });

  it('pieces read as transposed matmul operands and through row-crossing views, at random sizes', async () => {
    const rng = new TestRandom(1127);
    for (let trial = 0; trial < 20; trial++) {
      const [m, k] = [rng.pick([1, 2, 5, 7]), rng.pick([1, 3, 4, 11])];
      const pieces = rng.int(2, 4);
      const axis = rng.int(0, 1);
      const flat = rng.bool();
      const build: Build = (dtype) => {
        const a = Array.from({ length: pieces }, (_, i) => T.tensor(dtype, [m, k], `a${i}`));
        const b = T.tensor(dtype, [m, 3], 'b');
        const xs = a.map((v) => T.sigmoid(v));
        // Other readers: a product through the transpose, and (sometimes) a flat view that crosses rows of the concat.
        const reads = xs.map((x) => (flat ? T.sum(T.reshape(x, [-1])) : T.sum(T.dot(T.transpose(x), b))));
        return { inputs: [...a, b], outputs: [T.concat(xs, axis), ...reads] };
      };
      const values = [...Array.from({ length: pieces }, () => rng.array([m, k])), rng.array([m, 3])];
      const { error } = await check(build, values);
      expect(error, `trial ${trial}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('a product goes in place, unless another product reads it in its epilogue', async () => {
    const rng = new TestRandom(4);
    const values = [rng.array([4, 5]), rng.array([5, 3]), rng.array([4, 3])];
    for (const epilogue of [false, true]) {
      const build: Build = (dtype) => {
        const a = T.tensor(dtype, [4, 5], 'a');
        const b = T.tensor(dtype, [5, 3], 'b');
        const c = T.tensor(dtype, [4, 3], 'c');
        const p = T.dot(a, b);
        const other = epilogue ? T.relu(T.add(T.dot(c, T.transpose(T.transpose(T.dot(T.transpose(c), c)))), p)) : T.dot(T.transpose(p), c);
        return { inputs: [a, b, c], outputs: [T.concat([T.tanh(c), p], 1), T.sum(other)] };
      };
      const on = await check(build, values);
      const off = await check(build, values, ['concatInPlace']);
      expect(on.error).toBeLessThanOrEqual(1e-5);
      expect(copies(off.labels) - copies(on.labels), on.labels.join(' ')).toBe(epilogue ? 0 : 1);
    }
  });
});
