import '@symgrad/backend-cpu';
import { T } from '@symgrad/core';
import { describe, it } from 'vitest';
import { prng } from '../testing-fixtures/prng.js';
import { verifyGrad } from '../verify-grad.js';

const r = prng(99);

describe.each(['static', 'dynamic'] as const)('matmul gradients (%s shapes)', (shapes) => {
  it.each([
    [false, false, [3, 4], [4, 5]],
    [true, false, [4, 3], [4, 5]],
    [false, true, [3, 4], [5, 4]],
    [true, true, [4, 3], [5, 4]],
    [false, false, [1, 7], [7, 1]],
    [true, true, [2, 1], [3, 2]],
  ] as const)('transA %s transB %s: %j · %j', async (transA, transB, sa, sb) => {
    await verifyGrad((a, b) => T.matmul(a, b, { transA, transB }), [r.uniformArray(sa), r.uniformArray(sb)], { shapes });
  });

  it('batched matmul', async () => {
    await verifyGrad((a, b) => T.matmul(a, b), [r.uniformArray([2, 3, 4]), r.uniformArray([2, 4, 5])], { shapes });
  });

  it('batched matmul with broadcast batch axes and rank differences', async () => {
    await verifyGrad((a, b) => T.matmul(a, b), [r.uniformArray([2, 3, 4]), r.uniformArray([4, 5])], { shapes });
    await verifyGrad((a, b) => T.matmul(a, b), [r.uniformArray([3, 4]), r.uniformArray([3, 4, 2])], { shapes });
    await verifyGrad((a, b) => T.matmul(a, b, { transB: true }), [r.uniformArray([2, 1, 3, 4]), r.uniformArray([5, 2, 4])], { shapes });
    await verifyGrad((a, b) => T.matmul(a, b, { transA: true }), [r.uniformArray([1, 4, 3]), r.uniformArray([3, 4, 2])], { shapes });
  });

  it('dot of vectors and matrices', async () => {
    await verifyGrad(T.dot, [r.uniformArray([5]), r.uniformArray([5])], { shapes });
    await verifyGrad(T.dot, [r.uniformArray([3, 5]), r.uniformArray([5])], { shapes });
    await verifyGrad(T.dot, [r.uniformArray([5]), r.uniformArray([5, 2])], { shapes });
  });
});
