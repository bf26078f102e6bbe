import '@symgrad/backend-cpu';
import { grad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { binaryCrossentropy, categoricalCrossentropy, meanSquaredError, resolveLoss, sigmoidCrossEntropy, softmaxCrossEntropy } from './losses.js';

const ln = Math.log;

describe('losses', () => {
  it('softmax cross-entropy against int labels is the fused stable kernel', async () => {
    const z = T.matrix('z');
    const y = T.ivector('y');
    const f = fn([z, y], softmaxCrossEntropy(z, y));
    // Row 1: logits [0, 0] → −log ½. Row 2: [1000, 0] with label 1 → 1000 (a naive softmax would give log 0).
    const loss = await f([[0, 0], [1000, 0]], [0, 1]);
    expect(loss.item()).toBeCloseTo((ln(2) + 1000) / 2, 3);
    expect(f.program!.kernels.some((k) => k.kind === 'softmaxCrossEntropy')).toBe(true);
  });

  it('softmax cross-entropy against one-hot rows uses logSoftmax (stable)', async () => {
    const z = T.matrix('z');
    const t = T.matrix('t');
    const loss = await fn([z, t], softmaxCrossEntropy(z, t))([[0, 0], [1000, 0]], [[1, 0], [0, 1]]);
    expect(loss.item()).toBeCloseTo((ln(2) + 1000) / 2, 3);
  });

  it('categorical cross-entropy of a softmax is rewritten to the stable form (labels and one-hot)', async () => {
    const z = T.matrix('z');
    const y = T.ivector('y');
    const t = T.matrix('t');
    const a = await fn([z, y], categoricalCrossentropy(T.softmax(z), y))([[1000, 0]], [1]);
    const b = await fn([z, t], categoricalCrossentropy(T.softmax(z), t))([[1000, 0]], [[0, 1]]);
    expect(a.item()).toBeCloseTo(1000, 3);
    expect(b.item()).toBeCloseTo(1000, 3);
    const p = T.matrix('p');
    expect((await fn([p, y], categoricalCrossentropy(p, y))([[0.25, 0.75]], [1])).item()).toBeCloseTo(-ln(0.75), 6);
  });

  it('binary cross-entropy: of a sigmoid it is computed from the logits', async () => {
    const z = T.matrix('z');
    const t = T.matrix('t');
    const f = fn([z, t], binaryCrossentropy(T.sigmoid(z), t));
    // z = 100, t = 0 → −log(1 − σ(100)) = 100 (a naive form gives log 0 = −∞).
    expect((await f([[100, 0]], [[0, 1]])).item()).toBeCloseTo((100 + ln(2)) / 2, 3);
    expect((await fn([z, t], sigmoidCrossEntropy(z, t))([[-100]], [[1]])).item()).toBeCloseTo(100, 3);
    const p = T.matrix('p');
    expect((await fn([p, t], binaryCrossentropy(p, t))([[0.8, 0.4]], [[1, 0]])).item()).toBeCloseTo(-(ln(0.8) + ln(0.6)) / 2, 6);
  });

  it('mean squared error', async () => {
    const a = T.matrix('a');
    const b = T.matrix('b');
    expect((await fn([a, b], meanSquaredError(a, b))([[1, 2], [3, 4]], [[1, 0], [0, 4]])).item()).toBeCloseTo((0 + 4 + 9 + 0) / 4, 6);
  });

  it('cross-entropy of sequences with ignoreIndex: the mean over the other positions, which alone get gradients (float64 reference)', async () => {
    const rng = new TestRandom(5);
    const [n, steps, k] = [3, 7, 5];
    const logits = rng.array([n, steps, k], 'float64', -3, 3);
    // Label 0 marks padding: the last steps of each sequence, one whole sequence in the middle.
    const labels = new NDArray('int32', [n, steps], Int32Array.from({ length: n * steps }, (_, i) => (Math.floor(i / steps) === 1 || i % steps >= 5 ? 0 : 1 + (i % (k - 1)))));
    let sum = 0;
    let kept = 0;
    for (let i = 0; i < n * steps; i++) {
      if (labels.data[i] === 0) continue;
      const row = Array.from(logits.data.subarray(i * k, (i + 1) * k));
      const top = Math.max(...row);
      sum += top + Math.log(row.reduce((a, v) => a + Math.exp(v - top), 0)) - row[labels.data[i]!]!;
      kept++;
    }
    const z = T.dtensor3('z');
    const y = T.imatrix('y');
    const loss = softmaxCrossEntropy(z, y, { ignoreIndex: 0 });
    const [value, g] = await fn([z, y], [loss, grad(loss, z)])(logits, labels);
    expect(relativeError([value!.item()], [sum / kept])).toBeLessThan(1e-12);
    for (let i = 0; i < n * steps; i++) {
      const row = Array.from(g!.data.subarray(i * k, (i + 1) * k));
      if (labels.data[i] === 0) expect(row.every((v) => v === 0)).toBe(true);
      else expect(Math.abs(row.reduce((a, v) => a + v, 0))).toBeLessThan(1e-12);
    }
    // Through probabilities, the same; every position ignored gives 0.
    const viaProbs = await fn([z, y], categoricalCrossentropy(T.softmax(z), y, { ignoreIndex: 0 }))(logits, labels);
    expect(relativeError([viaProbs.item()], [sum / kept])).toBeLessThan(1e-12);
    expect((await fn([z, y], loss)(logits, new NDArray('int32', [n, steps]))).item()).toBe(0);
  });

  it('errors name the problem', () => {
    expect(() => softmaxCrossEntropy(T.matrix('z'), T.ivector('y'), { ignoreIndex: 0.5 })).toThrow('softmaxCrossEntropy: ignoreIndex must be an integer label, got 0.5');
    expect(() => categoricalCrossentropy(T.matrix('p'), T.matrix('t'), { ignoreIndex: 0 })).toThrow("categoricalCrossentropy: ignoreIndex needs int32 labels, got targets 't' (float32[?, ?])");
    const z = T.matrix('z');
    expect(() => softmaxCrossEntropy(z, T.imatrix('y'))).toThrow("softmaxCrossEntropy: int32 labels must have shape [?] (one label per row of logits [?, ?]), got 'y' (int32[?, ?])");
    expect(() => softmaxCrossEntropy(z, T.vector('t'))).toThrow("softmaxCrossEntropy: one-hot targets 't' (float32[?]) must have the shape of logits 'z' (float32[?, ?])");
    expect(() => softmaxCrossEntropy(z, T.bvector('t'))).toThrow("softmaxCrossEntropy: targets must be int32 labels or float one-hot rows, got 't' (bool[?])");
    expect(() => softmaxCrossEntropy(T.imatrix('z'), T.ivector('y'))).toThrow("softmaxCrossEntropy: logits must be float, got 'z' (int32[?, ?])");
    expect(() => softmaxCrossEntropy(z, 3 as never)).toThrow('softmaxCrossEntropy: targets must be a symbolic variable, got a number');
    expect(() => meanSquaredError(z, T.vector('t'))).toThrow("meanSquaredError: targets 't' (float32[?]) must have the shape of predictions 'z' (float32[?, ?])");
    expect(() => resolveLoss('hinge' as never)).toThrow('unknown loss "hinge": use one of softmaxCrossEntropy, categoricalCrossentropy, sigmoidCrossEntropy, binaryCrossentropy, meanSquaredError, or a function (output, targets) => scalar Variable');
    expect(() => sigmoidCrossEntropy(T.imatrix('z'), z)).toThrow("sigmoidCrossEntropy: logits must be float, got 'z' (int32[?, ?])");
    expect(() => binaryCrossentropy(T.imatrix('p'), z)).toThrow("binaryCrossentropy: probabilities must be float, got 'p' (int32[?, ?])");
    expect(() => categoricalCrossentropy(T.scalar('p'), T.ivector('y'))).toThrow("categoricalCrossentropy: probabilities must have a class axis, got 'p' (float32[])");
    expect(() => meanSquaredError(T.imatrix('p'), z)).toThrow("meanSquaredError: predictions must be float, got 'p' (int32[?, ?])");
  });
});
