import '@symgrad/backend-cpu';
import { fn, NDArray, T } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { binaryCrossentropy, sigmoidCrossEntropy } from './losses.js';
import {
  accuracy, accuracyIgnoring, accuracyMetric, binaryAccuracy, binaryAccuracyMetric, confusionMatrix, correctCount, labelsOf, meanAbsoluteErrorMetric,
  meanSquaredErrorMetric, resolveMetric, symbolicAccuracy, topK, topKAccuracy,
} from './metrics.js';

const scores = NDArray.from([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.4, 0.4, 0.2]], 'float32');
const labels = NDArray.from([1, 1, 2, 1], 'int32');

describe('metrics', () => {
  it('accuracy against labels and one-hot rows', () => {
    // Predicted [1, 0, 2, 0] (ties pick the first) vs [1, 1, 2, 1].
    expect(accuracy(scores, labels)).toBe(0.5);
    const oneHot = NDArray.from([[0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]], 'float32');
    expect(accuracy(scores, oneHot)).toBe(0.5);
    expect(accuracy(NDArray.from([1, 0, 2, 0], 'int32'), labels)).toBe(0.5);
    expect([...labelsOf(scores)]).toEqual([1, 0, 2, 0]);
  });

  it('top-k accuracy', () => {
    expect(topKAccuracy(scores, labels, 1)).toBe(0.5);
    // Row 2: label 1 is second → counts at k = 2; row 4: label 1 ties with 0 and comes second.
    expect(topKAccuracy(scores, labels, 2)).toBe(1);
    expect(topKAccuracy(scores, labels, 3)).toBe(1);
    expect(topK(2).name).toBe('top2Accuracy');
  });

  it('confusion matrix: rows are true classes, columns predictions', () => {
    const m = confusionMatrix(scores, labels, 3);
    expect(m.dtype).toBe('int32');
    expect(m.toArray()).toEqual([[0, 0, 0], [2, 1, 0], [0, 0, 1]]);
    expect(confusionMatrix(NDArray.from([0, 1], 'int32'), NDArray.from([1, 1], 'int32')).toArray()).toEqual([[0, 0], [1, 1]]);
  });

  it('symbolic accuracy and correct count match the host metric', async () => {
    const s = T.matrix('s');
    const y = T.ivector('y');
    const [acc, count] = await fn([s, y], [symbolicAccuracy(s, y), correctCount(s, y)])(scores, labels);
    expect(acc!.item()).toBe(0.5);
    expect(count!.item()).toBe(2);
    const t = T.matrix('t');
    expect((await fn([s, t], correctCount(s, t))(scores, NDArray.from([[0, 1, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0]], 'float32'))).item()).toBe(3);
  });

  it('accuracy of sequences: every position of [n, steps, classes] scores against [n, steps] labels or one-hot targets, on the host and on the device', async () => {
    const rng = new TestRandom(3);
    const [n, steps, k] = [5, 7, 3];
    const seqScores = rng.array([n, steps, k], 'float32', -1, 1);
    const seqLabels = new NDArray('int32', [n, steps], Int32Array.from({ length: n * steps }, (_, i) => i % k));
    let hits = 0;
    for (let i = 0; i < n * steps; i++) {
      const row = Array.from(seqScores.data.subarray(i * k, (i + 1) * k));
      if (row.indexOf(Math.max(...row)) === seqLabels.data[i]) hits++;
    }
    expect(accuracy(seqScores, seqLabels)).toBeCloseTo(hits / (n * steps), 12);
    const oneHot = new NDArray('float32', [n, steps, k], Float32Array.from({ length: n * steps * k }, (_, i) => (i % k === seqLabels.data[Math.floor(i / k)] ? 1 : 0)));
    expect(accuracy(seqScores, oneHot)).toBeCloseTo(hits / (n * steps), 12);
    expect([...labelsOf(seqScores)]).toHaveLength(n * steps);
    // The Trainer's accumulators: the positions right and the positions.
    const s3 = T.tensor3('s');
    const y = T.imatrix('y');
    const m = resolveMetric('accuracy');
    const [sum, count] = await fn([s3, y], [m.symbolicSum!(s3, y), m.symbolicCount!(s3, y)!])(seqScores, seqLabels);
    expect([sum!.item(), count!.item()]).toEqual([hits, n * steps]);
    expect(m.symbolicCount!(T.matrix('rows'), T.ivector('labels'))).toBeUndefined();
  });

  it('accuracy ignoring a label: the positions whose target is padding do not count, on the host and on the device', async () => {
    const seqScores = NDArray.from([[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], [[0.3, 0.7], [0.9, 0.1], [0.1, 0.9]]], 'float32');
    // Targets 1 are real; 0 is padding (predicted right or wrong, it never counts).
    const seqLabels = NDArray.from([[1, 1, 0], [1, 0, 0]], 'int32');
    expect(accuracy(seqScores, seqLabels, { ignoreIndex: 0 })).toBe(2 / 3);
    expect(accuracy(seqScores, seqLabels)).toBe(4 / 6);
    const metric = accuracyIgnoring(0);
    expect(metric.name).toBe('accuracy');
    expect(metric.compute(seqScores, seqLabels)).toBe(2 / 3);
    const [s3, y] = [T.tensor3('s'), T.imatrix('y')];
    const [sum, count] = await fn([s3, y], [metric.symbolicSum!(s3, y), metric.symbolicCount!(s3, y)!])(seqScores, seqLabels);
    expect([sum!.item(), count!.item()]).toEqual([2, 3]);
    expect(() => accuracyIgnoring(0.5)).toThrow('accuracyIgnoring: ignoreIndex must be an integer label, got 0.5');
    expect(() => metric.symbolicCount!(s3, T.tensor3('t'))).toThrow("accuracyIgnoring: needs int32 labels, got targets 't' (float32[?, ?, ?])");
  });

  it('binary accuracy: each value on the right side of the threshold, on the host and on the device, [n, 1] outputs against [n] targets', async () => {
    const rng = new TestRandom(61);
    for (const shape of [[1, 1], [13, 1], [7, 5], [3, 4, 2]]) {
      const p = rng.array(shape, 'float32', -2, 2);
      const t = new NDArray('float32', shape, Float32Array.from({ length: p.size }, () => (rng.uniform(0, 1) < 0.5 ? 0 : 1)));
      for (const threshold of [0, 0.5]) {
        let hits = 0;
        for (let i = 0; i < p.size; i++) if ((p.data[i]! > threshold ? 1 : 0) === t.data[i]) hits++;
        expect(binaryAccuracy(p, t, { threshold })).toBe(hits / p.size);
        const m = binaryAccuracyMetric({ threshold });
        expect(m.compute(p, t)).toBe(hits / p.size);
        const [o, y] = [T.tensor('float32', shape.map(() => null), 'o'), T.tensor('float32', shape.map(() => null), 'y')];
        const [sum, count] = await fn([o, y], [m.symbolicSum!(o, y), m.symbolicCount!(o, y)!])(p, t);
        expect([sum!.item(), count!.item()]).toEqual([hits, p.size]);
      }
    }
    const column = NDArray.from([[0.9], [0.2], [0.7]], 'float32');
    const targets = NDArray.from([1, 1, 0], 'int32');
    expect(binaryAccuracy(column, targets)).toBe(1 / 3);
    const m = binaryAccuracyMetric();
    expect(m.name).toBe('binaryAccuracy');
    const [o, y] = [T.tensor('float32', [null, 1], 'o'), T.ivector('y')];
    expect((await fn([o, y], m.symbolicSum!(o, y))(column, targets)).item()).toBe(1);
    expect(() => binaryAccuracy(column, NDArray.from([1, 1], 'int32'))).toThrow('binaryAccuracy: predictions have 3 rows but targets have 2');
    expect(() => binaryAccuracy(NDArray.zeros([3, 2]), targets)).toThrow('binaryAccuracy: predictions [3, 2] and targets [3] must hold as many values');
    expect(() => binaryAccuracy(column, targets, { threshold: NaN })).toThrow('binaryAccuracy: threshold must be a finite number, got null');
    expect(() => binaryAccuracyMetric({ threshold: '0' as never })).toThrow('binaryAccuracyMetric: threshold must be a finite number, got "0"');
    expect(() => m.symbolicSum!(T.matrix('scores'), T.tensor3('t'))).toThrow("binaryAccuracy: output 'scores' (float32[?, ?]) and targets 't' (float32[?, ?, ?]) must have the same rank (or [n] targets for an [n, 1] output)");
  });

  it('mean absolute and squared error over every value, against float64 sums, on the host and on the device', async () => {
    const rng = new TestRandom(62);
    for (const shape of [[1, 1], [17, 3], [5, 1], [2, 3, 7]]) {
      const [p, t] = [rng.array(shape, 'float32', -3, 3), rng.array(shape, 'float32', -3, 3)];
      let [abs, sq] = [0, 0];
      for (let i = 0; i < p.size; i++) {
        const d = p.data[i]! - t.data[i]!;
        abs += Math.abs(d);
        sq += d * d;
      }
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      expect(rel(meanAbsoluteErrorMetric.compute(p, t), abs / p.size)).toBeLessThan(1e-12);
      expect(rel(meanSquaredErrorMetric.compute(p, t), sq / p.size)).toBeLessThan(1e-12);
      const [o, y] = [T.tensor('float32', shape.map(() => null), 'o'), T.tensor('float32', shape.map(() => null), 'y')];
      const [sa, ss, count] = await fn([o, y], [meanAbsoluteErrorMetric.symbolicSum!(o, y), meanSquaredErrorMetric.symbolicSum!(o, y), meanSquaredErrorMetric.symbolicCount!(o, y)!])(p, t);
      // float32 sums on the device.
      expect(rel(sa!.item(), abs)).toBeLessThan(1e-5);
      expect(rel(ss!.item(), sq)).toBeLessThan(1e-5);
      expect(count!.item()).toBe(p.size);
    }
    // An [n, 1] output against [n] targets (int32 ones too).
    const [o, y] = [T.tensor('float32', [null, 1], 'o'), T.ivector('y')];
    expect((await fn([o, y], meanAbsoluteErrorMetric.symbolicSum!(o, y))(NDArray.from([[0.5], [3]], 'float32'), NDArray.from([1, 1], 'int32'))).item()).toBe(2.5);
    expect(meanAbsoluteErrorMetric.compute(NDArray.from([[0.5], [3]], 'float32'), NDArray.from([1, 1], 'int32'))).toBe(1.25);
    expect(() => meanSquaredErrorMetric.compute(NDArray.zeros([2, 3]), NDArray.zeros([2, 2]))).toThrow('meanSquaredError: predictions [2, 3] and targets [2, 2] must hold as many values');
    expect(() => meanAbsoluteErrorMetric.symbolicSum!(T.matrix('scores'), T.ivector('labels'))).toThrow("meanAbsoluteError: output 'scores' (float32[?, ?]) and targets 'labels' (int32[?]) must have the same rank (or [n] targets for an [n, 1] output)");
  });

  it("'accuracy' follows the loss it scores, as Keras's does; 'mae' and 'mse' name the error metrics", () => {
    for (const loss of ['sigmoidCrossEntropy', sigmoidCrossEntropy] as const) {
      const m = resolveMetric('accuracy', loss);
      expect(m.name).toBe('accuracy');
      // Logits: threshold 0.
      expect(m.compute(NDArray.from([[0.1], [-0.1]]), NDArray.from([1, 0]))).toBe(1);
    }
    for (const loss of ['binaryCrossentropy', binaryCrossentropy] as const) {
      expect(resolveMetric('accuracy', loss).compute(NDArray.from([[0.4], [0.6]]), NDArray.from([0, 1]))).toBe(1);
    }
    expect(resolveMetric('accuracy', 'softmaxCrossEntropy')).toBe(accuracyMetric);
    expect(resolveMetric('accuracy')).toBe(accuracyMetric);
    expect(resolveMetric('mae')).toBe(meanAbsoluteErrorMetric);
    expect(resolveMetric('mse').name).toBe('mse');
  });

  it('errors', () => {
    expect(() => accuracy([1] as never, labels)).toThrow('accuracy: predictions must be an NDArray, got an array');
    expect(() => accuracy(scores, NDArray.from([1, 2], 'int32'))).toThrow('accuracy: predictions have 4 rows but targets have 2');
    expect(() => accuracy(scores, NDArray.from([0.5, 1, 1, 1]))).toThrow('accuracy: a 1-d array must hold integer labels, element 0 is 0.5');
    expect(() => topKAccuracy(scores, labels, 4)).toThrow('topKAccuracy: k must be an integer in [1, 3], got 4');
    expect(() => confusionMatrix(scores, NDArray.from([1, 1, 5, 1], 'int32'), 3)).toThrow('confusionMatrix: row 2 has class 5, outside [0, 3)');
    expect(() => labelsOf(NDArray.from(3))).toThrow('labelsOf: expected [n] labels or [n, …, classes] scores, got a scalar');
    expect(() => accuracy(NDArray.zeros([2, 3, 4]), NDArray.zeros([2, 2], 'int32'))).toThrow('accuracy: predictions [2, 3, 4] give 6 labels but targets [2, 2] 4');
    expect(() => resolveMetric('f1' as never)).toThrow("unknown metric \"f1\": use 'accuracy', 'mae', 'mse', topK(k), binaryAccuracyMetric(), or { name, compute(predictions, targets) }");
    expect(() => topK(0)).toThrow('topK: k must be a positive integer, got 0');
    expect(() => labelsOf(NDArray.zeros([2, 0]))).toThrow('labelsOf: scores have no classes (shape [2, 0])');
    expect(() => accuracy(NDArray.zeros([4, 0]), labels)).toThrow('accuracy: scores have no classes (shape [4, 0])');
    expect(() => topKAccuracy(NDArray.from([1, 0, 2, 0], 'int32'), labels, 1)).toThrow('topKAccuracy: predictions must be [n, classes] scores, got shape [4]');
    expect(() => confusionMatrix(scores, labels, 0)).toThrow('confusionMatrix: numClasses must be a positive integer, got 0');
    expect(() => confusionMatrix(scores, labels, 2.5)).toThrow('confusionMatrix: numClasses must be a positive integer, got 2.5');
    const none = NDArray.from([], 'int32');
    expect(() => confusionMatrix(none, none)).toThrow('confusionMatrix: cannot infer the number of classes from 0 rows of labels; pass numClasses');
  });
});
