import '@symgrad/backend-cpu';
import { fn, T, tensor } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { grad } from '../grad.js';
import { prng } from '../testing-fixtures/prng.js';
import { verifyGrad } from '../verify-grad.js';

const r = prng(77);
const ids = (values: number[] | number[][]) => T.constant(values, 'int32');

describe.each(['static', 'dynamic'] as const)('indexing gradients (%s shapes)', (shapes) => {
  it('take along each axis, with repeated and negative indices: the gradient sums at each index', async () => {
    await verifyGrad((x) => T.take(x, ids([2, 0, 2, -1, 2])), [r.uniformArray([4, 3])], { shapes });
    await verifyGrad((x) => T.take(x, ids([[1, 1], [0, -2]]), 1), [r.uniformArray([2, 3, 5])], { shapes });
    await verifyGrad((x) => T.take(x, ids([4]), -1), [r.uniformArray([3, 5])], { shapes });
  });

  it('scatterAdd w.r.t. x and the updates; an update dropped out of range gets a zero gradient', async () => {
    await verifyGrad((x, u) => T.scatterAdd(x, ids([1, 7, 1, -2]), u), [r.uniformArray([4, 3]), r.uniformArray([4, 3])], { shapes });
    await verifyGrad((x, u) => T.scatterAdd(x, ids([[0, 2], [2, 2]]), u, 1), [r.uniformArray([2, 3]), r.uniformArray([2, 2, 2])], { shapes });
  });

  it('an embedding lookup inside a loss', async () => {
    await verifyGrad((w, c) => T.sum(T.mul(T.tanh(T.take(w, ids([[3, 0, 3], [1, 1, 4]]))), c)), [r.uniformArray([5, 2]), r.uniformArray([2, 3, 2])], { shapes });
  });
});

describe('take', () => {
  it("sends the output's gradient back to the rows it read, summing repeats, zero elsewhere", async () => {
    const w = tensor('float64', [4, 2], 'w');
    const g = grad(T.sum(T.take(w, ids([3, 1, 3, -1]))), w);
    const out = await fn([w], g, { backend: 'cpu' })([[1, 2], [3, 4], [5, 6], [7, 8]]);
    expect(Array.from(out.data)).toEqual([0, 0, 1, 1, 0, 0, 3, 3]);
  });

  it('has no gradient w.r.t. its int indices', () => {
    const w = tensor('float64', [4, 2], 'w');
    const i = T.ivector('i');
    expect(() => grad(T.sum(T.take(w, i)), i)).toThrow("grad: cannot differentiate with respect to wrt 'i' (int32[?]): its dtype is int32, and gradients exist only for float variables");
  });
});
