import '@symgrad/backend-cpu';
import { verifyGrad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { adam } from '../optimizers/adam.js';
import { Trainer } from '../train/trainer.js';
import { Dense } from './dense.js';
import { Embedding } from './embedding.js';
import { randomStateUpdates } from './layer.js';
import { GlobalAveragePooling1D } from './pooling.js';
import { PositionEmbedding } from './position-embedding.js';
import { Sequential } from './sequential.js';
import { TransformerEncoder } from './transformer.js';

type Rows = number[][];

/** Layer normalization of each row in float64, with gamma and beta. */
function layerNorm(rows: Rows, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number): Rows {
  return rows.map((r) => {
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length;
    return r.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * gamma[i]! + beta[i]!);
  });
}

/** rows · W [in, out] + b, through `act`. */
function dense(rows: Rows, W: ArrayLike<number>, b: ArrayLike<number>, out: number, act: (v: number) => number = (v) => v): Rows {
  return rows.map((r) => Array.from({ length: out }, (_, j) => act(r.reduce((a, v, i) => a + v * W[i * out + j]!, b[j]!))));
}

const add = (a: Rows, b: Rows): Rows => a.map((r, i) => r.map((v, j) => v + b[i]![j]!));

/**
 * The block's wiring in float64 around its attention, which `attend` computes (the attention
 * layer is checked against its own float64 reference elsewhere): rows are [batch·steps, features].
 */
async function reference(block: TransformerEncoder, x: NDArray, attend: (rows: Rows) => Promise<Rows>): Promise<Float64Array> {
  const [batch, steps, features] = x.shape as [number, number, number];
  const p = block.layers;
  const [g1, b1] = p.attentionNorm.parameters().map((v) => v.get().data);
  const [g2, b2] = p.outputNorm.parameters().map((v) => v.get().data);
  const [W1, c1] = p.hidden.parameters().map((v) => v.get().data);
  const [W2, c2] = p.output.parameters().map((v) => v.get().data);
  const rows: Rows = Array.from({ length: batch * steps }, (_, r) => Array.from(x.data.slice(r * features, (r + 1) * features)));
  const eps = block.options.epsilon ?? 1e-5;
  const feed = (v: Rows) => dense(dense(v, W1!, c1!, block.ffDim, (u) => Math.max(u, 0)), W2!, c2!, features);
  let out: Rows;
  if (block.options.normFirst) {
    const y = add(rows, await attend(layerNorm(rows, g1!, b1!, eps)));
    out = add(y, feed(layerNorm(y, g2!, b2!, eps)));
  } else {
    const y = layerNorm(add(rows, await attend(rows)), g1!, b1!, eps);
    out = layerNorm(add(y, feed(y)), g2!, b2!, eps);
  }
  return Float64Array.from(out.flat());
}

/** Random biases, gammas and betas, so the reference checks where they go. */
function randomize(block: TransformerEncoder, rng: TestRandom): void {
  for (const p of block.parameters()) if (p.shape.length === 1) p.set(rng.array(p.shape as number[], 'float32', 0.5, 1.5));
}

describe('TransformerEncoder', () => {
  for (const t of [
    { batch: 2, steps: 5, features: 6, heads: 2, ffDim: 7, o: {} },
    { batch: 1, steps: 3, features: 4, heads: 4, ffDim: 3, o: { normFirst: true } },
    { batch: 3, steps: 4, features: 3, heads: 2, ffDim: 5, o: { keyDim: 2, causal: true, epsilon: 1e-3 } },
  ]) {
    it(`matches its float64 wiring: ${t.batch} × [${t.steps}, ${t.features}], ${t.heads} heads, ffDim ${t.ffDim} ${JSON.stringify(t.o)}`, async () => {
      const rng = new TestRandom(t.steps * 17 + t.features);
      const block = new TransformerEncoder(t.heads, t.ffDim, t.o);
      const model = new Sequential([block], { inputShape: [t.steps, t.features], seed: 5 });
      randomize(block, rng);
      const x = rng.array([t.batch, t.steps, t.features], 'float32', -1, 1);
      const X = T.tensor('float32', [null, t.steps, t.features], 'x');
      const got = await fn([X], model.apply(X))(x);
      const attention = fn([X], block.layers.attention.call(X));
      const attend = async (rows: Rows) => {
        const a = await attention(new NDArray('float32', [t.batch, t.steps, t.features], Float32Array.from(rows.flat())));
        return Array.from({ length: rows.length }, (_, r) => Array.from(a.data.slice(r * t.features, (r + 1) * t.features)));
      };
      expect(relativeError(got.data, await reference(block, x, attend))).toBeLessThan(2e-5);
    });
  }

  it('with an Embedding\'s mask, padded steps change nothing for the real ones', async () => {
    const build = (steps: number) => new Sequential([
      new Embedding(10, 4, { maskZero: true }), new TransformerEncoder(2, 8), new GlobalAveragePooling1D(), new Dense(2),
    ], { inputShape: [steps], seed: 7 });
    const [padded, short] = [build(6), build(3)];
    short.parameters().forEach((p, i) => p.set(padded.parameters()[i]!.get()));
    const ids = T.imatrix('ids');
    const pOut = await fn([ids], padded.apply(ids))(new NDArray('int32', [2, 6], Int32Array.of(0, 3, 0, 5, 1, 0, 2, 2, 9, 0, 0, 0)));
    const sOut = await fn([ids], short.apply(ids))(new NDArray('int32', [2, 3], Int32Array.of(3, 5, 1, 2, 2, 9)));
    expect(relativeError(pOut.data, sOut.data)).toBeLessThan(1e-6);
  });

  it('has gradients that match finite differences, pre-norm and causal', async () => {
    const rng = new TestRandom(10);
    for (const o of [{}, { normFirst: true, causal: true }]) {
      const block = new TransformerEncoder(2, 3, { ...o, seed: 4 });
      new Sequential([block], { inputShape: [3, 4] });
      randomize(block, rng);
      const weights = rng.array([2, 3, 4], 'float64', -1, 1);
      await verifyGrad((x) => T.sum(T.mul(block.call(x), T.constant(weights))), [rng.array([2, 3, 4], 'float64', -1, 1)], { rtol: 1e-4 });
    }
  });

  it('with positions, learns which of two tokens came first', async () => {
    // Sequences of 6 ids holding one 1 and one 2 (the rest 3..7); the label: the 1 comes first.
    const rng = new TestRandom(31);
    const n = 256;
    const ids = new Int32Array(n * 6);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < 6; s++) ids[i * 6 + s] = rng.int(3, 7);
      const a = rng.int(0, 5);
      let b = rng.int(0, 4);
      if (b >= a) b++;
      ids[i * 6 + a] = 1;
      ids[i * 6 + b] = 2;
      labels[i] = a < b ? 1 : 0;
    }
    const model = new Sequential([
      new Embedding(8, 16), new PositionEmbedding(), new TransformerEncoder(2, 32), new GlobalAveragePooling1D(), new Dense(2),
    ], { inputShape: [6], seed: 3 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
    const history = await trainer.fit({ x: new NDArray('int32', [n, 6], ids), y: new NDArray('int32', [n], labels) }, { epochs: 25, batchSize: 32, seed: 2 });
    expect(history.epochs.at(-1)!.accuracy).toBeGreaterThan(0.9);
  });

  it('draws its dropout masks (attention weights, both sublayers\' outputs) in training only', async () => {
    const model = new Sequential([new TransformerEncoder(2, 4, { dropout: 0.2 })], { inputShape: [3, 4], seed: 1 });
    const X = T.tensor('float32', [null, 3, 4], 'x');
    const out = model.apply(X, { training: true });
    const updates = randomStateUpdates(out);
    expect(updates.map(([s]) => s.name).sort()).toEqual(['transformer_encoder_0_attention/rng', 'transformer_encoder_0_attention_dropout/rng', 'transformer_encoder_0_ffn_dropout/rng']);
    const x = new TestRandom(2).array([2, 3, 4], 'float32', -1, 1);
    const trained = await fn([X], out, { updates })(x);
    const evaluated = await fn([X], model.apply(X))(x);
    expect(relativeError(trained.data, evaluated.data)).toBeGreaterThan(1e-3);
    expect(randomStateUpdates(model.apply(X))).toEqual([]);
  });

  it('rebuilds from its configuration, and names and counts its weights', () => {
    const model = new Sequential([new PositionEmbedding(), new TransformerEncoder(2, 16, { dropout: 0.1, normFirst: true, activation: 'tanh' })], { inputShape: [5, 8] });
    const copy = Sequential.fromConfig(JSON.stringify(model.toConfig()));
    expect(copy.toConfig()).toEqual(model.toConfig());
    expect(model.toConfig().config.layers).toEqual([
      { className: 'PositionEmbedding', config: { name: 'position_embedding_0' } },
      { className: 'TransformerEncoder', config: { numHeads: 2, ffDim: 16, dropout: 0.1, activation: 'tanh', normFirst: true, epsilon: 1e-5, causal: false, name: 'transformer_encoder_0' } },
    ]);
    expect(model.parameters().map((p) => p.name)).toEqual([
      'position_embedding_0/embeddings',
      ...['query/kernel', 'query/bias', 'key/kernel', 'key/bias', 'value/kernel', 'value/bias', 'attention_output/kernel', 'attention_output/bias'].map((s) => `transformer_encoder_0_attention/${s}`),
      'transformer_encoder_0_attention_norm/gamma', 'transformer_encoder_0_attention_norm/beta',
      'transformer_encoder_0_ffn_1/kernel', 'transformer_encoder_0_ffn_1/bias', 'transformer_encoder_0_ffn_2/kernel', 'transformer_encoder_0_ffn_2/bias',
      'transformer_encoder_0_ffn_norm/gamma', 'transformer_encoder_0_ffn_norm/beta',
    ]);
    expect(model.countParameters()).toBe(5 * 8 + 4 * (8 * 8 + 8) + 2 * 8 + (8 * 16 + 16) + (16 * 8 + 8) + 2 * 8);
  });

  it('names what is wrong', () => {
    expect(() => new TransformerEncoder(0, 8)).toThrow('TransformerEncoder: numHeads must be a positive integer, got 0');
    expect(() => new TransformerEncoder(2, 2.5)).toThrow('TransformerEncoder: ffDim must be a positive integer, got 2.5');
    expect(() => new TransformerEncoder(2, 8, { keyDim: 0 })).toThrow('TransformerEncoder: keyDim must be a positive integer, got 0');
    expect(() => new TransformerEncoder(2, 8, { dropout: -1 })).toThrow('TransformerEncoder: dropout must be a number in [0, 1), got -1');
    expect(() => new TransformerEncoder(2, 8, { activation: 'swishy' as never })).toThrow(/^TransformerEncoder: activation: /);
    expect(() => new Sequential([new TransformerEncoder(3, 8)], { inputShape: [5, 8] })).toThrow("TransformerEncoder 'transformer_encoder_0': 3 heads do not divide 8 features; give keyDim, each head's key size");
    expect(() => new Sequential([new TransformerEncoder(2, 8)], { inputShape: [8] })).toThrow("TransformerEncoder 'transformer_encoder_0' expects per-example inputs [steps, features], got [8]");
    expect(() => new TransformerEncoder(2, 8).layers).toThrow('TransformerEncoder is not built yet, so it has no sublayers');
    expect(() => new Sequential([new PositionEmbedding()], { inputShape: [8] })).toThrow("PositionEmbedding 'position_embedding_0' expects per-example inputs [steps, features], got [8]");
    expect(() => new PositionEmbedding().embeddings).toThrow('PositionEmbedding is not built yet, so it has no embeddings');
    expect(() => new PositionEmbedding({ initializer: 'ones' as never })).toThrow('PositionEmbedding: unknown initializer "ones"');
  });
});
