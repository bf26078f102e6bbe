import '@symgrad/backend-cpu';
import { NDArray } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import { PositionEmbedding } from '../layers/position-embedding.js';
import { Sequential } from '../layers/sequential.js';
import { TransformerEncoder } from '../layers/transformer.js';
import { adam } from '../optimizers/adam.js';
import { accuracy, accuracyIgnoring } from '../metrics.js';
import { softmaxCrossEntropy } from '../losses.js';
import { Trainer } from './trainer.js';

describe('a language model', () => {
  it('a causal transformer trained on per-step targets learns to repeat the token two steps back, its accuracy counted over every position', async () => {
    // Random ids; the target at step t is the id at t − 2 (0 at the first two steps), which only
    // attention to earlier positions can give.
    const rng = new TestRandom(21);
    const [n, steps, vocab] = [384, 8, 6];
    const ids = Int32Array.from({ length: n * steps }, () => rng.int(1, vocab - 1));
    const next = Int32Array.from({ length: n * steps }, (_, i) => (i % steps >= 2 ? ids[i - 2]! : 0));
    const model = new Sequential([
      new Embedding(vocab, 16), new PositionEmbedding(), new TransformerEncoder(2, 32, { causal: true }), new Dense(vocab),
    ], { inputShape: [steps], seed: 4 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
    const data = { x: new NDArray('int32', [n, steps], ids), y: new NDArray('int32', [n, steps], next) };
    const history = await trainer.fit(data, { epochs: 30, batchSize: 32, seed: 1 });
    const last = history.epochs.at(-1)!;
    expect(last.accuracy).toBeGreaterThan(0.95);
    expect(last.accuracy).toBeLessThanOrEqual(1);
    // The host metric over the predictions agrees with the one accumulated on the device.
    const { accuracy } = await trainer.evaluate(data);
    expect(accuracy).toBeGreaterThan(0.95);
    const scores = await trainer.predict(data.x);
    expect(scores.shape).toEqual([n, steps, vocab]);
    trainer.dispose();
  });

  it('on padded sequences of several lengths, ignoreIndex leaves the padding out of the loss and the accuracy', async () => {
    // Sequences of 3 to 8 ids padded with 0 at the end; the target at t is the id at t − 2, and
    // 0 (ignored) at the first two steps and on padding.
    const rng = new TestRandom(22);
    const [n, steps, vocab] = [384, 8, 6];
    const ids = new Int32Array(n * steps);
    const next = new Int32Array(n * steps);
    for (let r = 0; r < n; r++) {
      const length = rng.int(3, steps);
      for (let t = 0; t < length; t++) ids[r * steps + t] = rng.int(1, vocab - 1);
      for (let t = 2; t < length; t++) next[r * steps + t] = ids[r * steps + t - 2]!;
    }
    const model = new Sequential([
      new Embedding(vocab, 16), new PositionEmbedding(), new TransformerEncoder(2, 32, { causal: true }), new Dense(vocab),
    ], { inputShape: [steps], seed: 4 });
    const trainer = new Trainer(model, {
      loss: (out, y) => softmaxCrossEntropy(out, y, { ignoreIndex: 0 }), optimizer: adam({ learningRate: 0.01 }), metrics: [accuracyIgnoring(0)],
    });
    const data = { x: new NDArray('int32', [n, steps], ids), y: new NDArray('int32', [n, steps], next) };
    const history = await trainer.fit(data, { epochs: 30, batchSize: 32, seed: 1 });
    expect(history.epochs.at(-1)!.accuracy).toBeGreaterThan(0.95);
    const logs = await trainer.evaluate(data, { batchSize: 100 });
    const scores = await trainer.predict(data.x);
    expect(logs['accuracy']).toBeCloseTo(accuracy(scores, data.y, { ignoreIndex: 0 }), 10);
    // Counting the padding would change it: the model is never asked to predict 0.
    expect(accuracy(scores, data.y)).toBeLessThan(logs['accuracy']! - 0.1);
    trainer.dispose();
  });
});
