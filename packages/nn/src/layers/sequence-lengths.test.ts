import '@symgrad/backend-cpu';
import { fn, NDArray, T, type Variable } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { Bidirectional } from './bidirectional.js';
import { Conv1D, Conv2D } from './convolution.js';
import { AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalMaxPooling2D, MaxPooling1D } from './pooling.js';
import { Dense, Flatten } from './dense.js';
import { Embedding } from './embedding.js';
import { FunctionalModel } from './functional.js';
import type { Layer } from './layer.js';
import { MultiHeadAttention } from './attention.js';
import { BatchNormalization } from './normalization.js';
import { PositionEmbedding } from './position-embedding.js';
import { GRU, LSTM, SimpleRNN } from './recurrent.js';
import { Sequential } from './sequential.js';
import { Input } from './symbolic-tensor.js';
import { TransformerDecoder } from './transformer-decoder.js';
import { TransformerEncoder } from './transformer.js';
import { modelFromWeights, saveWeights } from '../io/checkpoint.js';
import { sgd } from '../optimizers/sgd.js';
import { Trainer } from '../train/trainer.js';

const rng = new TestRandom(71);
const floats = (shape: number[]) => rng.array(shape, 'float32', -1, 1);
/** Ids in [0, vocab), with trailing zeros (padding) in some rows. */
function ids(n: number, steps: number, vocab: number): NDArray {
  const out = new NDArray('int32', [n, steps]);
  for (let r = 0; r < n; r++) {
    const len = r % 2 ? steps : Math.max(1, steps - 2);
    for (let t = 0; t < len; t++) out.data[r * steps + t] = rng.int(1, vocab - 1);
  }
  return out;
}
const batchOf = (a: NDArray, name: string): Variable => T.tensor(a.dtype as 'float32' | 'int32', [null, ...a.shape.slice(1)], name);

/**
 * A model built for one length, run on batches of other lengths, against the same model (same
 * seed, so the same weights: none of these depend on the steps) built for each length.
 */
async function expectSameAsBuiltFor(make: (steps: number) => Sequential, built: number, lengths: readonly number[], input: (steps: number) => NDArray, tol: number) {
  const model = make(built);
  for (const steps of lengths) {
    const x = input(steps);
    const v = batchOf(x, 'x');
    const got = await fn([v], model.apply(v))(x);
    const fresh = make(steps);
    expect(fresh.parameters().map((p) => [...p.get().data])).toEqual(model.parameters().map((p) => [...p.get().data]));
    const want = await fn([v], fresh.apply(v))(x);
    expect(got.shape).toEqual(want.shape);
    expect(relativeError(got.data, want.data), `${steps} steps`).toBeLessThan(tol);
  }
}

describe('models and layers on sequences of other lengths than they were built for', () => {
  const recurrent: [string, (steps: number) => Sequential][] = [
    ['SimpleRNN', (s) => new Sequential([new SimpleRNN(4)], { inputShape: [s, 3], seed: 1 })],
    ['LSTM backwards, every step', (s) => new Sequential([new LSTM(5, { returnSequences: true, goBackwards: true })], { inputShape: [s, 3], seed: 2 })],
    ['GRU over an Embedding with padding', (s) => new Sequential([new Embedding(9, 3, { maskZero: true }), new GRU(4)], { inputShape: [s], seed: 3 })],
    ['Bidirectional LSTM', (s) => new Sequential([new Bidirectional(new LSTM(3, { returnSequences: true })), new Dense(2)], { inputShape: [s, 3], seed: 4 })],
  ];
  for (const [name, make] of recurrent) {
    it(`${name}: built for 5 steps, runs on 1, 2, 8 and 13 as if built for them`, async () => {
      const embedded = name.includes('Embedding');
      await expectSameAsBuiltFor(make, 5, [1, 2, 8, 13], (s) => (embedded ? ids(3, s, 9) : floats([3, s, 3])), 1e-6);
    });
  }

  it('convolutions and poolings: built for one size, run on others as if built for them', async () => {
    const seq = (s: number) => new Sequential([
      new Conv1D(4, 3, { padding: 'same', activation: 'relu' }), new MaxPooling1D(2), new Conv1D(3, 2, { dilationRate: 2 }), new AveragePooling1D(2, { padding: 'same' }), new GlobalAveragePooling1D(),
    ], { inputShape: [s, 3], seed: 14 });
    await expectSameAsBuiltFor(seq, 12, [7, 9, 20], (s) => floats([2, s, 3]), 1e-6);
    const image = (s: number) => new Sequential([
      new Conv2D(4, 3, { padding: 'same', activation: 'relu' }), new BatchNormalization(), new AveragePooling2D(2, { padding: 'same' }), new Conv2D(2, 2, { strides: 2 }), new GlobalMaxPooling2D(),
    ], { inputShape: [s, s + 1, 2], seed: 15 });
    await expectSameAsBuiltFor(image, 8, [5, 11], (s) => floats([2, s, s + 1, 2]), 1e-6);
    expect(() => seq(12).apply(T.tensor('float32', [null, 3, 3], 'short'))).toThrow("Sequential 'sequential': cannot take 'short' (float32[?, 3, 3]) (built for [12, 3]): Conv1D 'conv1d_1': a kernel spanning 3 steps does not fit in 1 steps with padding 'valid'; use padding 'same' or a smaller kernel");
  });

  it('TransformerEncoder (causal, with padding) and PositionEmbedding: built for 6 steps, runs on 2 and 5 (the positions it has)', async () => {
    const make = (s: number) => new Sequential([new Embedding(11, 8, { maskZero: true }), new TransformerEncoder(2, 16, { causal: true })], { inputShape: [s], seed: 5 });
    await expectSameAsBuiltFor(make, 6, [1, 2, 9], (s) => ids(3, s, 11), 1e-5);
    // The position table is for the longest sequences; shorter ones take its first rows.
    const positions = new Sequential([new PositionEmbedding()], { inputShape: [6, 4], seed: 6 });
    const x = floats([2, 4, 4]);
    const vx = T.tensor('float32', [null, 4, 4], 'x');
    const got = await fn([vx], positions.apply(vx))(x);
    const table = positions.parameters()[0]!.get();
    const want = new NDArray('float32', [2, 4, 4], Float32Array.from(x.data, (v, i) => v + table.data[i % 16]!));
    expect(relativeError(got.data, want.data)).toBeLessThan(1e-7);
    expect(() => positions.apply(T.tensor('float32', [null, 7, 4], 'long'))).toThrow("Sequential 'sequential': cannot take 'long' (float32[?, 7, 4]) (built for [6, 4]): PositionEmbedding 'position_embedding_0' has positions for 6 steps, not 7: build it for the longest sequences");
  });

  it('a FunctionalModel with a TransformerDecoder: built for a target of 4 and a memory of 5, runs on 7 and 3 as if built for them', async () => {
    const make = (target: number, memory: number) => {
      const [t, m] = [new Input([target, 8]), new Input([memory, 8])];
      return new FunctionalModel({ inputs: [t, m], outputs: new TransformerDecoder(2, 12).apply([t, m]) }, { seed: 7 });
    };
    const model = make(4, 5);
    expect(model.outputShapesFor([[7, 8], [3, 8]])).toEqual([[7, 8]]);
    const [x, memory] = [floats([2, 7, 8]), floats([2, 3, 8])];
    const [vx, vm] = [batchOf(x, 'x'), batchOf(memory, 'memory')];
    const got = await fn([vx, vm], model.apply([vx, vm]))(x, memory);
    const want = await fn([vx, vm], make(7, 3).apply([vx, vm]))(x, memory);
    expect(relativeError(got.data, want.data)).toBeLessThan(1e-5);
    // The summary keeps the shapes it was built for.
    expect(model.summary()).toContain('[null, 4, 8]');
  });

  it('cross-attention and a nested model at other lengths; outputShapesFor says what a model gives', async () => {
    const [q, v] = [new Input([3, 4]), new Input([5, 6])];
    const attention = new FunctionalModel({ inputs: [q, v], outputs: new MultiHeadAttention(2, 3).apply([q, v]) }, { seed: 8 });
    const fresh = (a: number, b: number) => {
      const [qa, vb] = [new Input([a, 4]), new Input([b, 6])];
      return new FunctionalModel({ inputs: [qa, vb], outputs: new MultiHeadAttention(2, 3).apply([qa, vb]) }, { seed: 8 });
    };
    const [xq, xv] = [floats([2, 6, 4]), floats([2, 2, 6])];
    const [a, b] = [batchOf(xq, 'q'), batchOf(xv, 'v')];
    const got = await fn([a, b], attention.apply([a, b]))(xq, xv);
    expect(relativeError(got.data, (await fn([a, b], fresh(6, 2).apply([a, b]))(xq, xv)).data)).toBeLessThan(1e-6);
    // A Sequential built for 5 steps inside a model of 9.
    const inner = new Sequential([new LSTM(4, { returnSequences: true })], { inputShape: [5, 3], seed: 9 });
    const outer = new Input([9, 3]);
    const model = new FunctionalModel({ inputs: outer, outputs: new Dense(2).apply(inner.apply(outer)) }, { seed: 10 });
    expect(model.outputShape).toEqual([9, 2]);
    expect(inner.outputShapesFor([[9, 3]])).toEqual([[9, 4]]);
    const x = floats([2, 9, 3]);
    const vx = batchOf(x, 'x');
    const out = await fn([vx], model.apply(vx))(x);
    expect(out.shape).toEqual([2, 9, 2]);
  });

  it('a model trained on sequences of 8 steps predicts on sequences of 20 (whether a 3 occurs)', async () => {
    const data = (n: number, steps: number) => {
      const x = new NDArray('int32', [n, steps]);
      const y = new NDArray('int32', [n]);
      for (let r = 0; r < n; r++) {
        for (let t = 0; t < steps; t++) x.data[r * steps + t] = rng.int(1, 2);
        if (r % 2) x.data[r * steps + rng.int(0, steps - 1)] = 3;
        y.data[r] = r % 2;
      }
      return { x, y };
    };
    const model = new Sequential([new Embedding(4, 8), new LSTM(16), new Dense(2)], { inputShape: [8], seed: 11 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.5, momentum: 0.9 }), metrics: ['accuracy'] });
    await trainer.fit(data(256, 8), { epochs: 12, batchSize: 32, seed: 1 });
    const long = await trainer.evaluate(data(200, 20));
    expect(long['accuracy']).toBeGreaterThan(0.9);
    expect(trainer.compiledSignatures().evaluate).toBe(1);
    trainer.dispose();
  });

  it('names what does not fit another length', () => {
    const flat = new Sequential([new Embedding(5, 2), new Flatten(), new Dense(3)], { inputShape: [4], seed: 12 });
    expect(() => flat.apply(T.tensor('int32', [null, 6], 'ids'))).toThrow("Sequential 'sequential': cannot take 'ids' (int32[?, 6]) (built for [4]): Dense 'dense_0' was built for inputs of per-example shape [8], not [12]; its weights do not fit inputs of that shape");
    expect(() => flat.outputShapesFor([[6], [6]])).toThrow("Sequential 'sequential' takes one input, got 2");
    const x = new Input([4, 3], { name: 'x' });
    const lstm = new LSTM(2);
    const model = new FunctionalModel({ inputs: x, outputs: new Dense(1).apply(lstm.apply(x)) }, { seed: 13 });
    expect(() => model.outputShapesFor([[4, 5]])).toThrow(/^FunctionalModel 'model': cannot take inputs of per-example shape \[4, 5\] \(built for \[4, 3\]\): LSTM 'lstm_0' was built for inputs of per-example shape \[4, 3\], not \[4, 5\]; its weights do not fit inputs of that shape \(built at .*sequence-lengths\.test\.ts/);
    expect(() => model.outputShapesFor([])).toThrow("FunctionalModel 'model' takes 1 input, got 0 shapes");
    // Once a layer has taken several lengths, a batch of unknown steps is ambiguous.
    const attention = new MultiHeadAttention(1, 2);
    new Sequential([attention], { inputShape: [3, 2] });
    (attention as Layer).build([6, 2], { name: 'unused', seed: 0 });
    expect(() => attention.call(T.tensor('float32', [null, null, 2], 'h'))).toThrow("MultiHeadAttention 'multi_head_attention_0': 'h' (float32[?, ?, 2]) has unknown steps, and the layer takes sequences of several lengths; give its batch static steps (T.tensor('float32', [null, steps, features]))");
    expect(() => lstm.call(T.tensor('float32', [null, null, 3], 'h'))).not.toThrow();
  });
});

describe('Inputs of unknown steps (Keras\'s Input((None, …)))', () => {
  const textModel = () => {
    const ids = new Input([null], { dtype: 'int32', name: 'ids' });
    const h = new LSTM(6, { returnSequences: true }).apply(new Embedding(12, 4, { maskZero: true }).apply(ids));
    return new FunctionalModel({ inputs: ids, outputs: new Dense(3).apply(h) }, { seed: 16 });
  };

  it('builds at its first batch, then runs on any length, as the same model with static steps does', async () => {
    const model = textModel();
    expect(() => model.summary()).toThrow("FunctionalModel 'model' is not built yet: Input 'ids' [null, null] int32 has unknown axes; apply it to a batch, or give the shapes with model.build([[…]])");
    expect(model.parameters()).toEqual([]);
    const static6 = (() => {
      const ids = new Input([6], { dtype: 'int32' });
      const h = new LSTM(6, { returnSequences: true }).apply(new Embedding(12, 4, { maskZero: true }).apply(ids));
      return new FunctionalModel({ inputs: ids, outputs: new Dense(3).apply(h) }, { seed: 16 });
    })();
    for (const steps of [6, 3, 10]) {
      const x = ids(2, steps, 12);
      const v = batchOf(x, 'ids');
      const got = await fn([v], model.apply(v))(x);
      const want = await fn([v], static6.apply(v))(x);
      expect(relativeError(got.data, want.data), `${steps} steps`).toBeLessThan(1e-6);
    }
    // Built for the first batch's 6 steps, with the same weights as the static model.
    expect(model.inputShapes).toEqual([[6]]);
    expect(model.parameters().map((p) => [...p.get().data])).toEqual(static6.parameters().map((p) => [...p.get().data]));
    // The summary shows the Input's unknown steps, and the layers' shapes as built.
    expect(model.summary()).toMatch(/ids \(Input\) +\[null, null\]/);
    expect(model.summary()).toMatch(/lstm_0 \(LSTM\) +\[null, 6, 6\]/);
  });

  it('model.build gives it shapes first; its configuration keeps the unknown axes and the shapes it was built for', () => {
    const model = textModel();
    model.build([[8]]);
    expect(model.outputShape).toEqual([8, 3]);
    const config = model.toConfig();
    expect(config.config.inputs[0]!.shape).toEqual([null]);
    expect(config.config.buildShapes).toEqual([[8]]);
    const copy = FunctionalModel.fromConfig(JSON.stringify(config));
    expect(copy.inputShapes).toEqual([[8]]);
    expect(copy.parameters().map((p) => p.name)).toEqual(model.parameters().map((p) => p.name));
    expect(() => textModel().build([[0]])).toThrow("FunctionalModel 'model'.build: Input 'ids' [null, null] int32 cannot take per-example shape [0]");
    expect(() => textModel().build([[4], [4]])).toThrow("FunctionalModel 'model'.build: give one per-example shape per input (1), got [[4],[4]]");
    expect(() => textModel().apply(T.imatrix('unknown'))).toThrow("FunctionalModel 'model': Input 'ids' [null, null] int32 has unknown axes, so the model is built by its first batch, which must fill them in; got 'unknown' (int32[?, ?]) (give it static axes: T.tensor('int32', [null, 40]), or call model.build([[40]]) first)");
  });

  it('saved with its weights, it loads with them and its open steps', async () => {
    const model = textModel();
    const x = ids(2, 5, 12);
    const v = batchOf(x, 'ids');
    const want = await fn([v], model.apply(v))(x);
    const copy = modelFromWeights(await saveWeights(model)) as FunctionalModel;
    expect(copy.inputs[0]!.shape).toEqual([null]);
    expect(copy.inputShapes).toEqual([[5]]);
    const got = await fn([v], copy.apply(v))(x);
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    const longer = ids(2, 9, 12);
    const w = batchOf(longer, 'ids');
    expect(Array.from((await fn([w], copy.apply(w))(longer)).data)).toEqual(Array.from((await fn([w], model.apply(w))(longer)).data));
  });

  it('the Trainer trains it (the data fills in the steps)', async () => {
    const model = textModel();
    const x = ids(64, 7, 12);
    const y = new NDArray('int32', [64, 7], Int32Array.from(x.data, (v) => v % 3));
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.5 }) });
    const history = await trainer.fit({ x, y }, { epochs: 3, batchSize: 16 });
    expect(history.epochs[2]!.loss).toBeLessThan(history.epochs[0]!.loss!);
    expect(model.inputShapes).toEqual([[7]]);
    trainer.dispose();
  });
});

describe('a Sequential of inputShape [null] (ids of any length)', () => {
  it('builds at its first batch, runs on other lengths, and names what does not fit', async () => {
    const make = (shape: readonly (number | null)[]) => new Sequential([new Embedding(10, 4), new GRU(5), new Dense(2)], { inputShape: shape, seed: 17 });
    const open = make([null]);
    expect(open.built).toBe(false);
    expect(() => open.summary()).toThrow("Sequential 'sequential' is not built yet: its inputShape [null] has unknown axes; apply it to a batch, or give the shape with model.build([…])");
    const fixed = make([5]);
    for (const steps of [5, 2, 9]) {
      const x = ids(3, steps, 10);
      const v = batchOf(x, 'ids');
      const got = await fn([v], open.apply(v))(x);
      const want = await fn([v], fixed.apply(v))(x);
      expect(relativeError(got.data, want.data), `${steps} steps`).toBeLessThan(1e-6);
    }
    expect(open.inputShape).toEqual([5]);
    expect(() => make([null]).apply(T.imatrix('unknown'))).toThrow("Sequential 'sequential': its inputShape [null] has unknown axes, so it is built by its first batch, which must fill them in; got 'unknown' (int32[?, ?]) (give it static axes, or call model.build([…]) first)");
    const features = () => new Sequential([new GRU(5, { returnSequences: true })], { inputShape: [null, 3], seed: 18 });
    expect(() => features().build([4, 2])).toThrow("Sequential 'sequential': per-example inputs [4, 2] do not fill in its inputShape [null, 3]");
    const built = features();
    built.build([4, 3]);
    expect(built.outputShape).toEqual([4, 5]);
    expect(built.outputShapesFor([[11, 3]])).toEqual([[11, 5]]);
  });
});
