import { describe, expect, it } from 'vitest';
import { NDArray, T, lowerGraph, tensor } from '../index.js';
import { evaluateReference } from '../ir/evaluate.js';
import { TestRandom, relativeError } from '../testing/random.js';
import { takeFill, takeGeometry, takeIndex } from './indexing.js';

/** take and scatterAdd by plain loops over row-major arrays, in float64. */
function takeLoop(x: NDArray, idx: NDArray, axis: number): number[] {
  const g = takeGeometry(x.shape, axis, idx.size);
  const out: number[] = [];
  for (let o = 0; o < g.outer; o++) {
    for (let j = 0; j < g.n; j++) {
      let y = idx.data[j]!;
      if (y < 0) y += g.size;
      for (let i = 0; i < g.inner; i++) out.push(y >= 0 && y < g.size ? x.data[(o * g.size + y) * g.inner + i]! : NaN);
    }
  }
  return out;
}

function scatterAddLoop(x: NDArray, idx: NDArray, u: NDArray, axis: number): number[] {
  const g = takeGeometry(x.shape, axis, idx.size);
  const out = Array.from(x.data, Number);
  for (let o = 0; o < g.outer; o++) {
    for (let j = 0; j < g.n; j++) {
      let y = idx.data[j]!;
      if (y < 0) y += g.size;
      if (y < 0 || y >= g.size) continue;
      for (let i = 0; i < g.inner; i++) out[(o * g.size + y) * g.inner + i]! += u.data[(o * g.n + j) * g.inner + i]!;
    }
  }
  return out;
}

describe('take and scatterAdd', () => {
  it('give x with the axis replaced by the indices shape, and x\'s shape', () => {
    const x = T.tensor3('x', { shape: [4, null, 6] });
    const ids = T.imatrix('ids', { shape: [2, 3] });
    expect(T.take(x, ids).shape).toEqual([2, 3, null, 6]);
    expect(T.take(x, ids, 1).shape).toEqual([4, 2, 3, 6]);
    expect(T.take(x, ids, -1).shape).toEqual([4, null, 2, 3]);
    expect(T.take(x, T.iscalar('i')).shape).toEqual([null, 6]);
    expect(T.scatterAdd(x, ids, T.tensor('float32', [4, 2, 3, 6]), 1).shape).toEqual([4, null, 6]);
    expect(T.take(T.imatrix('m'), ids).dtype).toBe('int32');
  });

  it('match plain loops in float64 on random shapes, with repeated, negative and out-of-range indices', () => {
    const rng = new TestRandom(7);
    for (let trial = 0; trial < 12; trial++) {
      const shape = [rng.pick([1, 2, 3, 7]), rng.pick([1, 5, 13]), rng.pick([1, 4, 17])];
      const axis = rng.int(0, 2);
      const size = shape[axis]!;
      const idxShape = rng.pick([[1], [6], [2, 5]]);
      const xv = rng.array(shape, 'float64');
      const iv = rng.array(idxShape, 'int32', -size - 2, size + 1);
      const uShape = [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)];
      const uv = rng.array(uShape, 'float64');
      const x = tensor('float64', shape, 'x');
      const i = tensor('int32', idxShape, 'i');
      const u = tensor('float64', uShape, 'u');
      const [t, s] = evaluateReference([T.take(x, i, axis), T.scatterAdd(x, i, u, axis)], new Map([[x, xv], [i, iv], [u, uv]]));
      expect(t!.shape).toEqual(uShape);
      expect(relativeError(t!.data, takeLoop(xv, iv, axis))).toBe(0);
      expect(relativeError(s!.data, scatterAddLoop(xv, iv, uv, axis))).toBeLessThan(1e-15);
    }
  });

  it('fill out-of-range indices as JAX does and add repeated ones up', () => {
    const x = T.constant([[1, 2], [3, 4], [5, 6]]);
    const [t] = evaluateReference([T.take(x, T.constant([2, -1, 3, -4, 0], 'int32'))], new Map());
    expect(Array.from(t!.data)).toEqual([5, 6, 5, 6, NaN, NaN, NaN, NaN, 1, 2]);
    const [tz] = evaluateReference([T.take(x, T.constant([3, 1], 'int32'), 0, 0)], new Map());
    expect(Array.from(tz!.data)).toEqual([0, 0, 3, 4]);
    const [ti] = evaluateReference([T.take(T.constant([7, 8], 'int32'), T.constant([1, 2], 'int32'))], new Map());
    expect(Array.from(ti!.data)).toEqual([8, -(2 ** 31)]);
    const [s] = evaluateReference([T.scatterAdd(T.constant([0, 0, 0, 0, 0]), T.constant([1, 3, 1, 9, -1], 'int32'), T.constant([1, 1, 1, 1, 10]))], new Map());
    expect(Array.from(s!.data)).toEqual([0, 2, 0, 1, 10]);
    expect([takeIndex(-1, 5), takeIndex(4, 5), takeIndex(5, 5), takeIndex(-6, 5)]).toEqual([4, 4, undefined, undefined]);
    expect([takeFill('float32'), takeFill('float64'), takeFill('int32'), takeFill('bool')]).toEqual([NaN, NaN, -(2 ** 31), 1]);
  });

  it('lower to a take kernel, and to a copy then an in-place scatterAdd kernel', () => {
    const x = T.matrix('x', { shape: [5, 3] });
    const i = T.ivector('i', { shape: [4] });
    const u = T.matrix('u', { shape: [4, 3] });
    const kinds = (outs: ReturnType<typeof T.take>[]) => lowerGraph({ inputs: [x, i, u], inputShapes: [[5, 3], [4], [4, 3]], outputs: outs, updates: [] }).program.kernels.map((k) => k.kind);
    expect(kinds([T.take(x, i)])).toEqual(['take']);
    expect(kinds([T.scatterAdd(x, i, u)])).toEqual(['elementwise', 'scatterAdd']);
    const p = lowerGraph({ inputs: [x, i, u], inputShapes: [[5, 3], [4], [4, 3]], outputs: [T.take(x, i, 1)], updates: [] }).program;
    const k = p.kernels[0]!;
    expect(k.kind === 'take' && [k.input.shape, k.indices.shape, k.output.shape]).toEqual([[5, 3, 1], [4], [5, 4, 1]]);
  });

  it("name the op, the inputs and the problem on a user's mistake", () => {
    const x = T.matrix('x', { shape: [5, 3] });
    const i = T.ivector('i', { shape: [4] });
    expect(() => T.take(x, T.vector('f'))).toThrow(/^take: indices must be int32, got float32; inputs: 'x' \(float32\[5, 3\]\), 'f' \(float32\[\?\]\)/);
    expect(() => T.take(x, i, 2)).toThrow(/^take: axis 2 is out of range for 'x' \(float32\[5, 3\]\)/);
    expect(() => T.scatterAdd(x, i, T.matrix('u', { shape: [4, 2] }))).toThrow(
      /^scatterAdd: updates of shape \[4, 2\] do not match x \[5, 3\] with axis 0 replaced by the indices' shape \[4\]: expected \[4, 3\]/,
    );
    expect(() => T.scatterAdd(x, i, T.dmatrix('u'))).toThrow(/^scatterAdd: updates must have x's dtype float32, got float64/);
    expect(() => T.scatterAdd(T.bvector('b'), i, T.bvector('c'))).toThrow(/^scatterAdd: x is bool: scatterAdd adds, so it needs a numeric dtype/);
    expect(() => T.scatterAdd(x, T.vector('f'), x)).toThrow(/^scatterAdd: indices must be int32, got float32/);
    expect(() => T.take(T.imatrix('m'), i, 0, 2.5)).toThrow(/^take: fill 2\.5 does not fit 'm' \(int32\[\?, \?\]\): give an integer in the int32 range/);
    expect(() => T.take(T.bvector('b'), i, 0, 2)).toThrow(/^take: fill 2 does not fit 'b' \(bool\[\?\]\): give 0 or 1/);
    expect(() => T.take(x, i, 0, '0' as never)).toThrow(/^take: fill is a string, which does not fit 'x' \(float32\[5, 3\]\): give a number/);
    expect(() => T.scatterAdd(x, i, x, -3)).toThrow(/^scatterAdd: axis -3 is out of range for 'x' \(float32\[5, 3\]\)/);
  });
});
