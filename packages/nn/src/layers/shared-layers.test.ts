import '@symgrad/backend-cpu';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { ReLU } from './activation.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { FunctionalModel } from './functional.js';
import { Concatenate } from './merge.js';
import { LayerNormalization } from './normalization.js';
import { PositionEmbedding } from './position-embedding.js';
import { Sequential } from './sequential.js';
import { Input } from './symbolic-tensor.js';
import { TransformerDecoder } from './transformer-decoder.js';

describe('a layer shared between inputs of different shapes', () => {
  it('one Embedding for a source and a target of other lengths (tied embeddings), and one Dense, LayerNormalization and ReLU over both', async () => {
    const rng = new TestRandom(1);
    const [source, target] = [new Input([7], { dtype: 'int32', name: 'source' }), new Input([3], { dtype: 'int32', name: 'target' })];
    const embed = new Embedding(11, 4);
    const project = new Dense(5, { name: 'project' });
    const norm = new LayerNormalization({ name: 'norm' });
    const relu = new ReLU({ name: 'relu' });
    const branch = (t: Input) => relu.apply(norm.apply(project.apply(embed.apply(t))));
    const model = new FunctionalModel({ inputs: [source, target], outputs: new Concatenate({ axis: 1 }).apply([branch(source), branch(target)]) }, { seed: 2 });
    expect(model.parameters().map((p) => p.name)).toEqual(['embedding_0/embeddings', 'project/kernel', 'project/bias', 'norm/gamma', 'norm/beta']);
    expect(model.outputShape).toEqual([10, 5]);
    project.parameters()[1]!.set(rng.array([5], 'float32', -0.5, 0.5));
    const ids = (n: number, steps: number) => new NDArray('int32', [n, steps], Int32Array.from({ length: n * steps }, () => rng.int(0, 10)));
    const [s, t] = [ids(2, 7), ids(2, 3)];
    // Dynamic axes in the batches: the model gives them its Inputs' static shapes.
    const [vs, vt] = [T.imatrix('s'), T.imatrix('t')];
    const got = await fn([vs, vt], model.apply([vs, vt]))(s, t);
    const [table, W, b] = [embed, project].flatMap((l) => l.parameters()).map((p) => p.get().data);
    const row = (id: number) => Array.from({ length: 5 }, (_, j) => {
      let acc = b![j]!;
      for (let f = 0; f < 4; f++) acc += table![id * 4 + f]! * W![f * 5 + j]!;
      return acc;
    });
    const normed = (v: number[]) => {
      const mean = v.reduce((p, q) => p + q, 0) / 5;
      const variance = v.reduce((p, q) => p + (q - mean) ** 2, 0) / 5;
      return v.map((q) => Math.max((q - mean) / Math.sqrt(variance + 1e-3), 0));
    };
    const want: number[] = [];
    for (let n = 0; n < 2; n++) {
      for (let i = 0; i < 7; i++) want.push(...normed(row(s.data[n * 7 + i]!)));
      for (let i = 0; i < 3; i++) want.push(...normed(row(t.data[n * 3 + i]!)));
    }
    expect(relativeError(got.data, want)).toBeLessThan(1e-5);
  });

  it('a seq2seq model shares one Embedding between source and target, its decoder reading the source\'s embedding as the memory', async () => {
    const [source, target] = [new Input([6], { dtype: 'int32' }), new Input([4], { dtype: 'int32' })];
    const embed = new Embedding(8, 8);
    const memory = embed.apply(source);
    const decoded = new TransformerDecoder(2, 16).apply([new PositionEmbedding().apply(embed.apply(target)), memory]);
    const drop = new Dropout(0.1);
    const model = new FunctionalModel({ inputs: [source, target], outputs: new Dense(8).apply(drop.apply(decoded)) }, { seed: 3 });
    expect(model.summary()).toContain('embedding_0[1] (Embedding)');
    const [vs, vt] = [T.imatrix('s'), T.imatrix('t')];
    const out = await fn([vs, vt], model.apply([vs, vt], { training: true }))(new NDArray('int32', [2, 6], Int32Array.from({ length: 12 }, (_, i) => i % 8)), new NDArray('int32', [2, 4], Int32Array.from({ length: 8 }, (_, i) => (i * 3) % 8)));
    expect(out.shape).toEqual([2, 4, 8]);
  });

  it('refuses shapes its weights do not fit, and batches of unknown axes it cannot place', () => {
    const x = new Input([6, 4], { name: 'x' });
    const y = new Input([6, 3], { name: 'y' });
    const dense = new Dense(2);
    expect(() => new FunctionalModel({ inputs: [x, y], outputs: new Concatenate().apply([dense.apply(x), dense.apply(y)]) })).toThrow(/^FunctionalModel 'model': Dense 'dense_0' was built for inputs of per-example shape \[6, 4\], not \[6, 3\]; its weights do not fit inputs of that shape \(built at /);
    const positions = new PositionEmbedding();
    const z = new Input([5, 4], { name: 'z' });
    const longer = new Input([7, 4], { name: 'longer' });
    expect(() => new FunctionalModel({ inputs: [x, longer], outputs: new Concatenate({ axis: 1 }).apply([positions.apply(x), positions.apply(longer)]) })).toThrow(/^FunctionalModel 'model': PositionEmbedding 'position_embedding_0' has positions for 6 steps, not 7: build it for the longest sequences \(built at /);
    const shared = new Dense(3, { name: 'shared' });
    new FunctionalModel({ inputs: [x, z], outputs: new Concatenate({ axis: 1 }).apply([shared.apply(x), shared.apply(z)]) });
    expect(() => shared.call(T.tensor('float32', [null, null, 4], 'w'))).toThrow("Dense 'shared': 'w' (float32[?, ?, 4]) has unknown axes, and the layer takes several shapes they fit ([6, 4], [5, 4]); give its batch static axes (T.tensor('float32', [null, …]))");
    expect(() => shared.call(T.tensor('float32', [null, null, 4, 4], 'v'))).toThrow("Dense 'shared': expected a batch of per-example shape [6, 4] or [5, 4], got 'v' (float32[?, ?, 4, 4])");
    expect(() => new Sequential([new Dense(2)], { inputShape: [3] }).layers[0]!.call(T.tensor('float32', [null, null, 3], 'u'))).toThrow("Dense 'dense_0': expected a batch of per-example shape [3], got 'u' (float32[?, ?, 3])");
  });
});
