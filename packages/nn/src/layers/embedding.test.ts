import '@symgrad/backend-cpu';
import { grad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { adam } from '../optimizers/adam.js';
import { Trainer } from '../train/trainer.js';
import { Dense, Flatten } from './dense.js';
import { Embedding } from './embedding.js';
import { GlobalAveragePooling1D } from './pooling.js';
import { Sequential } from './sequential.js';

describe('Embedding', () => {
  it("gives each id its table row, for ids of any per-example shape; out-of-range ids give NaN rows", async () => {
    const rng = new TestRandom(41);
    for (const [inputDim, outputDim, shape] of [[7, 3, [5]], [1, 1, [2, 3]], [13, 17, [4]]] as const) {
      const layer = new Embedding(inputDim, outputDim);
      const model = new Sequential([layer], { inputShape: [...shape], seed: 2 });
      expect(model.outputShape).toEqual([...shape, outputDim]);
      const ids = rng.array([3, ...shape], 'int32', 0, inputDim - 1);
      const x = T.tensor('int32', [null, ...shape], 'ids');
      const out = await fn([x], model.apply(x))(ids);
      const table = layer.embeddings.get();
      const want = Array.from(ids.data).flatMap((id) => Array.from(table.data.slice(id * outputDim, (id + 1) * outputDim)));
      expect(out.shape).toEqual([3, ...shape, outputDim]);
      expect(relativeError(out.data, want)).toBe(0);
      // Keras's 'uniform': every entry in [−0.05, 0.05).
      expect(Array.from(table.data).every((v) => v >= -0.05 && v <= 0.05)).toBe(true);
    }
    const layer = new Embedding(4, 2, { embeddingsInitializer: 'zeros' });
    const model = new Sequential([layer], { inputShape: [3] });
    const x = T.imatrix('ids');
    const out = await fn([x], model.apply(x))(NDArray.from([[0, 4, -1]], 'int32'));
    expect(Array.from(out.data)).toEqual([0, 0, NaN, NaN, 0, 0]);
  });

  it("sends each row's gradients back to its id, summing repeated ids, with no one-hot matrix", async () => {
    const layer = new Embedding(6, 2);
    new Sequential([layer], { inputShape: [4], seed: 5 });
    const ids = T.imatrix('ids');
    const c = T.tensor3('c');
    const g = grad(T.sum(T.mul(layer.call(ids), c)), layer.embeddings);
    const f = fn([ids, c], g);
    const idv = [[1, 3, 1, 5], [0, 1, 5, 5]];
    const cv = new TestRandom(3).array([2, 4, 2], 'float32');
    const got = await f(NDArray.from(idv, 'int32'), cv);
    const want = new Float64Array(12);
    idv.flat().forEach((id, p) => { want[id * 2] += cv.data[p * 2]!; want[id * 2 + 1] += cv.data[p * 2 + 1]!; });
    expect(relativeError(got.data, want)).toBeLessThan(1e-6); // float32 sums of up to three values
    expect(f.program!.kernels.map((k) => k.kind)).not.toContain('oneHot');
    expect(f.program!.kernels.map((k) => k.kind)).toContain('scatterAdd');
  });

  it('learns with the Trainer: whether a token occurs in a sequence', async () => {
    // Sequences of 6 ids in [0, 20): class 1 where id 7 occurs.
    const rng = new TestRandom(8);
    const make = (n: number) => {
      const x = rng.array([n, 6], 'int32', 0, 19);
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (i % 2 === 0) x.data[i * 6 + rng.int(0, 5)] = 7;
        y[i] = Array.from(x.data.slice(i * 6, i * 6 + 6)).includes(7) ? 1 : 0;
      }
      return { x, y: new NDArray('int32', [n], y) };
    };
    const train = make(512);
    const test = make(256);
    const model = new Sequential([new Embedding(20, 4), new Flatten(), new Dense(2)], { inputShape: [6], seed: 4 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.05 }), metrics: ['accuracy'] });
    await trainer.fit(train, { epochs: 15, batchSize: 32, seed: 1 });
    const { accuracy } = await trainer.evaluate(test);
    expect(accuracy).toBeGreaterThan(0.95);
    trainer.dispose();
  });

  it('learns a bag of words with GlobalAveragePooling1D: which of two word sets is more frequent', async () => {
    // Sequences of 15 ids in [0, 40): class 1 where ids below 20 outnumber the others.
    const rng = new TestRandom(9);
    const make = (n: number) => {
      const x = rng.array([n, 15], 'int32', 0, 39);
      const y = Int32Array.from({ length: n }, (_, i) => (Array.from(x.data.slice(i * 15, i * 15 + 15)).filter((id) => id < 20).length > 7 ? 1 : 0));
      return { x, y: new NDArray('int32', [n], y) };
    };
    const model = new Sequential([new Embedding(40, 8), new GlobalAveragePooling1D(), new Dense(2)], { inputShape: [15], seed: 6 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.05 }), metrics: ['accuracy'] });
    await trainer.fit(make(1024), { epochs: 20, batchSize: 64, seed: 2 });
    const { accuracy } = await trainer.evaluate(make(512));
    expect(accuracy).toBeGreaterThan(0.9);
    trainer.dispose();
  });

  it('rebuilds from its configuration, and its summary counts the table', () => {
    const model = new Sequential([new Embedding(50, 8, { seed: 3, embeddingsInitializer: 'glorotUniform' }), new Flatten()], { inputShape: [10] });
    const copy = Sequential.fromConfig(JSON.stringify(model.toConfig()));
    expect(copy.toConfig()).toEqual(model.toConfig());
    expect(model.toConfig().config.layers[0]).toEqual({ className: 'Embedding', config: { inputDim: 50, outputDim: 8, embeddingsInitializer: 'glorotUniform', seed: 3, name: 'embedding_0' } });
    expect(model.countParameters()).toBe(400);
    expect(model.layers[0]!.parameters().map((p) => p.name)).toEqual(['embedding_0/embeddings']);
  });

  it('names what is wrong', () => {
    expect(() => new Embedding(0, 3)).toThrow('Embedding: inputDim (the number of ids) must be a positive integer, got 0');
    expect(() => new Embedding(5, 2.5)).toThrow('Embedding: outputDim (the width of a row) must be a positive integer, got 2.5');
    expect(() => new Embedding(5, 2, { embeddingsInitializer: 'ones' as never })).toThrow('Embedding: unknown initializer "ones"');
    expect(() => new Embedding(5, 2).embeddings).toThrow('Embedding is not built yet, so it has no embeddings');
    const model = new Sequential([new Embedding(5, 2)], { inputShape: [3] });
    expect(() => model.apply(T.matrix('x'))).toThrow("Embedding 'embedding_0': expects int32 ids of per-example shape [3], got 'x' (float32[?, ?]): give the model int32 inputs (NDArray.from(ids, 'int32'))");
  });
});
