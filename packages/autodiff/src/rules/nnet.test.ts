import '@symgrad/backend-cpu';
import { apply1, fn, GraphError, NDArray, T, tensor, topoSort } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { grad } from '../grad.js';
import { registerGradient } from './registry.js';
import { prng } from '../testing-fixtures/prng.js';
import { checkGrad, verifyGrad } from '../verify-grad.js';

const r = prng(2024);

describe.each(['static', 'dynamic'] as const)('nnet gradients (%s shapes)', (shapes) => {
  it.each([0, 1])('softmax along axis %i', async (axis) => {
    await verifyGrad((x) => T.softmax(x, axis), [r.uniformArray([3, 5], -2, 2)], { shapes });
  });

  it.each([0, 1])('logSoftmax along axis %i', async (axis) => {
    await verifyGrad((x) => T.logSoftmax(x, axis), [r.uniformArray([3, 5], -2, 2)], { shapes });
  });

  it('softmax and logSoftmax on rank 3 and a single class', async () => {
    await verifyGrad((x) => T.softmax(x, 1), [r.uniformArray([2, 3, 4], -2, 2)], { shapes });
    await verifyGrad((x) => T.logSoftmax(x, 2), [r.uniformArray([2, 3, 1], -2, 2)], { shapes });
  });

  it('categoricalCrossentropy w.r.t. probabilities and one-hot targets', async () => {
    const t = NDArray.from([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]], 'float64');
    await verifyGrad((p, tt) => T.categoricalCrossentropy(p, tt), [r.probabilities([3, 4]), t], { shapes });
  });

  it('categoricalCrossentropy with soft targets on rank 3', async () => {
    await verifyGrad((p, t) => T.categoricalCrossentropy(p, t), [r.probabilities([2, 3, 5]), r.probabilities([2, 3, 5])], { shapes });
  });

  it('softmax then mean categoricalCrossentropy with one-hot targets', async () => {
    await verifyGrad((x) => T.mean(T.categoricalCrossentropy(T.softmax(x), T.oneHot(T.constant([2, 0, 1], 'int32'), 3, 'float64'))), [r.uniformArray([3, 3])], { shapes });
  });
});

describe('categoricalCrossentropy with int labels', () => {
  const labels = T.constant(r.labels([6], 4));

  it('gradient w.r.t. probabilities', async () => {
    await verifyGrad((p) => T.categoricalCrossentropy(p, labels), [r.probabilities([6, 4])]);
  });

  it('with unknown rows and static classes', async () => {
    await verifyGrad((p) => T.categoricalCrossentropy(p, labels), [r.probabilities([6, 4])], { shapes: [[null, 4]] });
    await verifyGrad((x) => T.mean(T.categoricalCrossentropy(T.softmax(x), labels)), [r.uniformArray([6, 4])], { shapes: [[null, 4]] });
  });

  it('rank-3 probabilities with int labels', async () => {
    const l = T.constant(r.labels([2, 3], 5));
    await verifyGrad((p) => T.categoricalCrossentropy(p, l), [r.probabilities([2, 3, 5])]);
  });

  it('the labels get no gradient', async () => {
    const y = T.ivector('y');
    const p = tensor('float64', [3, 2], 'p');
    expect(() => grad(T.sum(T.categoricalCrossentropy(p, y)), y)).toThrow(/wrt 'y' \(int32\[\?\]\).*dtype is int32/);
    const g = grad(T.sum(T.categoricalCrossentropy(p, y)), p);
    const out = await fn([p, y], g, { backend: 'cpu' })([[0.5, 0.5], [0.25, 0.75], [0.1, 0.9]], [0, 1, 1]);
    expect(Array.from(out.data, (v) => v + 0)).toEqual([-2, 0, 0, -4 / 3, 0, -1 / 0.9]);
  });

  it('an unknown number of classes is a clear error', () => {
    const p = T.dmatrix('p');
    expect(() => grad(T.sum(T.categoricalCrossentropy(p, T.ivector('y'))), p)).toThrow(GraphError);
    expect(() => grad(T.sum(T.categoricalCrossentropy(p, T.ivector('y'))), p)).toThrow(
      /categoricalCrossentropy with int labels needs a static number of classes, but the probabilities 'p' \(float64\[\?, \?\]\) have an unknown last dimension/,
    );
  });
});

describe('oneHot', () => {
  it('is not differentiable: its int indices get nothing and the cost still differentiates', async () => {
    const report = await checkGrad((x) => T.sum(T.mul(x, T.oneHot(T.constant([1, 0], 'int32'), 3, 'float64'))), [r.uniformArray([2, 3])]);
    expect(report.ok).toBe(true);
  });
});

describe.each(['static', 'dynamic'] as const)('softmaxCrossEntropy (%s shapes)', (shapes) => {
  const labels = T.constant(r.labels([5], 4));

  it('w.r.t. the logits', async () => {
    await verifyGrad((z) => T.softmaxCrossEntropy(z, labels), [r.uniformArray([5, 4], -3, 3)], { shapes });
    await verifyGrad((z) => T.softmaxCrossEntropy(z, T.constant(r.labels([2, 3], 7))), [r.uniformArray([2, 3, 7], -3, 3)], { shapes });
  });

  it('softmaxCrossEntropyGrad w.r.t. the logits and the cotangent', async () => {
    await verifyGrad((z, g) => apply1('softmaxCrossEntropyGrad', {}, [z, labels, g]), [r.uniformArray([5, 4], -3, 3), r.uniformArray([5])], { shapes });
  });
});

describe('categoricalCrossentropy(softmax(z), int labels)', () => {
  const y = T.constant([2, 0], 'int32');

  it('sends the cotangent to the logits as softmaxCrossEntropyGrad: stable where p underflows', async () => {
    const z = tensor('float64', [2, 3], 'z');
    const gz = grad(T.mean(T.categoricalCrossentropy(T.softmax(z), y)), z);
    const ops = topoSort([gz]).map((n) => n.op);
    expect(ops).toContain('softmaxCrossEntropyGrad');
    expect(ops).not.toContain('oneHot');
    const out = await fn([z], gz, { backend: 'cpu' })([[1000, 0, -1000], [0, 0, 0]]);
    const third = 1 / 3;
    const expected = [0.5, 0, -0.5, (third - 1) / 2, third / 2, third / 2];
    out.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
  });

  it('still gives the softmax output its own gradient when it is a wrt or used elsewhere', async () => {
    const z = tensor('float64', [2, 3], 'z');
    const p = T.softmax(z);
    await verifyGrad((zz) => {
      const pp = T.softmax(zz);
      return T.add(T.sum(T.categoricalCrossentropy(pp, y)), T.sum(T.mul(pp, T.constant([[1, 2, 3], [4, 5, 6]], 'float64'))));
    }, [r.uniformArray([2, 3])]);
    const [gp, gz] = grad(T.sum(T.categoricalCrossentropy(p, y)), [p, z]);
    const out = await fn([z], [gp!, gz!], { backend: 'cpu' })([[0, 0, 0], [1, 2, 3]]);
    expect(out[0]!.data[2]).toBeCloseTo(-3, 12);
    expect(out[1]!.data[0]).toBeCloseTo(1 / 3, 12);
  });

  it('is skipped when a rule involved is overridden', () => {
    const z = tensor('float64', [2, 3], 'z');
    const restore = registerGradient('softmax', (_node, [g]) => [g!]);
    try {
      const gz = grad(T.sum(T.categoricalCrossentropy(T.softmax(z), y)), z);
      expect(topoSort([gz]).map((n) => n.op)).not.toContain('softmaxCrossEntropyGrad');
    } finally {
      restore();
    }
  });
});
