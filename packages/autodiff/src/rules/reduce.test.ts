import '@symgrad/backend-cpu';
import { fn, T } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { grad } from '../grad.js';
import { prng } from '../testing-fixtures/prng.js';
import { verifyGrad } from '../verify-grad.js';

const r = prng(77);
const axesCases: [number[] | undefined, boolean][] = [
  [undefined, false], [[0], false], [[1], false], [[2], true], [[0, 2], false], [[0, 2], true], [[1, 2], false], [[], false],
];

describe.each(['static', 'dynamic'] as const)('reduction gradients (%s shapes)', (shapes) => {
  it.each(axesCases)('sum over %j keepdims %s', async (axes, keepdims) => {
    await verifyGrad((x) => T.sum(x, axes, keepdims), [r.uniformArray([3, 5, 2])], { shapes });
  });

  it.each(axesCases)('mean over %j keepdims %s', async (axes, keepdims) => {
    await verifyGrad((x) => T.mean(x, axes, keepdims), [r.uniformArray([3, 5, 2])], { shapes });
  });

  it.each(axesCases)('max over %j keepdims %s', async (axes, keepdims) => {
    await verifyGrad((x) => T.max(x, axes, keepdims), [r.distinct([3, 5, 2])], { shapes });
  });

  it.each(axesCases)('min over %j keepdims %s', async (axes, keepdims) => {
    await verifyGrad((x) => T.min(x, axes, keepdims), [r.distinct([3, 5, 2])], { shapes });
  });

  it('reductions of size-1 and prime axes', async () => {
    await verifyGrad((x) => T.sum(T.mul(T.max(x, 0), T.mean(x, 1, true))), [r.distinct([1, 7])], { shapes });
    await verifyGrad((x) => T.min(x, [0, 1]), [r.distinct([11, 1])], { shapes });
  });

  it('logSumExp (max plus a shifted sum)', async () => {
    await verifyGrad((x) => T.logSumExp(x, 1), [r.uniformArray([4, 6], -3, 3)], { shapes });
    await verifyGrad((x) => T.logSumExp(x), [r.uniformArray([3, 2], -3, 3)], { shapes });
  });

  it('argmax carries no gradient', async () => {
    await verifyGrad((x) => T.add(T.sum(x), T.sum(T.cast(T.argmax(x, 1), 'float64'))), [r.distinct([3, 4])], { shapes });
  });
});

describe('max/min ties', () => {
  it('split the cotangent evenly among tied extrema', async () => {
    const x = T.dmatrix('x');
    const gMax = grad(T.sum(T.mul(T.max(x, 1), T.constant([1, 10], 'float64'))), x);
    const gMin = grad(T.min(x), x);
    const [a, b] = await fn([x], [gMax, gMin], { backend: 'cpu' })([[3, 1, 3], [2, 2, 2]]);
    expect(a!.toArray()).toEqual([[0.5, 0, 0.5], [10 / 3, 10 / 3, 10 / 3]]);
    expect(b!.toArray()).toEqual([[0, 1, 0], [0, 0, 0]]);
  });
});
