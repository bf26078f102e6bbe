import { beforeAll, describe, expect, it } from 'vitest';
import { apply1, fn, optimizeGraph, registerBackend, T, topoSort, type Variable } from '../../index.js';
import type { NDArray } from '../../host/ndarray.js';
import { referenceBackendFactory } from '../../testing/reference-backend.js';
import { relativeError, TestRandom } from '../../testing/random.js';
import { rewriteGraph, type LocalRewrite } from '../rewrite-graph.js';

beforeAll(() => registerBackend('ref-concat-sums', referenceBackendFactory('ref-concat-sums'), -5));

const opsOf = (outputs: Variable[], exclude: 'concatSums'[] = []) => topoSort(optimizeGraph(outputs, { level: 'O1', exclude })).map((n) => n.op);
const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;

/** The outputs at O2 in float32 against O0 (no rewrite) in float64, by relative error. */
async function agreeWithFloat64(build: (dtype: 'float32' | 'float64') => { inputs: Variable[]; outputs: Variable[] }, values: NDArray[]): Promise<number> {
  const f32 = build('float32');
  const f64 = build('float64');
  const got = await fn(f32.inputs, f32.outputs, { backend: 'ref-concat-sums', optimizer: 'O2' })(...values);
  const want = await fn(f64.inputs, f64.outputs, { backend: 'ref-concat-sums', optimizer: 'O0' })(...values.map((v) => v.astype('float64')));
  return Math.max(...got.map((g, i) => relativeError(g.data, want[i]!.data)));
}

const sliceProps = (rank: number, axis: number, lo: number, hi: number) => ({
  begin: Array.from({ length: rank }, (_, i) => (i === axis ? lo : 0)),
  end: Array.from({ length: rank }, (_, i) => (i === axis ? hi : null)),
  step: Array(rank).fill(1),
});

describe('concatSums: padded slices', () => {
  it('disjoint padded slices of one axis become one concat, gaps filled with zeros (random shapes, ≤ 1e-6 of float64)', async () => {
    const rng = new TestRandom(20261127);
    for (let trial = 0; trial < 25; trial++) {
      const shape = [rng.pick([1, 2, 5, 7]), rng.pick([1, 3, 11, 13]), rng.pick([1, 4, 17])];
      const axis = rng.int(0, 2);
      // Cut the axis into ranges and keep some as pieces (at least two), the rest as gaps.
      const cuts = [...new Set([0, shape[axis]!, ...Array.from({ length: 3 }, () => rng.int(0, shape[axis]!))])].sort((a, b) => a - b);
      const ranges = cuts.slice(1).map((hi, i) => [cuts[i]!, hi] as const).filter(() => rng.bool(0.8));
      if (ranges.length < 2) continue;
      const extra = rng.bool();
      const build = (dtype: 'float32' | 'float64') => {
        const like = T.tensor(dtype, shape, 'like');
        const pieces = ranges.map(([lo, hi], i) => T.tensor(dtype, shape.map((d, a) => (a === axis ? hi - lo : d)), `piece${i}`));
        const padded = pieces.map((p, i) => apply1('padSlice', sliceProps(3, axis, ranges[i]![0], ranges[i]![1]), [p, like]));
        const sum = rng.bool() ? padded.reduce((a, b) => T.add(a, b)) : padded.reduceRight((a, b) => T.add(b, a));
        const inputs = [like, ...pieces];
        return { inputs, outputs: [extra ? T.add(sum, T.mul(like, 0.5)) : sum] };
      };
      const { inputs, outputs } = build('float32');
      const ops = opsOf(outputs);
      expect(count(ops, 'padSlice'), `trial ${trial}: ${ops.join(' ')}`).toBe(0);
      expect(count(ops, 'concat')).toBe(1);
      expect(count(opsOf(outputs, ['concatSums']), 'padSlice')).toBe(ranges.length);
      const values = inputs.map((v) => rng.array(v.shape as number[], 'float32'));
      expect(await agreeWithFloat64(build, values), `trial ${trial}`).toBeLessThanOrEqual(1e-6);
    }
  });
  it('overlapping slices stay padded, and their sum stays right', async () => {
    const build = (dtype: 'float32' | 'float64') => {
      const like = T.tensor(dtype, [3, 8], 'like');
      const a = T.tensor(dtype, [3, 5], 'a');
      const b = T.tensor(dtype, [3, 4], 'b');
      const sum = T.add(apply1('padSlice', sliceProps(2, 1, 0, 5), [a, like]), apply1('padSlice', sliceProps(2, 1, 4, 8), [b, like]));
      return { inputs: [like, a, b], outputs: [sum] };
    };
    expect(count(opsOf(build('float32').outputs), 'concat')).toBe(0);
    const rng = new TestRandom(5);
    expect(await agreeWithFloat64(build, [rng.array([3, 8]), rng.array([3, 5]), rng.array([3, 4])])).toBeLessThanOrEqual(1e-6);
  });
  it('works with unknown dimensions off the sliced axis', async () => {
    const build = (dtype: 'float32' | 'float64') => {
      const like = T.tensor(dtype, [null, 6], 'like');
      const a = T.tensor(dtype, [null, 2], 'a');
      const b = T.tensor(dtype, [null, 3], 'b');
      const sum = T.add(apply1('padSlice', sliceProps(2, 1, 0, 2), [a, like]), apply1('padSlice', sliceProps(2, 1, 3, 6), [b, like]));
      return { inputs: [like, a, b], outputs: [sum] };
    };
    expect(count(opsOf(build('float32').outputs), 'concat')).toBe(1);
    const rng = new TestRandom(6);
    expect(await agreeWithFloat64(build, [rng.array([7, 6]), rng.array([7, 2]), rng.array([7, 3])])).toBeLessThanOrEqual(1e-6);
  });
});

describe('concatSums: sums of products', () => {
  it('products with the same transposes become one product per transpose pair (random sizes, ≤ 1e-5 of float64)', async () => {
    const rng = new TestRandom(1127);
    for (let trial = 0; trial < 25; trial++) {
      const [m, n] = [rng.pick([1, 3, 8, 13]), rng.pick([1, 5, 16, 17])];
      const terms = Array.from({ length: rng.int(2, 6) }, () => ({ k: rng.pick([1, 2, 7, 19]), transA: rng.bool(), transB: rng.bool() }));
      const pairs = new Set(terms.map((t) => `${t.transA}|${t.transB}`));
      const build = (dtype: 'float32' | 'float64') => {
        const inputs: Variable[] = [];
        const products = terms.map((t, i) => {
          const a = T.tensor(dtype, t.transA ? [t.k, m] : [m, t.k], `a${i}`);
          const b = T.tensor(dtype, t.transB ? [n, t.k] : [t.k, n], `b${i}`);
          inputs.push(a, b);
          return T.matmul(a, b, { transA: t.transA, transB: t.transB });
        });
        return { inputs, outputs: [products.reduce((x, y) => T.add(x, y))] };
      };
      const { inputs, outputs } = build('float32');
      expect(count(opsOf(outputs), 'matmul'), `trial ${trial}`).toBe(pairs.size);
      const values = inputs.map((v) => rng.array(v.shape as number[], 'float32'));
      expect(await agreeWithFloat64(build, values), `trial ${trial}`).toBeLessThanOrEqual(1e-5);
    }
  });
  it('a product that something else reads is not combined, so none is computed twice', async () => {
    const build = (dtype: 'float32' | 'float64') => {
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((s) => T.tensor(dtype, [4, 4], s)) as [Variable, Variable, Variable, Variable];
      const ab = T.dot(a, b);
      return { inputs: [a, b, c, d], outputs: [ab, T.add(ab, T.dot(c, d))] };
    };
    expect(count(opsOf(build('float32').outputs), 'matmul')).toBe(2);
    const rng = new TestRandom(8);
    expect(await agreeWithFloat64(build, [0, 1, 2, 3].map(() => rng.array([4, 4])))).toBeLessThanOrEqual(1e-6);
  });
  it('a sum of products over a dynamic summed axis (a batch) is one product, and a sum with other terms keeps them', async () => {
    const build = (dtype: 'float32' | 'float64') => {
      const h = [0, 1, 2].map((i) => T.tensor(dtype, [null, 3], `h${i}`));
      const g = [0, 1, 2].map((i) => T.tensor(dtype, [null, 5], `g${i}`));
      const bias = T.tensor(dtype, [5], 'bias');
      const sum = h.map((x, i) => T.matmul(x, g[i]!, { transA: true })).reduce((x, y) => T.add(x, y));
      return { inputs: [...h, ...g, bias], outputs: [T.add(sum, bias)] };
    };
    const ops = opsOf(build('float32').outputs);
    expect(count(ops, 'matmul')).toBe(1);
    expect(count(ops, 'concat')).toBe(2);
    const rng = new TestRandom(9);
    const values = [...[0, 1, 2].map(() => rng.array([6, 3])), ...[0, 1, 2].map(() => rng.array([6, 5])), rng.array([5])];
    expect(await agreeWithFloat64(build, values)).toBeLessThanOrEqual(1e-6);
  });
  it('batched products are left alone', () => {
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((s) => T.tensor3(s));
    expect(count(opsOf([T.add(T.matmul(a!, b!), T.matmul(c!, d!))]), 'matmul')).toBe(2);
  });
});

describe('rewriteGraph tells a rewrite how many nodes read a variable', () => {
  it('counts readers and outputs; a variable a rewrite made and did not return counts as unknown', () => {
    const x = T.matrix('x');
    const e = T.exp(x);
    const y = T.add(T.mul(e, e), e);
    const seen = new Map<string, number>();
    const probe: LocalRewrite = (node, graph) => {
      seen.set(node.op, graph.uses(node.outputs[0]!));
      if (node.op === 'exp') seen.set('input', graph.uses(node.inputs[0]!));
      return undefined;
    };
    rewriteGraph([y, e], probe);
    expect(Object.fromEntries(seen)).toEqual({ input: 1, exp: 4, mul: 1, add: 1 });
    const made = T.neg(x);
    const ask: LocalRewrite = (_node, graph) => (seen.set('made', graph.uses(made)), undefined);
    rewriteGraph([y], ask);
    expect(seen.get('made')).toBe(Infinity);
  });
});
