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
import { FunctionalModel } from './functional.js';
import { Input } from './symbolic-tensor.js';
import { TransformerDecoder } from './transformer-decoder.js';
import { TransformerEncoder } from './transformer.js';
import type { LayerNormalization } from './normalization.js';

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
 * A transformer block's wiring in float64: each sublayer (its attentions, whose outputs the
 * callers compute with the attention layers, checked against their own float64 reference
 * elsewhere; then the feed-forward network) in a residual connection with its normalization,
 * post-norm or pre-norm. Rows are [batch·steps, features].
 */
async function blockReference(block: TransformerEncoder | TransformerDecoder, x: NDArray, attentions: readonly ((rows: Rows) => Promise<Rows>)[], norms: readonly LayerNormalization[]): Promise<Float64Array> {
  const [batch, steps, features] = x.shape as [number, number, number];
  const [W1, c1] = block.layers.hidden.parameters().map((v) => v.get().data);
  const [W2, c2] = block.layers.output.parameters().map((v) => v.get().data);
  const feed = async (v: Rows) => dense(dense(v, W1!, c1!, block.ffDim, (u) => Math.max(u, 0)), W2!, c2!, features);
  const eps = block.options.epsilon ?? 1e-5;
  let rows: Rows = Array.from({ length: batch * steps }, (_, r) => Array.from(x.data.slice(r * features, (r + 1) * features)));
  for (const [i, sublayer] of [...attentions, feed].entries()) {
    const [g, b] = norms[i]!.parameters().map((v) => v.get().data);
    const norm = (v: Rows) => layerNorm(v, g!, b!, eps);
    rows = block.options.normFirst ? add(rows, await sublayer(norm(rows))) : norm(add(rows, await sublayer(rows)));
  }
  return Float64Array.from(rows.flat());
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
      expect(relativeError(got.data, await blockReference(block, x, [attend], [block.layers.attentionNorm, block.layers.outputNorm]))).toBeLessThan(2e-5);
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

/** A decoder block in a model of inputs target [steps, features] and memory [memorySteps, memoryFeatures]. */
function decoderModel(block: TransformerDecoder, steps: number, features: number, memorySteps: number, memoryFeatures: number, seed = 5): FunctionalModel {
  const target = new Input([steps, features], { name: 'target' });
  const memory = new Input([memorySteps, memoryFeatures], { name: 'memory' });
  return new FunctionalModel({ inputs: [target, memory], outputs: block.apply([target, memory]) }, { seed });
}

describe('TransformerDecoder', () => {
  for (const t of [
    { batch: 2, steps: 4, features: 6, memorySteps: 5, memoryFeatures: 3, heads: 2, ffDim: 7, o: {} },
    { batch: 1, steps: 1, features: 4, memorySteps: 3, memoryFeatures: 4, heads: 4, ffDim: 3, o: { normFirst: true } },
    { batch: 3, steps: 5, features: 3, memorySteps: 2, memoryFeatures: 7, heads: 2, ffDim: 5, o: { keyDim: 2, causal: false, epsilon: 1e-3 } },
  ]) {
    it(`matches its float64 wiring: ${t.batch} × [${t.steps}, ${t.features}] reading [${t.memorySteps}, ${t.memoryFeatures}], ${t.heads} heads, ffDim ${t.ffDim} ${JSON.stringify(t.o)}`, async () => {
      const rng = new TestRandom(t.steps * 19 + t.memorySteps);
      const block = new TransformerDecoder(t.heads, t.ffDim, t.o);
      const model = decoderModel(block, t.steps, t.features, t.memorySteps, t.memoryFeatures);
      for (const p of block.parameters()) if (p.shape.length === 1) p.set(rng.array(p.shape as number[], 'float32', 0.5, 1.5));
      expect(block.layers.selfAttention.options.causal).toBe(!('causal' in t.o));
      const x = rng.array([t.batch, t.steps, t.features], 'float32', -1, 1);
      const m = rng.array([t.batch, t.memorySteps, t.memoryFeatures], 'float32', -1, 1);
      const [X, M] = [T.tensor('float32', [null, t.steps, t.features], 'x'), T.tensor('float32', [null, t.memorySteps, t.memoryFeatures], 'm')];
      const got = await fn([X, M], model.apply([X, M]))(x, m);
      const viaLayer = (f: (rows: NDArray) => Promise<NDArray>) => async (rows: Rows) => {
        const a = await f(new NDArray('float32', [t.batch, t.steps, t.features], Float32Array.from(rows.flat())));
        return Array.from({ length: rows.length }, (_, r) => Array.from(a.data.slice(r * t.features, (r + 1) * t.features)));
      };
      const selfAttention = fn([X], block.layers.selfAttention.call(X));
      const crossAttention = fn([X, M], block.layers.crossAttention.callInputs([X, M]));
      const p = block.layers;
      const want = await blockReference(block, x, [viaLayer((a) => selfAttention(a)), viaLayer((a) => crossAttention(a, m))], [p.selfAttentionNorm, p.crossAttentionNorm, p.outputNorm]);
      expect(relativeError(got.data, want)).toBeLessThan(2e-5);
    });
  }

  it('with masks, padded target and memory steps change nothing for the real target steps', async () => {
    const build = (steps: number, memorySteps: number) => {
      const target = new Input([steps], { dtype: 'int32' });
      const source = new Input([memorySteps], { dtype: 'int32' });
      const memory = new TransformerEncoder(2, 8).apply(new Embedding(10, 4, { maskZero: true }).apply(source));
      const h = new TransformerDecoder(2, 8).apply([new Embedding(10, 4, { maskZero: true }).apply(target), memory]);
      return new FunctionalModel({ inputs: [source, target], outputs: new Dense(3).apply(h) }, { seed: 8 });
    };
    const [padded, short] = [build(4, 6), build(2, 3)];
    short.parameters().forEach((p, i) => p.set(padded.parameters()[i]!.get()));
    const [s, t] = [T.imatrix('s'), T.imatrix('t')];
    const ids = (shape: number[], v: number[]) => new NDArray('int32', shape, Int32Array.from(v));
    const p = await fn([s, t], padded.apply([s, t]))(ids([2, 6], [0, 3, 0, 5, 1, 0, 2, 0, 0, 9, 4, 0]), ids([2, 4], [7, 2, 0, 0, 1, 8, 0, 0]));
    const q = await fn([s, t], short.apply([s, t]))(ids([2, 3], [3, 5, 1, 2, 9, 4]), ids([2, 2], [7, 2, 1, 8]));
    // The first two target steps of each example ([2, 4, 3] → [2, 2, 3]).
    const real = Float32Array.from([...p.data.slice(0, 6), ...p.data.slice(12, 18)]);
    expect(relativeError(real, q.data)).toBeLessThan(1e-5);
  });

  it('has gradients that match finite differences, post-norm and pre-norm', async () => {
    const rng = new TestRandom(14);
    for (const o of [{}, { normFirst: true }]) {
      const block = new TransformerDecoder(2, 3, { ...o, seed: 4 });
      decoderModel(block, 3, 4, 2, 3);
      for (const p of block.parameters()) if (p.shape.length === 1) p.set(rng.array(p.shape as number[], 'float32', 0.5, 1.5));
      const weights = rng.array([2, 3, 4], 'float64', -1, 1);
      await verifyGrad((x, m) => T.sum(T.mul(block.callInputs([x, m]), T.constant(weights))), [rng.array([2, 3, 4], 'float64', -1, 1), rng.array([2, 2, 3], 'float64', -1, 1)], { rtol: 1e-4 });
    }
  });

  it('draws its dropout masks in training only, rebuilds from its configuration, and names and counts its weights', async () => {
    const block = new TransformerDecoder(2, 16, { dropout: 0.1, activation: 'tanh' });
    const model = decoderModel(block, 5, 8, 3, 6, 2);
    const [X, M] = [T.tensor('float32', [null, 5, 8], 'x'), T.tensor('float32', [null, 3, 6], 'm')];
    expect(randomStateUpdates(model.apply([X, M], { training: true })).map(([st]) => st.name).sort()).toEqual([
      'transformer_decoder_0_cross_attention/rng', 'transformer_decoder_0_cross_attention_dropout/rng', 'transformer_decoder_0_ffn_dropout/rng',
      'transformer_decoder_0_self_attention/rng', 'transformer_decoder_0_self_attention_dropout/rng',
    ]);
    expect(randomStateUpdates(model.apply([X, M]))).toEqual([]);
    const copy = FunctionalModel.fromConfig(JSON.stringify(model.toConfig()));
    expect(copy.toConfig()).toEqual(model.toConfig());
    expect(model.toConfig().config.layers[0]).toEqual({
      className: 'TransformerDecoder', calls: [[['target', 0], ['memory', 0]]],
      config: { numHeads: 2, ffDim: 16, dropout: 0.1, activation: 'tanh', normFirst: false, epsilon: 1e-5, causal: true, name: 'transformer_decoder_0' },
    });
    const attention = (part: string) => ['query/kernel', 'query/bias', 'key/kernel', 'key/bias', 'value/kernel', 'value/bias', 'attention_output/kernel', 'attention_output/bias'].map((w) => `transformer_decoder_0_${part}/${w}`);
    expect(model.parameters().map((p) => p.name)).toEqual([
      ...attention('self_attention'), 'transformer_decoder_0_self_attention_norm/gamma', 'transformer_decoder_0_self_attention_norm/beta',
      ...attention('cross_attention'), 'transformer_decoder_0_cross_attention_norm/gamma', 'transformer_decoder_0_cross_attention_norm/beta',
      'transformer_decoder_0_ffn_1/kernel', 'transformer_decoder_0_ffn_1/bias', 'transformer_decoder_0_ffn_2/kernel', 'transformer_decoder_0_ffn_2/bias',
      'transformer_decoder_0_ffn_norm/gamma', 'transformer_decoder_0_ffn_norm/beta',
    ]);
    // Self-attention: 4 projections of 8 features; cross-attention: query and output of 8, key and value of the memory's 6.
    expect(model.countParameters()).toBe(4 * (8 * 8 + 8) + 2 * (8 * 8 + 8) + 2 * (6 * 8 + 8) + 3 * 2 * 8 + (8 * 16 + 16) + (16 * 8 + 8));
  });

  it('names what is wrong', () => {
    expect(() => new TransformerDecoder(2, 0)).toThrow('TransformerDecoder: ffDim must be a positive integer, got 0');
    expect(() => new TransformerDecoder(2, 8, { dropout: 1 })).toThrow('TransformerDecoder: dropout must be a number in [0, 1), got 1');
    expect(() => new TransformerDecoder(2, 8).layers).toThrow('TransformerDecoder is not built yet, so it has no sublayers');
    const x = new Input([4, 6], { name: 'x' });
    expect(() => new TransformerDecoder(2, 8).apply(x)).toThrow("TransformerDecoder.apply: takes 2 inputs, got 1");
    expect(() => new Sequential([new TransformerDecoder(2, 8)], { inputShape: [4, 6] })).toThrow("TransformerDecoder 'transformer_decoder_0' reads a target and a memory, got one input of per-example shape [4, 6]: apply it to [target, memory] in a FunctionalModel");
    expect(() => decoderModel(new TransformerDecoder(4, 8), 4, 6, 3, 6)).toThrow(/^FunctionalModel 'model': TransformerDecoder 'transformer_decoder_0': 4 heads do not divide 6 features; give keyDim, each head's key size \(built at /);
    const flat = new Input([6], { name: 'flat' });
    expect(() => new FunctionalModel({ inputs: [x, flat], outputs: new TransformerDecoder(2, 8).apply([x, flat]) })).toThrow(/^FunctionalModel 'model': TransformerDecoder 'transformer_decoder_0' expects per-example inputs \[steps, features\], got \[6\]/);
    const block = new TransformerDecoder(2, 8);
    decoderModel(block, 4, 6, 3, 6);
    expect(() => block.call(T.tensor3('x'))).toThrow("TransformerDecoder 'transformer_decoder_0' reads a target and a memory: apply it to [target, memory] in a FunctionalModel, or use callInputs");
  });
});
