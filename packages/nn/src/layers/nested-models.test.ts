import '@symgrad/backend-cpu';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { modelFromJSON, modelFromWeights, modelToJSON, saveWeights } from '../io/checkpoint.js';
import { adam } from '../optimizers/adam.js';
import { Trainer } from '../train/trainer.js';
import { Dense } from './dense.js';
import { Embedding } from './embedding.js';
import { FunctionalModel } from './functional.js';
import { Concatenate, Subtract } from './merge.js';
import { GlobalAveragePooling1D } from './pooling.js';
import { LSTM } from './recurrent.js';
import { Sequential } from './sequential.js';
import { Input } from './symbolic-tensor.js';

describe('models as layers', () => {
  it('a Sequential applied to two Inputs is one encoder with shared weights (a siamese model), computing what it computes alone', async () => {
    const rng = new TestRandom(1);
    const encoder = new Sequential([new Dense(6, { activation: 'tanh' }), new Dense(3)], { inputShape: [5], seed: 2, name: 'encoder' });
    const [a, b] = [new Input([5], { name: 'a' }), new Input([5], { name: 'b' })];
    const head = new Dense(1, { name: 'head' });
    const model = new FunctionalModel({ inputs: [a, b], outputs: head.apply(new Subtract().apply([encoder.apply(a), encoder.apply(b)])) }, { seed: 3 });
    expect(model.parameters().map((p) => p.name)).toEqual(['dense_0/kernel', 'dense_0/bias', 'dense_1/kernel', 'dense_1/bias', 'head/kernel', 'head/bias']);
    expect(model.summary()).toContain('encoder (Sequential)      [null, 3]          57   a');
    expect(model.summary()).toContain('encoder[1] (Sequential)   [null, 3]      shared   b');
    const [va, vb] = [T.matrix('a'), T.matrix('b')];
    const [xa, xb] = [rng.array([7, 5], 'float32', -1, 1), rng.array([7, 5], 'float32', -1, 1)];
    const got = await fn([va, vb], model.apply([va, vb]))(xa, xb);
    const want = await fn([va, vb], head.call(T.sub(encoder.apply(va), encoder.apply(vb))))(xa, xb);
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    // Saved and loaded back, the nested model comes back as a nested model, weights included.
    expect(modelFromJSON(modelToJSON(model)).toConfig()).toEqual(model.toConfig());
    const loaded = modelFromWeights(await saveWeights(model)) as FunctionalModel;
    expect(Array.from((await fn([va, vb], loaded.apply([va, vb]))(xa, xb)).data)).toEqual(Array.from(got.data));
  });

  it('trains the shared encoder through both calls with the Trainer', async () => {
    const rng = new TestRandom(2);
    const n = 256;
    const [xa, xb] = [rng.array([n, 4], 'float32', -1, 1), rng.array([n, 4], 'float32', -1, 1)];
    // Which of the pair has the larger first feature: symmetric, so a shared encoder suits it.
    const labels = new NDArray('int32', [n], Int32Array.from({ length: n }, (_, r) => (xa.data[r * 4]! > xb.data[r * 4]! ? 1 : 0)));
    const encoder = new Sequential([new Dense(16, { activation: 'relu' })], { inputShape: [4], name: 'encoder' });
    const [a, b] = [new Input([4]), new Input([4])];
    const model = new FunctionalModel({ inputs: [a, b], outputs: new Dense(2).apply(new Concatenate().apply([encoder.apply(a), encoder.apply(b)])) }, { seed: 1 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.02 }), metrics: ['accuracy'] });
    const history = await trainer.fit({ x: [xa, xb], y: labels }, { epochs: 20, batchSize: 32, seed: 1 });
    expect(history.epochs.at(-1)!.accuracy).toBeGreaterThan(0.9);
    trainer.dispose();
  });

  it('a functional model of two outputs nests with asLayer().applyAll, and models stand in a Sequential\'s list', async () => {
    const rng = new TestRandom(3);
    const x = new Input([4], { name: 'x' });
    const h = new Dense(5, { activation: 'relu', name: 'trunk' }).apply(x);
    const inner = new FunctionalModel({ inputs: x, outputs: [new Dense(2, { name: 'left' }).apply(h), new Dense(3, { name: 'right' }).apply(h)] }, { name: 'split', seed: 4 });
    const outer = new Input([4], { name: 'features' });
    const [l, r] = inner.asLayer().applyAll(outer);
    const model = new FunctionalModel({ inputs: outer, outputs: new Concatenate().apply([l!, r!]) }, { seed: 5 });
    const X = T.matrix('x');
    const data = rng.array([6, 4], 'float32', -1, 1);
    const got = await fn([X], model.apply(X))(data);
    const parts = await fn([X], inner.applyOutputs(X))(data);
    for (let row = 0; row < 6; row++) {
      expect(Array.from(got.data.subarray(row * 5, row * 5 + 5))).toEqual([...Array.from(parts[0]!.data.subarray(row * 2, row * 2 + 2)), ...Array.from(parts[1]!.data.subarray(row * 3, row * 3 + 3))]);
    }
    // A Sequential of a (single-output) functional model and a Sequential.
    const base = new FunctionalModel({ inputs: x, outputs: h }, { name: 'base' });
    const top = new Sequential([new Dense(2, { name: 'top_dense' })], { name: 'top' });
    const stack = new Sequential([base, top], { inputShape: [4] });
    expect(stack.layers.map((layer) => layer.describe())).toEqual(["FunctionalModel 'base'", "Sequential 'top'"]);
    const want = await fn([X], top.apply(base.apply(X)))(data);
    expect(relativeError((await fn([X], stack.apply(X))(data)).data, want.data)).toBe(0);
  });

  it('masks pass through a nested model: a recurrent encoder of ids skips padding', async () => {
    const encoder = new Sequential([new Embedding(9, 3, { maskZero: true }), new LSTM(4, { returnSequences: true })], { inputShape: [6], name: 'encoder', seed: 2 });
    const ids = new Input([6], { dtype: 'int32' });
    const model = new FunctionalModel({ inputs: ids, outputs: new GlobalAveragePooling1D().apply(encoder.apply(ids)) });
    const v = T.imatrix('ids');
    const f = fn([v], model.apply(v));
    const [padded, bare] = [await f(new NDArray('int32', [1, 6], Int32Array.of(4, 7, 2, 0, 0, 0))), await f(new NDArray('int32', [1, 6], Int32Array.of(4, 7, 2, 5, 5, 5)))];
    // The mean over the three real steps, not six.
    const steps = await fn([v], encoder.apply(v))(new NDArray('int32', [1, 6], Int32Array.of(4, 7, 2, 0, 0, 0)));
    const mean = [0, 1, 2, 3].map((u) => (steps.data[u]! + steps.data[4 + u]! + steps.data[8 + u]!) / 3);
    expect(relativeError(padded.data, mean)).toBeLessThan(1e-6);
    expect(relativeError(padded.data, bare.data)).toBeGreaterThan(1e-3);
  });

  it('names what is wrong', () => {
    const x = new Input([5], { name: 'x' });
    const [p, q] = [new Sequential([new Dense(2)], { inputShape: [5], name: 'p' }), new Sequential([new Dense(2)], { inputShape: [5], name: 'q' })];
    expect(() => new FunctionalModel({ inputs: x, outputs: new Concatenate().apply([p.apply(x), q.apply(x)]) })).toThrow("FunctionalModel 'model': Sequential 'p' and Sequential 'q' both have a variable named 'dense_0/kernel' (nested models whose layers have the same names); name the layers of one of them (new Dense(8, { name: 'head_dense' }))");
    const [s1, s2] = [new Sequential([new Dense(2, { name: 'u' })], { inputShape: [5] }), new Sequential([new Dense(2, { name: 'w' })], { inputShape: [5] })];
    expect(() => new FunctionalModel({ inputs: x, outputs: new Concatenate().apply([s1.apply(x), s2.apply(x)]) })).toThrow("FunctionalModel 'model': two layers are named 'sequential'; layer names must be unique (they name the parameters)");
    const wide = new Input([7], { name: 'wide' });
    expect(() => new FunctionalModel({ inputs: wide, outputs: p.apply(wide) })).toThrow(/^FunctionalModel 'model': Sequential 'p': cannot take inputs of per-example shape \[7\] \(built for \[5\]\): Dense 'dense_0' was built for inputs of per-example shape \[5\], not \[7\]; its weights do not fit inputs of that shape \(built at /);
    // An outer layer named like a layer of a nested model would share its parameters' names.
    expect(() => new FunctionalModel({ inputs: x, outputs: new Dense(1, { name: 'dense_0' }).apply(p.apply(x)) })).toThrow("FunctionalModel 'model': a layer and a layer of Sequential 'p' are both named 'dense_0'; names must be unique (they identify the model's tensors)");
    const two = new FunctionalModel({ inputs: [x, new Input([3], { name: 'y' })], outputs: x }, { name: 'two' });
    const grid = new Input([7, 2], { name: 'grid' });
    expect(() => new FunctionalModel({ inputs: grid, outputs: two.apply([grid, grid]) })).toThrow(/^FunctionalModel 'model': FunctionalModel 'two' takes per-example inputs \[5\], \[3\], got \[7, 2\], \[7, 2\] \(built at /);
    expect(() => two.apply(wide)).toThrow("FunctionalModel 'two'.apply: takes 2 inputs, got 1");
    expect(() => two.asLayer().callOutputs([T.matrix('m')])).toThrow("FunctionalModel 'two': the model takes 2 inputs, got 1");
  });
});
