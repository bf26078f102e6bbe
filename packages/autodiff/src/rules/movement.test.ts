import '@symgrad/backend-cpu';
import { apply1, fn, T } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { grad } from '../grad.js';
import { prng } from '../testing-fixtures/prng.js';
import { verifyGrad } from '../verify-grad.js';

const r = prng(5);

describe.each(['static', 'dynamic'] as const)('movement gradients (%s shapes)', (shapes) => {
  it('transpose with a permutation and reversed', async () => {
    await verifyGrad((x) => T.transpose(x, [2, 0, 1]), [r.uniformArray([2, 3, 5])], { shapes });
    await verifyGrad((x) => T.transpose(x), [r.uniformArray([3, 1, 4])], { shapes });
  });

  it('reshape, flatten, expandDims', async () => {
    await verifyGrad((x) => T.reshape(x, [5, 6]), [r.uniformArray([2, 3, 5])], { shapes });
    await verifyGrad((x) => T.flatten(x), [r.uniformArray([3, 7])], { shapes });
    await verifyGrad((x) => T.expandDims(x, 1), [r.uniformArray([7])], { shapes });
  });

  it('reshapeLike (the like input is disconnected)', async () => {
    await verifyGrad((x, like) => T.mul(T.reshapeLike(x, like), like), [r.uniformArray([6]), r.uniformArray([2, 3])], { shapes });
  });

  it('broadcastTo and broadcastLike', async () => {
    await verifyGrad((x) => T.broadcastTo(x, [2, 3, 4]), [r.uniformArray([3, 1])], { shapes });
    await verifyGrad((x) => T.broadcastTo(x, [5, 3]), [r.uniformArray([])], { shapes });
    await verifyGrad((x, like) => T.mul(T.broadcastLike(x, like), like), [r.uniformArray([1, 4]), r.uniformArray([3, 4])], { shapes });
  });

  it('slice with steps and negative bounds', async () => {
    await verifyGrad((x) => T.slice(x, [1, null, 2], [-3, -1]), [r.uniformArray([7, 5])], { shapes });
    await verifyGrad((x) => T.slice(x, [null, null, 3], null, [-2, null]), [r.uniformArray([11, 2, 5])], { shapes });
    await verifyGrad((x) => T.slice(x, [-100, 100, 4]), [r.uniformArray([13])], { shapes });
  });

  it('slice with an index (the axis is dropped)', async () => {
    await verifyGrad((x) => T.slice(x, 2), [r.uniformArray([5, 3])], { shapes });
    await verifyGrad((x) => T.slice(x, null, -1), [r.uniformArray([5, 3])], { shapes });
  });

  it('padSlice', async () => {
    const p = { begin: [1, 0], end: [null, null], step: [2, 3] };
    await verifyGrad((x, like) => T.mul(apply1('padSlice', p, [x, like]), like), [r.uniformArray([3, 2]), r.uniformArray([7, 5])], { shapes });
  });

  it.each([0, 1, 2])('concat on axis %i', async (axis) => {
    const shape = (k: number) => [2, 3, 4].map((d, i) => (i === axis ? d + k : d));
    await verifyGrad((a, b, c) => T.concat([a, b, c], axis), [r.uniformArray(shape(0)), r.uniformArray(shape(1)), r.uniformArray(shape(-1))], { shapes });
  });

  it('splitLike with an unused piece', async () => {
    await verifyGrad((x, a, b, c) => {
      const [pa, , pc] = T.splitLike(x, [a, b, c], 1);
      return T.add(T.sum(T.mul(pa!, a)), T.sum(T.exp(pc!)));
    }, [r.uniformArray([3, 9]), r.uniformArray([3, 2]), r.uniformArray([3, 5]), r.uniformArray([3, 2])], { shapes });
  });

  it('splitLike into one piece', async () => {
    await verifyGrad((x, a) => T.splitLike(x, [a], 0)[0]!, [r.uniformArray([4]), r.uniformArray([4])], { shapes });
  });

  it('mean uses sizeOf, which is not differentiable but adds nothing', async () => {
    await verifyGrad((x) => T.mul(T.mean(x, [0, 2]), T.cast(apply1('sizeOf', { axes: [1], dtype: 'float64' }, [x]), 'float64')), [r.uniformArray([3, 5, 2])], { shapes });
  });
});

describe('movement gradients with unknown dims', () => {
  it('sum over an axis of a rank-3 tensor with several unknown dims', async () => {
    const x = T.dtensor3('x');
    const g = grad(T.sum(T.mul(T.sum(x, 2), T.sum(x, 2))), x);
    expect(g.shape).toEqual([null, null, null]);
    const out = await fn([x], g, { backend: 'cpu' })([[[1, 2], [3, 4]]]);
    expect(out.toArray()).toEqual([[[6, 6], [14, 14]]]);
  });

  it('a zero gradient of an unused splitLike piece with unknown dims', async () => {
    const x = T.dmatrix('x');
    const a = T.dmatrix('a');
    const b = T.dmatrix('b');
    const [pa] = T.splitLike(x, [a, b], 0);
    const g = grad(T.sum(pa!), x);
    const out = await fn([x, a, b], g, { backend: 'cpu' })([[1], [2], [3]], [[0]], [[0], [0]]);
    expect(out.toArray()).toEqual([[1], [0], [0]]);
  });
});
