import '@symgrad/backend-cpu';
import { NDArray } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import { GlobalAveragePooling1D } from '../layers/pooling.js';
import { PositionEmbedding } from '../layers/position-embedding.js';
import { Sequential } from '../layers/sequential.js';
import { TransformerEncoder } from '../layers/transformer.js';
import { adam } from '../optimizers/adam.js';
import { accuracy, accuracyIgnoring } from '../metrics.js';
import { softmaxCrossEntropy } from '../losses.js';
import { generate } from '../generate.js';
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

  it('generates: trained on next-token targets of texts that repeat every two tokens, it continues a prompt greedily, and samples reproducibly', async () => {
    const rng = new TestRandom(23);
    const [n, steps, vocab] = [256, 8, 7];
    const ids = new Int32Array(n * steps);
    const next = new Int32Array(n * steps);
    for (let r = 0; r < n; r++) {
      const [a, b] = [rng.int(1, vocab - 1), rng.int(1, vocab - 1)];
      for (let t = 0; t < steps; t++) ids[r * steps + t] = t % 2 === 0 ? a : b;
      // The next token is the one before the last (0, ignored, at the first step: it cannot be known).
      for (let t = 1; t < steps; t++) next[r * steps + t] = ids[r * steps + t - 1]!;
    }
    const model = new Sequential([
      new Embedding(vocab, 16), new PositionEmbedding(), new TransformerEncoder(2, 32, { causal: true }), new Dense(vocab),
    ], { inputShape: [steps], seed: 5 });
    const trainer = new Trainer(model, { loss: (out, y) => softmaxCrossEntropy(out, y, { ignoreIndex: 0 }), optimizer: adam({ learningRate: 0.01 }), metrics: [accuracyIgnoring(0)] });
    const history = await trainer.fit({ x: new NDArray('int32', [n, steps], ids), y: new NDArray('int32', [n, steps], next) }, { epochs: 15, batchSize: 32, seed: 1 });
    expect(history.epochs.at(-1)!.accuracy).toBeGreaterThan(0.98);
    // Greedy: 3, 5 → 3, 5, 3, 5, …; past the window of 8, the model reads the last 8 tokens.
    expect(Array.from(await generate(model, [3, 5], { steps: 10 }))).toEqual([3, 5, 3, 5, 3, 5, 3, 5, 3, 5, 3, 5]);
    expect(Array.from(await generate(model, [6, 2], { steps: 3, endId: 2 }))).toEqual([6, 2, 6, 2]);
    const sampled = await generate(model, [4, 1], { steps: 6, temperature: 1, topK: 3, seed: 7 });
    expect(Array.from(await generate(model, [4, 1], { steps: 6, temperature: 1, topK: 3, seed: 7 }))).toEqual(Array.from(sampled));
    expect(sampled).toHaveLength(8);
    // A shorter window than the model was built for (its PositionEmbedding's first rows); a longer one does not fit.
    expect(Array.from(await generate(model, [3, 5], { steps: 6, window: 4 }))).toEqual([3, 5, 3, 5, 3, 5, 3, 5]);
    await expect(generate(model, [3, 5], { steps: 1, window: 9 })).rejects.toThrow("Sequential 'sequential': cannot take 'ids' (int32[1, 9]) (built for [8]): PositionEmbedding 'position_embedding_0' has positions for 8 steps, not 9: build it for the longest sequences");
    trainer.dispose();
  });

  it('generate names what is wrong', async () => {
    const lm = new Sequential([new Embedding(5, 4), new Dense(5)], { inputShape: [6] });
    await expect(generate(lm, [1], { steps: -1 })).rejects.toThrow('generate: options.steps (how many tokens to add) must be a non-negative integer, got -1');
    await expect(generate(lm, [1], { steps: 2, temperature: -1 })).rejects.toThrow('generate: temperature must be a finite number ≥ 0, got -1');
    await expect(generate(lm, [1], { steps: 2, topK: 0 })).rejects.toThrow('generate: topK must be a positive integer, got 0');
    await expect(generate(lm, [], { steps: 2 })).rejects.toThrow('generate: the prompt must be one or more non-negative integer ids, got []');
    await expect(generate(lm, [1.5], { steps: 2 })).rejects.toThrow('generate: the prompt must be one or more non-negative integer ids, got [1.5]');
    await expect(generate({} as never, [1], { steps: 2 })).rejects.toThrow('generate: model must be a model (a Sequential or FunctionalModel)');
    await expect(generate(new Sequential([new Dense(3)], { inputShape: [4, 2] }), [1], { steps: 1 })).rejects.toThrow('generate: the model must take one input of per-example shape [steps] (ids), got [4, 2]');
    await expect(generate(new Sequential([new Dense(3)]), [1], { steps: 1 })).rejects.toThrow('generate: the model must take one input of per-example shape [steps] (ids), got a model of unknown input shape (give options.window, or build it with an inputShape)');
    await expect(generate(lm, [1], { steps: 1, window: 0 })).rejects.toThrow('generate: window must be a positive integer, got 0');
    // Open steps: the window builds the model.
    const open = new Sequential([new Embedding(5, 4), new Dense(5)], { inputShape: [null], seed: 2 });
    expect(await generate(open, [1, 2], { steps: 3, window: 3 })).toHaveLength(5);
    expect(open.inputShape).toEqual([3]);
    await expect(generate(new Sequential([new Embedding(5, 4), new GlobalAveragePooling1D(), new Dense(5)], { inputShape: [6] }), [1], { steps: 1 })).rejects.toThrow("generate: the model must give next-token scores [batch, 6, vocab] (one row per position), got");
  });
});
