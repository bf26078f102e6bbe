import '@symgrad/backend-cpu';
import { verifyGrad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { MultiHeadAttention } from './attention.js';
import { Dense } from './dense.js';
import { Embedding } from './embedding.js';
import { FunctionalModel } from './functional.js';
import { randomStateUpdates } from './layer.js';
import { GlobalAveragePooling1D } from './pooling.js';
import { Sequential } from './sequential.js';
import { Input } from './symbolic-tensor.js';

/**
 * Keras's multi-head attention in float64 loops: queries from `xq` [batch, queries, features],
 * keys from `xk` and values from `xv` [batch, keys, …]; `keep(b, i, j)` says whether query i may see key j.
 */
function crossReference(layer: MultiHeadAttention, xq: NDArray, xk: NDArray, xv: NDArray, keep: (b: number, i: number, j: number) => boolean = () => true): Float64Array {
  const [batch, queries, features] = xq.shape as [number, number, number];
  const keys = xk.shape[1]!;
  const [h, k, v] = [layer.numHeads, layer.keyDim, layer.valueDim];
  const w = layer.weights;
  const [Wq, Wk, Wv, Wo] = [w.query, w.key, w.value, w.output].map((p) => p.get().data);
  const [bq, bk, bv, bo] = w.biases ? [w.biases.query, w.biases.key, w.biases.value, w.biases.output].map((p) => p.get().data) : [undefined, undefined, undefined, undefined];
  const proj = (x: NDArray, W: ArrayLike<number>, bias: ArrayLike<number> | undefined, dim: number, b: number, s: number, head: number, d: number) => {
    const [steps, inFeatures] = x.shape.slice(1) as [number, number];
    let acc = bias ? bias[head * dim + d]! : 0;
    for (let f = 0; f < inFeatures; f++) acc += x.data[(b * steps + s) * inFeatures + f]! * W[(f * h + head) * dim + d]!;
    return acc;
  };
  const out = new Float64Array(batch * queries * features);
  for (let b = 0; b < batch; b++) {
    const heads = Array.from({ length: queries }, () => new Float64Array(h * v));
    for (let head = 0; head < h; head++) {
      const Q = Array.from({ length: queries }, (_, s) => Array.from({ length: k }, (_, d) => proj(xq, Wq, bq, k, b, s, head, d)));
      const K = Array.from({ length: keys }, (_, s) => Array.from({ length: k }, (_, d) => proj(xk, Wk, bk, k, b, s, head, d)));
      const V = Array.from({ length: keys }, (_, s) => Array.from({ length: v }, (_, d) => proj(xv, Wv, bv, v, b, s, head, d)));
      for (let i = 0; i < queries; i++) {
        const scores = K.map((kj, j) => (keep(b, i, j) ? kj.reduce((a, kd, d) => a + kd * Q[i]![d]!, 0) / Math.sqrt(k) : -Infinity));
        const top = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - top));
        const z = e.reduce((a, c) => a + c, 0);
        for (let d = 0; d < v; d++) heads[i]![head * v + d] = e.reduce((a, ej, j) => a + (ej / z) * V[j]![d]!, 0);
      }
    }
    for (let s = 0; s < queries; s++) {
      for (let f = 0; f < features; f++) {
        let acc = bo ? bo[f]! : 0;
        for (let c = 0; c < h * v; c++) acc += heads[s]![c]! * Wo[c * features + f]!;
        out[(b * queries + s) * features + f] = acc;
      }
    }
  }
  return out;
}

/** Self-attention: queries, keys and values all from x. */
const reference = (layer: MultiHeadAttention, x: NDArray, keep?: (b: number, i: number, j: number) => boolean): Float64Array => crossReference(layer, x, x, x, keep);

/** Random biases, so the reference checks where they go. */
function randomizeBiases(layer: MultiHeadAttention, rng: TestRandom): void {
  const b = layer.weights.biases;
  if (b) for (const p of [b.query, b.key, b.value, b.output]) p.set(rng.array(p.shape as number[], 'float32', -0.5, 0.5));
}

describe('MultiHeadAttention', () => {
  // Awkward sizes: one example, one step, one head, keys of one unit, values of another size than the keys.
  for (const t of [
    { batch: 1, steps: 1, features: 2, heads: 1, keyDim: 1, o: {} },
    { batch: 3, steps: 5, features: 6, heads: 2, keyDim: 4, o: {} },
    { batch: 2, steps: 7, features: 3, heads: 3, keyDim: 2, o: { valueDim: 5 } },
    { batch: 2, steps: 4, features: 5, heads: 2, keyDim: 3, o: { causal: true } },
    { batch: 1, steps: 6, features: 4, heads: 4, keyDim: 1, o: { useBias: false, causal: true } },
  ]) {
    it(`matches float64 attention: ${t.batch} × [${t.steps}, ${t.features}], ${t.heads} heads of ${t.keyDim} ${JSON.stringify(t.o)}`, async () => {
      const rng = new TestRandom(t.steps * 11 + t.heads * 3 + t.features);
      const layer = new MultiHeadAttention(t.heads, t.keyDim, t.o);
      const model = new Sequential([layer], { inputShape: [t.steps, t.features], seed: 2 });
      randomizeBiases(layer, rng);
      const x = rng.array([t.batch, t.steps, t.features], 'float32', -1, 1);
      const X = T.tensor('float32', [null, t.steps, t.features], 'x');
      const got = await fn([X], model.apply(X))(x);
      expect(got.shape).toEqual([t.batch, t.steps, t.features]);
      const want = reference(layer, x, 'causal' in t.o && t.o.causal ? (_b, i, j) => j <= i : undefined);
      expect(relativeError(got.data, want)).toBeLessThan(1e-5);
    });
  }

  it('causal: a step\'s output does not depend on later steps', async () => {
    const rng = new TestRandom(4);
    const model = new Sequential([new MultiHeadAttention(2, 3, { causal: true })], { inputShape: [6, 4], seed: 1 });
    const X = T.tensor('float32', [null, 6, 4], 'x');
    const f = fn([X], model.apply(X));
    const x = rng.array([2, 6, 4], 'float32', -1, 1);
    const changed = x.astype('float32');
    for (let i = 0; i < 2 * 6 * 4; i++) if (Math.floor(i / 4) % 6 >= 3) changed.data[i] = changed.data[i]! + 1;
    const [a, b] = [await f(x), await f(changed)];
    for (let i = 0; i < a.data.length; i++) {
      if (Math.floor(i / 4) % 6 < 3) expect(b.data[i]).toBe(a.data[i]);
    }
    expect(relativeError(b.data, a.data)).toBeGreaterThan(1e-3);
  });

  it('with an Embedding\'s mask, padded steps get no attention: real steps compute what the unpadded sequence does', async () => {
    const build = (steps: number) => new Sequential([
      new Embedding(10, 4, { maskZero: true }), new MultiHeadAttention(2, 3), new GlobalAveragePooling1D(), new Dense(2),
    ], { inputShape: [steps], seed: 7 });
    const [padded, short] = [build(6), build(3)];
    short.parameters().forEach((p, i) => p.set(padded.parameters()[i]!.get()));
    const ids = T.imatrix('ids');
    const [pOut, sOut] = await Promise.all([fn([ids], padded.apply(ids))(new NDArray('int32', [2, 6], Int32Array.of(0, 3, 0, 5, 1, 0, 2, 2, 9, 0, 0, 0))), fn([ids], short.apply(ids))(new NDArray('int32', [2, 3], Int32Array.of(3, 5, 1, 2, 2, 9)))]);
    expect(relativeError(pOut.data, sOut.data)).toBeLessThan(1e-6);
  });

  it('has gradients that match finite differences, masked and causal', async () => {
    const rng = new TestRandom(9);
    const layer = new MultiHeadAttention(2, 2, { valueDim: 3, causal: true, seed: 3 });
    new Sequential([layer], { inputShape: [4, 3] });
    randomizeBiases(layer, rng);
    const weights = rng.array([2, 4, 3], 'float64', -1, 1);
    const mask = T.constant(new NDArray('float64', [2, 4], Float64Array.of(1, 1, 1, 0, 0, 1, 1, 1)));
    await verifyGrad((x) => T.sum(T.mul(layer.call(x, { mask }), T.constant(weights))), [rng.array([2, 4, 3], 'float64', -1, 1)], { rtol: 1e-4 });
  });

  it('drops attention weights in training from its own Philox state, and none in evaluation', async () => {
    const rng = new TestRandom(5);
    const layer = new MultiHeadAttention(2, 3, { dropout: 0.3 });
    const model = new Sequential([layer], { inputShape: [5, 4], seed: 6 });
    const X = T.tensor('float32', [null, 5, 4], 'x');
    const out = model.apply(X, { training: true });
    const updates = randomStateUpdates(out);
    expect(updates.map(([s]) => s.name)).toEqual(['multi_head_attention_0/rng']);
    const x = rng.array([3, 5, 4], 'float32', -1, 1);
    const trained = await fn([X], out, { updates })(x);
    const evaluated = await fn([X], model.apply(X))(x);
    expect(relativeError(evaluated.data, reference(layer, x))).toBeLessThan(1e-5);
    expect(relativeError(trained.data, evaluated.data)).toBeGreaterThan(1e-3);
  });

  it('rebuilds from its configuration, and names and counts its weights', () => {
    const model = new Sequential([new MultiHeadAttention(4, 8, { valueDim: 6, dropout: 0.1, causal: true, seed: 2 })], { inputShape: [10, 12] });
    const copy = Sequential.fromConfig(JSON.stringify(model.toConfig()));
    expect(copy.toConfig()).toEqual(model.toConfig());
    expect(model.toConfig().config.layers[0]).toEqual({ className: 'MultiHeadAttention', config: { numHeads: 4, keyDim: 8, valueDim: 6, dropout: 0.1, causal: true, useBias: true, seed: 2, name: 'multi_head_attention_0' } });
    expect(model.parameters().map((p) => p.name)).toEqual([
      'multi_head_attention_0/query/kernel', 'multi_head_attention_0/query/bias', 'multi_head_attention_0/key/kernel', 'multi_head_attention_0/key/bias',
      'multi_head_attention_0/value/kernel', 'multi_head_attention_0/value/bias', 'multi_head_attention_0/attention_output/kernel', 'multi_head_attention_0/attention_output/bias',
    ]);
    expect(model.countParameters()).toBe(2 * (12 * 4 * 8 + 4 * 8) + (12 * 4 * 6 + 4 * 6) + (4 * 6 * 12 + 12));
    expect(model.outputShape).toEqual([10, 12]);
  });

  it('names what is wrong', () => {
    expect(() => new MultiHeadAttention(0, 4)).toThrow('MultiHeadAttention: numHeads must be a positive integer, got 0');
    expect(() => new MultiHeadAttention(2, 1.5)).toThrow('MultiHeadAttention: keyDim must be a positive integer, got 1.5');
    expect(() => new MultiHeadAttention(2, 4, { valueDim: -1 })).toThrow('MultiHeadAttention: valueDim must be a positive integer, got -1');
    expect(() => new MultiHeadAttention(2, 4, { dropout: 1 })).toThrow('MultiHeadAttention: dropout must be a number in [0, 1), got 1');
    expect(() => new MultiHeadAttention(2, 4, { kernelInitializer: 'ones' as never })).toThrow('MultiHeadAttention: unknown initializer "ones"');
    expect(() => new Sequential([new MultiHeadAttention(2, 4)], { inputShape: [10] })).toThrow("MultiHeadAttention 'multi_head_attention_0' expects per-example inputs [steps, features], got [10]");
    expect(() => new MultiHeadAttention(2, 4).weights).toThrow('MultiHeadAttention is not built yet, so it has no weights');
    const model = new Sequential([new MultiHeadAttention(2, 4)], { inputShape: [5, 3] });
    expect(() => model.layers[0]!.call(T.tensor('float32', [null, 5, 2], 'x'))).toThrow("MultiHeadAttention 'multi_head_attention_0': expected a batch of per-example shape [null, 3] (any steps), got 'x' (float32[?, 5, 2])");
    expect(() => model.layers[0]!.call(T.tensor('int32', [null, 5, 3], 'ids'))).toThrow("MultiHeadAttention 'multi_head_attention_0': expects float inputs, got 'ids' (int32[?, 5, 3])");
  });

  // Cross-attention: queries of one sequence attend to another's keys and values (a decoder reading an encoder's output).
  for (const t of [
    { batch: 2, queries: 3, keys: 5, qf: 4, kf: 6, vf: 6, heads: 2, keyDim: 3, withKey: false, o: {} },
    { batch: 1, queries: 1, keys: 7, qf: 2, kf: 3, vf: 5, heads: 3, keyDim: 1, withKey: true, o: { valueDim: 2 } },
    { batch: 3, queries: 6, keys: 4, qf: 5, kf: 5, vf: 5, heads: 1, keyDim: 4, withKey: false, o: { causal: true, useBias: false } },
  ]) {
    it(`cross-attention matches float64: ${t.batch} × [${t.queries}, ${t.qf}] to ${t.withKey ? `key [${t.keys}, ${t.kf}] and ` : ''}value [${t.keys}, ${t.vf}] ${JSON.stringify(t.o)}`, async () => {
      const rng = new TestRandom(t.queries * 7 + t.keys);
      const layer = new MultiHeadAttention(t.heads, t.keyDim, t.o);
      const q = new Input([t.queries, t.qf], { name: 'q' });
      const v = new Input([t.keys, t.vf], { name: 'v' });
      const k = t.withKey ? new Input([t.keys, t.kf], { name: 'k' }) : undefined;
      const model = new FunctionalModel({ inputs: k ? [q, v, k] : [q, v], outputs: layer.apply(k ? [q, v, k] : [q, v]) }, { seed: 3 });
      randomizeBiases(layer, rng);
      expect(layer.weights.key.shape).toEqual([t.withKey ? t.kf : t.vf, t.heads, t.keyDim]);
      expect(model.outputShape).toEqual([t.queries, t.qf]);
      const xq = rng.array([t.batch, t.queries, t.qf], 'float32', -1, 1);
      const xv = rng.array([t.batch, t.keys, t.vf], 'float32', -1, 1);
      const xk = t.withKey ? rng.array([t.batch, t.keys, t.kf], 'float32', -1, 1) : xv;
      const vars = [T.tensor('float32', [null, t.queries, t.qf], 'q'), T.tensor('float32', [null, t.keys, t.vf], 'v'), ...(t.withKey ? [T.tensor('float32', [null, t.keys, t.kf], 'k')] : [])];
      const got = await fn(vars, model.apply(vars))(...(t.withKey ? [xq, xv, xk] : [xq, xv]));
      const want = crossReference(layer, xq, xk, xv, 'causal' in t.o ? (_b, i, j) => j <= i : undefined);
      expect(relativeError(got.data, want)).toBeLessThan(1e-5);
    });
  }

  it('cross-attention: the memory\'s mask hides its padded steps, the queries\' mask passes on, and the gradients match finite differences', async () => {
    const rng = new TestRandom(12);
    const target = new Input([3], { dtype: 'int32', name: 'target' });
    const memory = new Input([5], { dtype: 'int32', name: 'memory' });
    const [embedTarget, embedMemory] = [new Embedding(9, 4, { maskZero: true }), new Embedding(9, 4, { maskZero: true })];
    const layer = new MultiHeadAttention(2, 3);
    const pooled = new GlobalAveragePooling1D().apply(layer.apply([embedTarget.apply(target), embedMemory.apply(memory)]));
    const model = new FunctionalModel({ inputs: [target, memory], outputs: pooled }, { seed: 5 });
    randomizeBiases(layer, rng);
    const [t, m] = [T.imatrix('t'), T.imatrix('m')];
    const f = fn([t, m], model.apply([t, m]));
    // The same memory with and without padding, and a target whose last step is padding.
    const ids = (shape: number[], v: number[]) => new NDArray('int32', shape, Int32Array.from(v));
    const padded = await f(ids([2, 3], [4, 2, 0, 1, 1, 0]), ids([2, 5], [0, 3, 7, 0, 8, 5, 0, 0, 2, 0]));
    const rows = (e: Embedding, idList: number[]) => {
      const table = e.parameters()[0]!.get();
      return new NDArray('float32', [1, idList.length, 4], Float32Array.from(idList.flatMap((id) => Array.from(table.data.subarray(id * 4, id * 4 + 4)))));
    };
    // Example 0: the target's real steps [4, 2] attend to the memory's real steps [3, 7, 8]; the output is their mean.
    const want0 = crossReference(layer, rows(embedTarget, [4, 2]), rows(embedMemory, [3, 7, 8]), rows(embedMemory, [3, 7, 8]));
    const mean0 = [0, 1, 2, 3].map((f2) => (want0[f2]! + want0[4 + f2]!) / 2);
    expect(relativeError(padded.data.subarray(0, 4), mean0)).toBeLessThan(1e-5);
    const want1 = crossReference(layer, rows(embedTarget, [1, 1]), rows(embedMemory, [5, 2]), rows(embedMemory, [5, 2]));
    const mean1 = [0, 1, 2, 3].map((f2) => (want1[f2]! + want1[4 + f2]!) / 2);
    expect(relativeError(padded.data.subarray(4, 8), mean1)).toBeLessThan(1e-5);
    const weights = rng.array([2, 3, 4], 'float64', -1, 1);
    const memMask = T.constant(new NDArray('float64', [2, 5], Float64Array.of(1, 1, 0, 1, 1, 0, 1, 1, 1, 1)));
    await verifyGrad((q, mem) => T.sum(T.mul(layer.callInputs([q, mem], { masks: [undefined, memMask] }), T.constant(weights))), [rng.array([2, 3, 4], 'float64', -1, 1), rng.array([2, 5, 4], 'float64', -1, 1)], { rtol: 1e-4 });
  });

  it('cross-attention names what is wrong', () => {
    const q = new Input([3, 4], { name: 'q' });
    expect(() => new MultiHeadAttention(2, 2).apply([q, q, q, q])).toThrow(/^MultiHeadAttention\.apply: takes 1 to 3 inputs, got 4 \(Input 'q' \[null, 3, 4\] float32, /);
    const key = new Input([6, 2], { name: 'key' });
    const value = new Input([5, 2], { name: 'value' });
    expect(() => new FunctionalModel({ inputs: [q, value, key], outputs: new MultiHeadAttention(2, 2).apply([q, value, key]) })).toThrow(/^FunctionalModel 'model': MultiHeadAttention 'multi_head_attention_0': the key and the value must have the same steps, got key \[6, 2\] and value \[5, 2\] \(built at .*attention\.test\.ts/);
    const layer = new MultiHeadAttention(2, 2);
    new FunctionalModel({ inputs: [q, value], outputs: layer.apply([q, value]) });
    expect(() => layer.callInputs([T.tensor('float32', [null, 3, 4], 'a'), T.tensor('float32', [null, 5, 3], 'b')])).toThrow("MultiHeadAttention 'multi_head_attention_0': expected the key as a batch of per-example shape [null, 2] (any steps), got 'b' (float32[?, 5, 3])");
    expect(() => layer.callInputs([T.tensor('float32', [null, 3, 4], 'a'), T.tensor('float32', [null, 4, 2], 'v'), T.tensor('float32', [null, 5, 2], 'k')])).toThrow("MultiHeadAttention 'multi_head_attention_0': the key and the value must have the same steps, got key 'k' (float32[?, 5, 2]) and value 'v' (float32[?, 4, 2])");
    expect(() => layer.callInputs([T.tensor('float32', [null, 3, 4], 'a'), T.tensor('int32', [null, 5, 2], 'b')])).toThrow("MultiHeadAttention 'multi_head_attention_0': expects float inputs, got 'b' (int32[?, 5, 2]) as the key");
    expect(() => layer.callInputs([T.tensor('float32', [null, 3, 4], 'a'), T.tensor('float32', [null, 5, 2], 'b')], { masks: [undefined, T.matrix('m')] })).not.toThrow();
    expect(() => layer.callInputs([T.tensor('float32', [null, 3, 4], 'a'), T.tensor('float32', [null, 5, 2], 'b')], { masks: [undefined, T.tensor('float32', [null, 4], 'm')] })).toThrow("MultiHeadAttention 'multi_head_attention_0': the mask of the keys must be [batch, 5] (one value per step), got 'm' (float32[?, 4])");
  });
});
