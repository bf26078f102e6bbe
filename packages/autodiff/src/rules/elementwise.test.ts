import '@symgrad/backend-cpu';
import { fn, T, type Variable } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { grad } from '../grad.js';
import { prng } from '../testing-fixtures/prng.js';
import { verifyGrad } from '../verify-grad.js';

const r = prng(1234);

describe.each(['static', 'dynamic'] as const)('elementwise gradients (%s shapes)', (shapes) => {
  const unary: [string, (x: Variable) => Variable, number, number][] = [
    ['neg', T.neg, -2, 2], ['exp', T.exp, -2, 2], ['log', T.log, 0.3, 3], ['log1p', T.log1p, -0.6, 3],
    ['expm1', T.expm1, -2, 2], ['sqrt', T.sqrt, 0.3, 3], ['rsqrt', T.rsqrt, 0.3, 3], ['square', T.square, -2, 2],
    ['tanh', T.tanh, -2, 2], ['sigmoid', T.sigmoid, -3, 3],
  ];
  for (const [name, op, lo, hi] of unary) {
    it.each([[[7]], [[3, 5]], [[1]], [[2, 1, 3]], [[]]])(`${name} on shape %j`, async (shape) => {
      await verifyGrad(op, [r.uniformArray(shape, lo, hi)], { shapes });
    });
  }

  it.each([['abs', T.abs], ['relu', T.relu]] as const)('%s away from the kink', async (_name, op) => {
    await verifyGrad(op, [r.awayFromZero([4, 7])], { shapes });
  });

  it('sign has a zero gradient', async () => {
    await verifyGrad((x) => T.mul(T.sign(x), 3), [r.awayFromZero([5])], { shapes });
  });

  it.each([
    ['add', T.add], ['sub', T.sub], ['mul', T.mul], ['maximum', T.maximum], ['minimum', T.minimum],
  ] as const)('%s with broadcasting', async (_name, op) => {
    for (const [sa, sb] of [[[3, 5], [3, 5]], [[3, 1], [1, 4]], [[5], [2, 5]], [[], [3, 4]], [[2, 1, 3], [4, 1]], [[1], [7]]] as const) {
      await verifyGrad(op, [r.distinct(sa), r.distinct(sb)], { shapes });
    }
  });

  it('div with broadcasting, divisor away from 0', async () => {
    await verifyGrad(T.div, [r.uniformArray([3, 1]), r.awayFromZero([1, 4], 0.5, 2)], { shapes });
    await verifyGrad(T.div, [r.uniformArray([]), r.awayFromZero([2, 5], 0.5, 2)], { shapes });
    await verifyGrad(T.div, [r.uniformArray([5, 2]), r.awayFromZero([2], 0.5, 2)], { shapes });
  });

  it('pow with a positive base, w.r.t. both', async () => {
    await verifyGrad(T.pow, [r.uniformArray([3, 4], 0.5, 2), r.uniformArray([3, 4], -2, 3)], { shapes });
    await verifyGrad(T.pow, [r.uniformArray([3, 1], 0.5, 2), r.uniformArray([1, 5], -2, 3)], { shapes });
    await verifyGrad((a) => T.pow(a, 3), [r.uniformArray([6], -2, 2)], { shapes });
  });

  it('scalar times matrix', async () => {
    await verifyGrad((s, m) => T.mul(s, m), [r.uniformArray([]), r.uniformArray([4, 3])], { shapes });
  });

  it('where w.r.t. both branches (condition from an input gets none)', async () => {
    await verifyGrad((c, a, b) => T.where(T.gt(c, 0), a, b), [r.awayFromZero([3, 1]), r.uniformArray([1, 4]), r.uniformArray([])], { shapes });
    // The condition feeds two kernels: memory planning must not write a float over it.
    await verifyGrad((c, a, b) => T.where(T.le(c, a), T.mul(a, b), T.sub(a, b)), [r.distinct([2, 3]), r.distinct([2, 3]), r.uniformArray([3])], {
      shapes,
    });
  });

  it('comparisons contribute nothing', async () => {
    for (const op of [T.lt, T.le, T.gt, T.ge, T.eq, T.ne]) {
      await verifyGrad((a, b) => T.add(T.cast(op(a, b), 'float64'), T.mul(a, b)), [r.distinct([4]), r.distinct([4])], { shapes });
    }
  });

  it('cast float → float casts the gradient back', async () => {
    await verifyGrad((x) => T.mul(T.cast(T.exp(T.cast(x, 'float32')), 'float64'), x), [r.uniformArray([5], -1, 1)], { shapes, eps: 1e-2, rtol: 1e-3, atol: 1e-4 });
  });

  it('cast to int32 is not differentiable (zero gradient through it)', async () => {
    const x = r.uniformArray([6], 0.2, 0.8).data.map((v, i) => v + i - 3);
    await verifyGrad((v) => T.mul(v, T.cast(T.cast(v, 'int32'), 'float64')), [Array.from(x)], { shapes });
  });

  it('composites: softplus, clip, binaryCrossentropy', async () => {
    await verifyGrad(T.softplus, [r.awayFromZero([3, 4], 0.1, 3)], { shapes });
    await verifyGrad((x) => T.clip(x, -0.5, 0.5), [Array.from(r.awayFromZero([8], 0.6, 1).data, (v, i) => (i % 2 ? v * 0.4 : v))], { shapes });
    await verifyGrad((p, t) => T.binaryCrossentropy(p, t), [r.uniformArray([2, 3], 0.1, 0.9), r.uniformArray([2, 3], 0, 1)], { shapes });
  });
});

describe('elementwise subgradients', () => {
  const run = async (f: (x: Variable, y: Variable) => Variable, a: number[], b: number[]) => {
    const x = T.dvector('x');
    const y = T.dvector('y');
    const [gx, gy] = grad(T.sum(f(x, y)), [x, y]);
    const out = await fn([x, y], [gx!, gy!], { backend: 'cpu' })(a, b);
    return out.map((o) => o.toArray());
  };

  it('relu and abs have gradient 0 at 0', async () => {
    expect((await run((x, y) => T.add(T.relu(x), T.abs(y)), [-1, 0, 2], [-1, 0, 2]))).toEqual([[0, 0, 1], [-1, 0, 1]]);
  });

  it('maximum/minimum split ties half/half', async () => {
    expect(await run(T.maximum, [1, 2, 3], [3, 2, 1])).toEqual([[0, 0.5, 1], [1, 0.5, 0]]);
    expect(await run(T.minimum, [1, 2, 3], [3, 2, 1])).toEqual([[1, 0.5, 0], [0, 0.5, 1]]);
  });

  it('float32 gradients stay float32', () => {
    const x = T.vector('x');
    const g = grad(T.sum(T.mul(T.cast(x, 'float64'), 2)), x);
    expect(g.dtype).toBe('float32');
    expect(g.shape).toEqual([null]);
  });
});
