import '@symgrad/backend-cpu';
import { apply1, fn, GraphError, NDArray, shared, T, tensor } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { grad } from './grad.js';
import { registerGradient } from './rules/registry.js';

const cpu = { backend: 'cpu' } as const;

describe('grad errors', () => {
  it('rejects a non-scalar cost, naming it, its type and its rank', () => {
    const x = T.matrix('x');
    const y = T.mul(x, 2);
    y.name = 'loss';
    expect(() => grad(y, x)).toThrow(GraphError);
    expect(() => grad(y, x)).toThrow(/grad: the cost must be a scalar \(0-d\), got 'loss' \(float32\[\?, \?\]\) with 2 dimensions; reduce it first \(e\.g\. T\.sum or T\.mean\)/);
  });

  it('rejects an int cost', () => {
    const x = T.ivector('x');
    expect(() => grad(T.sum(x), x)).toThrow(/grad: the cost must be a float scalar, got <sum output> \(int32\[\]\)/);
  });

  it('rejects wrt an int or bool variable, naming it, its dtype and shape', () => {
    const x = T.vector('x');
    const n = tensor('int32', [3], 'n');
    const b = T.bvector('mask');
    const cost = T.sum(T.add(T.mul(x, T.cast(n, 'float32')), T.cast(b, 'float32')));
    expect(() => grad(cost, n)).toThrow(/grad: cannot differentiate with respect to wrt 'n' \(int32\[3\]\): its dtype is int32, and gradients exist only for float variables/);
    expect(() => grad(cost, [x, b])).toThrow(/wrt\[1\] 'mask' \(bool\[\?\]\): its dtype is bool/);
  });

  it('raises for a wrt the cost does not depend on (Theano), naming it', () => {
    const x = T.vector('x');
    const w = T.matrix('w');
    expect(() => grad(T.sum(x), w)).toThrow(/grad: the cost <sum output> \(float32\[\]\) does not depend on wrt 'w' \(float32\[\?, \?\]\); pass \{ disconnected: 'zero' \}/);
    expect(() => grad(T.sum(x), [x, w])).toThrow(/does not depend on wrt\[1\] 'w'/);
  });

  it('treats a variable read only for its shape as disconnected', () => {
    const x = T.vector('x');
    const like = T.matrix('like');
    const cost = T.sum(T.broadcastLike(x, like));
    expect(() => grad(cost, like)).toThrow(/does not depend on wrt 'like'/);
    const p = { begin: [0], end: [2], step: [1] };
    const big = T.vector('big');
    expect(() => grad(T.sum(apply1('padSlice', p, [x, big])), big)).toThrow(/does not depend on wrt 'big'/);
  });

  it('rejects a rule that returns a wrongly shaped gradient', () => {
    const x = tensor('float32', [3], 'x');
    const restore = registerGradient('exp', (_node, [g]) => [T.broadcastTo(T.sum(g!), [4])]);
    try {
      expect(() => grad(T.sum(T.exp(x)), x)).toThrow(/the gradient rule of 'exp' returned <broadcastTo output> \(float32\[4\]\) for input 0 'x' \(float32\[3\]\)/);
    } finally {
      restore();
    }
  });

  it('rejects a rule returning the wrong number of entries', () => {
    const x = T.vector('x');
    const restore = registerGradient('exp', () => []);
    try {
      expect(() => grad(T.sum(T.exp(x)), x)).toThrow(/the gradient rule of 'exp' returned 0 entries for 1 inputs/);
    } finally {
      restore();
    }
  });

  it('rejects a rule that returns something other than a Variable or a marker, naming the op and input', () => {
    const x = tensor('float32', [3], 'x');
    const restore = registerGradient('exp', () => [null as never]);
    try {
      expect(() => grad(T.sum(T.exp(x)), x)).toThrow(
        "grad: the gradient rule of 'exp' returned null for input 0 'x' (float32[3]) (expected a Variable, disconnected or notDifferentiable)",
      );
      expect(() => grad(T.sum(T.exp(x)), x)).toThrow(/grad\.test\.ts/);
    } finally {
      restore();
    }
  });

  it('rejects a cost or wrt that is not a symbolic variable', () => {
    const x = T.vector('x');
    expect(() => grad(3 as never, x)).toThrow('grad: the cost must be a symbolic variable, got a number');
    expect(() => grad(null as never, x)).toThrow('grad: the cost must be a symbolic variable, got null');
    expect(() => grad(T.sum(x), [x, 'w' as never])).toThrow('grad: wrt[1] must be a symbolic variable, got a string');
    expect(() => grad(T.sum(x), undefined as never)).toThrow('grad: wrt must be a symbolic variable, got undefined');
  });

  it('rejects an unknown disconnected policy', () => {
    const x = T.vector('x');
    expect(() => grad(T.sum(x), x, { disconnected: 'warn' as never })).toThrow("grad: unknown disconnected policy 'warn' (use 'raise', 'zero' or 'ignore')");
  });
});

describe('grad', () => {
  it('mirrors the wrt form and keeps dtypes and static shapes', () => {
    const x = tensor('float64', [null, 3], 'x');
    const w = shared(NDArray.zeros([3, 2], 'float32'), 'w');
    const cost = T.sum(T.dot(x, T.cast(w, 'float64')));
    const gx = grad(cost, x);
    const [gx2, gw] = grad(cost, [x, w]);
    expect(gx.shape).toEqual([null, 3]);
    expect(gx.dtype).toBe('float64');
    expect(gx2!.shape).toEqual([null, 3]);
    expect(gw!.shape).toEqual([3, 2]);
    expect(gw!.dtype).toBe('float32');
    expect(grad(cost, [])).toEqual([]);
  });

  it('sums cotangents that meet at a variable', async () => {
    const x = T.dvector('x');
    const cost = T.sum(T.add(T.mul(x, x), T.mul(x, 3)));
    const out = await fn([x], grad(cost, x), cpu)([1, 2]);
    expect(out.toArray()).toEqual([5, 7]);
  });

  it('differentiates with respect to the cost itself and to intermediates', async () => {
    const x = T.dvector('x');
    const h = T.exp(x);
    const cost = T.sum(T.mul(h, 2));
    const [gc, gh, gx] = grad(cost, [cost, h, x]);
    const out = await fn([x], [gc!, gh!, gx!], cpu)([0, 1]);
    expect(out[0]!.toArray()).toBe(1);
    expect(out[1]!.toArray()).toEqual([2, 2]);
    expect(out[2]!.toArray()).toEqual([2, 2 * Math.E]);
  });

  it("returns zeros for disconnected: 'zero' and undefined for 'ignore'", async () => {
    const x = T.dvector('x');
    const w = tensor('float64', [2, 3], 'w');
    const v = T.dmatrix('v');
    const [gx, gw, gv] = grad(T.sum(x), [x, w, v], { disconnected: 'zero' });
    expect(gw!.shape).toEqual([2, 3]);
    const out = await fn([x, w, v], [gx!, gw!, gv!], cpu)([1, 2], [[1, 2, 3], [4, 5, 6]], [[1], [2]]);
    expect(out.map((o) => o.toArray())).toEqual([[1, 1], [[0, 0, 0], [0, 0, 0]], [[0], [0]]]);
    expect(grad(T.sum(x), [x, w], { disconnected: 'ignore' })[1]).toBeUndefined();
    expect(grad(T.sum(x), w, { disconnected: 'ignore' })).toBeUndefined();
  });

  it('gives zeros through integer paths and non-differentiable ops (piecewise constant)', async () => {
    const x = T.dvector('x');
    const viaInt = T.sum(T.cast(T.cast(x, 'int32'), 'float64'));
    const viaCmp = T.sum(T.cast(T.gt(x, 0), 'float64'));
    const viaArgmax = T.cast(T.argmax(x), 'float64');
    const gs = [viaInt, viaCmp, viaArgmax].map((c) => grad(c, x));
    const out = await fn([x], gs, cpu)([0.5, -1.5, 2.5]);
    for (const o of out) expect(o.toArray()).toEqual([0, 0, 0]);
  });

  it("where's condition gets no gradient; the branches do", async () => {
    const c = T.dvector('c');
    const a = T.dvector('a');
    const cost = T.sum(T.where(T.gt(c, 0), T.mul(a, c), T.neg(a)));
    const [gc, ga] = grad(cost, [c, a]);
    const out = await fn([c, a], [gc!, ga!], cpu)([1, -1, 2], [3, 4, 5]);
    expect(out[0]!.toArray()).toEqual([3, 0, 5]);
    expect(out[1]!.toArray()).toEqual([1, -1, 2]);
  });

  it('works with unknown dims: a small network on float32 with a null batch', async () => {
    const x = T.matrix('x');
    const y = T.ivector('y');
    const w = shared(NDArray.from([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], 'float32'), 'w');
    const loss = T.mean(T.categoricalCrossentropy(T.softmax(T.dot(x, w)), y));
    const gw = grad(loss, w);
    expect(gw.shape).toEqual([2, 3]);
    const step = fn([x, y], loss, { ...cpu, updates: [[w, T.sub(w, T.mul(gw, 0.5))]] });
    const X = [[1, 0], [0, 1], [1, 1], [0.5, -1]];
    const Y = [0, 1, 2, 1];
    const first = (await step(X, Y)).item();
    let last = first;
    for (let i = 0; i < 30; i++) last = (await step(X, Y)).item();
    expect(last).toBeLessThan(first * 0.8);
  });
});
