import '@symgrad/backend-cpu';
import { grad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { modelFromJSON, modelFromWeights, modelToJSON, saveWeights } from '../io/checkpoint.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { FunctionalModel } from './functional.js';
import { randomStateUpdates } from './layer.js';
import { Add, Concatenate } from './merge.js';
import { LayerNormalization } from './normalization.js';
import { GlobalAveragePooling1D } from './pooling.js';
import { LSTM } from './recurrent.js';
import { Sequential } from './sequential.js';
import { Input } from './symbolic-tensor.js';

/** x · W + b in float64, x [rows, in], W [in, out]. */
function dense(x: ArrayLike<number>, rows: number, layer: Dense, relu = false): Float64Array {
  const [W, b] = layer.parameters().map((p) => p.get());
  const [n, m] = W!.shape as [number, number];
  const out = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < m; j++) {
      let acc = b ? b.data[j]! : 0;
      for (let i = 0; i < n; i++) acc += x[r * n + i]! * W!.data[i * m + j]!;
      out[r * m + j] = relu ? Math.max(acc, 0) : acc;
    }
  }
  return out;
}

describe('FunctionalModel', () => {
  it('a chain of layers gets the names, weights and outputs of the same Sequential', async () => {
    const rng = new TestRandom(1);
    const x = new Input([7]);
    const h = new Dense(5, { activation: 'relu' }).apply(x);
    const y = new Dense(3).apply(new Dropout(0.5).apply(h));
    const model = new FunctionalModel({ inputs: x, outputs: y }, { seed: 4 });
    const seq = new Sequential([new Dense(5, { activation: 'relu' }), new Dropout(0.5), new Dense(3)], { inputShape: [7], seed: 4 });
    expect(model.parameters().map((p) => p.name)).toEqual(seq.parameters().map((p) => p.name));
    model.parameters().forEach((p, i) => expect(Array.from(p.get().data)).toEqual(Array.from(seq.parameters()[i]!.get().data)));
    const X = T.matrix('x');
    const data = rng.array([11, 7], 'float32', -1, 1);
    const [a, b] = [await fn([X], model.apply(X))(data), await fn([X], seq.apply(X))(data)];
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(model.outputShape).toEqual([3]);
    expect(model.inputShapes).toEqual([[7]]);
    expect(model.shapeOf(h)).toEqual([5]);
  });

  it('computes a residual block with a normalization, against float64', async () => {
    const rng = new TestRandom(2);
    for (const [rows, features] of [[1, 1], [13, 6], [5, 17]] as const) {
      const x = new Input([features]);
      const inner = new Dense(features, { activation: 'relu' });
      const y = new Add().apply([x, inner.apply(x)]);
      const model = new FunctionalModel({ inputs: x, outputs: new LayerNormalization({ center: false, scale: false, epsilon: 1e-3 }).apply(y) }, { seed: rows });
      inner.parameters()[1]!.set(rng.array([features], 'float32', -0.5, 0.5));
      const data = rng.array([rows, features], 'float32', -1, 1);
      const X = T.matrix('x');
      const got = await fn([X], model.apply(X))(data);
      const h = dense(data.data, rows, inner, true);
      const want = new Float64Array(rows * features);
      for (let r = 0; r < rows; r++) {
        const v = Array.from({ length: features }, (_, j) => data.data[r * features + j]! + h[r * features + j]!);
        const mean = v.reduce((a, c) => a + c, 0) / features;
        const variance = v.reduce((a, c) => a + (c - mean) ** 2, 0) / features;
        v.forEach((c, j) => (want[r * features + j] = (c - mean) / Math.sqrt(variance + 1e-3)));
      }
      expect(relativeError(got.data, want)).toBeLessThan(1e-5);
    }
  });

  it('takes several inputs in the order of inputs, and a shared layer computes both branches with one set of weights', async () => {
    const rng = new TestRandom(3);
    const a = new Input([4], { name: 'a' });
    const b = new Input([4], { name: 'b' });
    const c = new Input([3], { name: 'c' });
    const shared = new Dense(6, { activation: 'relu' });
    const joined = new Concatenate().apply([shared.apply(a), shared.apply(b), c]);
    const head = new Dense(2);
    const model = new FunctionalModel({ inputs: [a, b, c], outputs: head.apply(joined) }, { seed: 9 });
    expect(model.layers.map((l) => l.name)).toEqual(['dense_0', 'concatenate_0', 'dense_1']);
    expect(model.parameters().map((p) => p.name)).toEqual(['dense_0/kernel', 'dense_0/bias', 'dense_1/kernel', 'dense_1/bias']);
    shared.parameters()[1]!.set(rng.array([6], 'float32', -0.5, 0.5));
    const rows = 7;
    const [xa, xb, xc] = [rng.array([rows, 4], 'float32', -1, 1), rng.array([rows, 4], 'float32', -1, 1), rng.array([rows, 3], 'float32', -1, 1)];
    const vars = [T.matrix('a'), T.matrix('b'), T.matrix('c')];
    const got = await fn(vars, model.apply(vars))(xa, xb, xc);
    const [ha, hb] = [dense(xa.data, rows, shared, true), dense(xb.data, rows, shared, true)];
    const cat = new Float64Array(rows * 15);
    for (let r = 0; r < rows; r++) {
      cat.set(ha.subarray(r * 6, r * 6 + 6), r * 15);
      cat.set(hb.subarray(r * 6, r * 6 + 6), r * 15 + 6);
      for (let j = 0; j < 3; j++) cat[r * 15 + 12 + j] = xc.data[r * 3 + j]!;
    }
    expect(relativeError(got.data, dense(cat, rows, head))).toBeLessThan(1e-5);
    // The shared kernel's gradient is the sum of both branches' (checked against two copies).
    const X = vars;
    const loss = T.sum(model.apply(X));
    const [gShared] = grad(loss, [shared.parameters()[0]!]);
    const copyA = new Dense(6, { activation: 'relu' });
    const copyB = new Dense(6, { activation: 'relu' });
    const twin = new FunctionalModel({ inputs: [a, b, c], outputs: new Dense(2).apply(new Concatenate().apply([copyA.apply(a), copyB.apply(b), c])) });
    [copyA, copyB].forEach((l) => l.parameters().forEach((p, i) => p.set(shared.parameters()[i]!.get())));
    twin.layers[3]!.parameters().forEach((p, i) => p.set(head.parameters()[i]!.get()));
    const twinLoss = T.sum(twin.apply(X));
    const [gA, gB] = grad(twinLoss, [copyA.parameters()[0]!, copyB.parameters()[0]!]);
    const [gs, ga, gb] = await fn(X, [gShared!, gA!, gB!])(xa, xb, xc);
    expect(relativeError(gs!.data, Float64Array.from(ga!.data, (v, i) => v + gb!.data[i]!))).toBeLessThan(1e-5);
  });

  it('passes masks along the graph: a recurrent layer on an Embedding\'s ids skips padding', async () => {
    const ids = new Input([6], { dtype: 'int32' });
    const embed = new Embedding(10, 4, { maskZero: true });
    const lstm = new LSTM(3);
    const model = new FunctionalModel({ inputs: ids, outputs: new Dense(2).apply(lstm.apply(embed.apply(ids))) }, { seed: 2 });
    const x = T.imatrix('ids');
    const f = fn([x], model.apply(x));
    const padded = await f(new NDArray('int32', [2, 6], Int32Array.of(0, 0, 3, 5, 0, 1, 2, 9, 0, 0, 0, 0)));
    const bare = await f(new NDArray('int32', [2, 6], Int32Array.of(3, 5, 1, 0, 0, 0, 0, 0, 0, 0, 2, 9)));
    expect(relativeError(padded.data, bare.data)).toBeLessThan(1e-6);
  });

  it('trains with a Trainer on two inputs, and predicts and evaluates from one NDArray per input', async () => {
    const { Trainer } = await import('../train/trainer.js');
    const { adam } = await import('../optimizers/adam.js');
    const rng = new TestRandom(6);
    const n = 256;
    const left = rng.array([n, 3], 'float32', -1, 1);
    const right = rng.array([n, 3], 'float32', -1, 1);
    // The label says whether the two vectors point the same way: only both inputs together tell.
    const labels = new NDArray('int32', [n], Int32Array.from({ length: n }, (_, r) => ([0, 1, 2].reduce((a, j) => a + left.data[r * 3 + j]! * right.data[r * 3 + j]!, 0) > 0 ? 1 : 0)));
    const l = new Input([3], { name: 'left' });
    const r = new Input([3], { name: 'right' });
    const h = new Dense(32, { activation: 'relu' }).apply(new Concatenate().apply([l, r]));
    const model = new FunctionalModel({ inputs: [l, r], outputs: new Dense(2).apply(new Dense(32, { activation: 'relu' }).apply(h)) }, { seed: 1 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
    const history = await trainer.fit({ x: [left, right], y: labels }, { epochs: 30, batchSize: 32, seed: 2 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss * 0.5);
    const logs = await trainer.evaluate({ x: [left, right], y: labels });
    expect(logs['accuracy']).toBeGreaterThan(0.85);
    const scores = await trainer.predict([left, right], { batchSize: 100 });
    expect(scores.shape).toEqual([n, 2]);
    await expect(trainer.fit({ x: [left, right], y: labels }, { augment: (b) => b })).rejects.toThrow('fit: augment transforms batches of one input, but the data has 2 inputs; augment them before fit');
    await expect(trainer.predict([] as never)).rejects.toThrow('Trainer.predict: x must be an NDArray (or one NDArray per model input)');
    trainer.dispose();
  });

  it('draws a Dropout\'s masks in training and lists its random state', () => {
    const x = new Input([4]);
    const model = new FunctionalModel({ inputs: x, outputs: new Dropout(0.5).apply(x) }, { name: 'drop' });
    const out = model.apply(T.matrix('x'), { training: true });
    expect(randomStateUpdates(out).map(([s]) => s.name)).toEqual(['dropout_0/rng']);
  });

  it('saves its configuration and weights, and loads back a model that computes the same', async () => {
    const rng = new TestRandom(8);
    const a = new Input([5], { name: 'a' });
    const b = new Input([5], { name: 'b' });
    const shared = new Dense(4, { activation: 'tanh', name: 'encoder' });
    const merged = new Add().apply([shared.apply(a), shared.apply(b)]);
    const model = new FunctionalModel({ inputs: [a, b], outputs: [new Dense(2).apply(merged), merged] }, { seed: 3, name: 'pair' });
    const config = model.toConfig();
    expect(config.config.layers.map((l) => [l.className, l.calls])).toEqual([
      ['Dense', [[['a', 0]], [['b', 0]]]],
      ['Add', [[['encoder', 0], ['encoder', 1]]]],
      ['Dense', [[['add_0', 0]]]],
    ]);
    expect(config.config.outputs).toEqual([['dense_0', 0], ['add_0', 0]]);
    const copy = modelFromJSON(modelToJSON(model)) as FunctionalModel;
    expect(copy.toConfig()).toEqual(config);
    const loaded = modelFromWeights(await saveWeights(model)) as FunctionalModel;
    const vars = [T.matrix('a'), T.matrix('b')];
    const [xa, xb] = [rng.array([3, 5], 'float32', -1, 1), rng.array([3, 5], 'float32', -1, 1)];
    const [want, got] = [await fn(vars, model.applyOutputs(vars))(xa, xb), await fn(vars, loaded.applyOutputs(vars))(xa, xb)];
    expect(got.map((g) => Array.from(g.data))).toEqual(want.map((w) => Array.from(w.data)));
    expect(() => model.apply(vars)).toThrow("FunctionalModel 'pair'.apply: the model has 2 outputs; applyOutputs returns them all");
  });

  it('summarizes its inputs and calls with what each reads', () => {
    const a = new Input([5], { name: 'a' });
    const b = new Input([5], { name: 'b' });
    const shared = new Dense(4);
    const model = new FunctionalModel({ inputs: [a, b], outputs: new Add().apply([shared.apply(a), shared.apply(b)]) }, { name: 'pair' });
    expect(model.summary()).toBe([
      'Model: pair',
      'Layer (type)         Output shape   Params   Connected to',
      '------------------   ------------   ------   -------------------',
      'a (Input)            [null, 5]           0',
      'b (Input)            [null, 5]           0',
      'dense_0 (Dense)      [null, 4]          24   a',
      'dense_0[1] (Dense)   [null, 4]      shared   b',
      'add_0 (Add)          [null, 4]           0   dense_0, dense_0[1]',
      '------------------   ------------   ------   -------------------',
      'Total params: 24',
    ].join('\n'));
    expect(model.countParameters()).toBe(24);
  });

  it('names what is wrong while wiring', () => {
    const x = new Input([4], { name: 'x' });
    expect(() => new Input([0])).toThrow('Input: shape must be an array of positive integers or null (an axis of any size), without the batch axis, got [0]');
    expect(() => new Input(5 as never)).toThrow('Input: shape must be an array of positive integers or null (an axis of any size), without the batch axis, got a number');
    expect(() => new Input([2], { dtype: 'int8' as never })).toThrow('Input: dtype must be \'float32\', \'float64\' or \'int32\', got "int8"');
    expect(() => new Input([2], { name: 'a/b' })).toThrow('Input: name must be a non-empty string without \'/\', got "a/b"');
    expect(() => new Dense(2).apply(T.matrix('m') as never)).toThrow("Dense.apply: input 0 must be an Input or another layer's output (a SymbolicTensor), got the Variable 'm' (float32[?, ?]); to compute on a symbolic Variable use a model's apply or the layer's call");
    expect(() => new Dense(2).apply([x, x])).toThrow("Dense.apply: takes 1 input, got 2 (Input 'x' [null, 4] float32, Input 'x' [null, 4] float32)");
    expect(() => new Add().apply(x)).toThrow('Add.apply: takes at least 2 inputs, got 1');
    expect(() => new Add().apply([])).toThrow('Add.apply: takes at least 2 inputs, got 0');
    const y = new Dense(3).apply(x);
    expect(() => new FunctionalModel({ inputs: [], outputs: y })).toThrow("FunctionalModel 'model': inputs is empty; give the model's Input(s)");
    expect(() => new FunctionalModel({ inputs: x, outputs: [] })).toThrow("FunctionalModel 'model': outputs is empty; give the tensors the model returns");
    expect(() => new FunctionalModel({ inputs: [y as never], outputs: y })).toThrow("FunctionalModel 'model': inputs[0] must be an Input, got the output of Dense");
    expect(() => new FunctionalModel({ inputs: [5 as never], outputs: y })).toThrow("FunctionalModel 'model': inputs[0] must be an Input, got a number");
    expect(() => new FunctionalModel({ inputs: [x, x], outputs: y })).toThrow("FunctionalModel 'model': Input 'x' [null, 4] float32 is listed twice in inputs");
    expect(() => new FunctionalModel({ inputs: x, outputs: [T.matrix('m') as never] })).toThrow("FunctionalModel 'model': outputs[0] must be an Input or a layer's output (layer.apply(…)), got the Variable 'm' (float32[?, ?])");
    expect(() => new FunctionalModel(null as never)).toThrow("FunctionalModel 'model': expected { inputs, outputs }, got null");
    expect(() => new FunctionalModel({ inputs: x, outputs: y }, { seed: 0.5 })).toThrow("FunctionalModel 'model': seed must be a safe integer, got 0.5");
    const other = new Input([4]);
    expect(() => new FunctionalModel({ inputs: x, outputs: new Add().apply([x, other]) })).toThrow("FunctionalModel 'model': the outputs depend on Input [null, 4] float32, which is not among the model's inputs (Input 'x' [null, 4] float32)");
    expect(() => new FunctionalModel({ inputs: [x, new Input([2], { name: 'x' })], outputs: y })).toThrow("FunctionalModel 'model': two Inputs are named 'x'");
    expect(() => new FunctionalModel({ inputs: x, outputs: new Dense(2, { name: 'x' }).apply(x) })).toThrow("FunctionalModel 'model': a layer and an Input are both named 'x'; names must be unique (they identify the model's tensors)");
    expect(() => new FunctionalModel({ inputs: x, outputs: new Add().apply([new Dense(2, { name: 'd' }).apply(x), new Dense(2, { name: 'd' }).apply(x)]) })).toThrow("FunctionalModel 'model': two layers are named 'd'; layer names must be unique (they name the parameters)");
    // A shape error surfaces when the model builds, with the call site of the layer that fails.
    expect(() => new FunctionalModel({ inputs: x, outputs: new Add().apply([x, new Dense(3).apply(x)]) })).toThrow(/^FunctionalModel 'model': Add 'add_0': inputs must have one per-example shape, got \[4\], \[3\] \(input 1 differs from input 0\) \(built at .*functional\.test\.ts:\d+:\d+\)$/);
    const seq = new Dense(2);
    new Sequential([seq], { inputShape: [6] });
    expect(() => new FunctionalModel({ inputs: x, outputs: seq.apply(x) })).toThrow(/^FunctionalModel 'model': Dense 'dense_0' was built for inputs of per-example shape \[6\], not \[4\]; its weights do not fit inputs of that shape \(built at /);
  });

  it('names what is wrong when applied', () => {
    const ids = new Input([3], { dtype: 'int32', name: 'ids' });
    const f = new Input([2], { name: 'f' });
    const model = new FunctionalModel({ inputs: [ids, f], outputs: new Concatenate().apply([new GlobalAveragePooling1D().apply(new Embedding(5, 2).apply(ids)), f]) });
    expect(() => model.apply(T.imatrix('i'))).toThrow("FunctionalModel 'model'.apply: the model takes 2 inputs (ids, f), got 1");
    expect(() => model.apply([T.imatrix('i'), T.matrix('m')], { mask: T.matrix('k') })).toThrow("FunctionalModel 'model'.apply: a mask can be given to a model of one input only");
    expect(() => model.apply([T.matrix('i'), T.matrix('m')])).toThrow("FunctionalModel 'model': Input 'ids' [null, 3] int32 expects int32 ids, got 'i' (float32[?, ?])");
    expect(() => model.apply([T.imatrix('i'), T.imatrix('m')])).toThrow("FunctionalModel 'model': Input 'f' [null, 2] float32 expects floats, got 'm' (int32[?, ?])");
    expect(() => model.apply([T.imatrix('i'), T.tensor3('m')])).toThrow("FunctionalModel 'model': Input 'f' [null, 2] float32 expects batches of shape [null, 2], got 'm' (float32[?, ?, ?])");
    expect(() => model.apply([T.imatrix('i'), 3 as never])).toThrow("FunctionalModel 'model'.apply: the batch of Input 'f' [null, 2] float32 must be a symbolic variable, got a number");
    expect(() => model.shapeOf(new Input([1]))).toThrow("FunctionalModel 'model'.shapeOf: Input [null, 1] float32 is not a tensor of this model");
    expect(() => new Sequential([new Dense(2)], { inputShape: [2] }).apply([T.matrix('a')] as never)).toThrow("Sequential 'sequential'.apply: a Sequential model takes one input, got an array of 1; a model of several inputs is a FunctionalModel");
  });

  it('names what is wrong in a configuration', () => {
    const from = (c: unknown) => () => FunctionalModel.fromConfig(c as never);
    const envelope = (config: unknown) => ({ format: 'symgrad-nn/model', version: 1, className: 'FunctionalModel', config });
    expect(from('{')).toThrow(/^FunctionalModel\.fromConfig: the model configuration is not valid JSON/);
    expect(from({ format: 'x' })).toThrow("FunctionalModel.fromConfig: not a symgrad-nn model configuration (expected format 'symgrad-nn/model')");
    expect(from({ format: 'symgrad-nn/model', version: 2 })).toThrow('FunctionalModel.fromConfig: unsupported configuration version 2 (this release reads version 1)');
    expect(from({ ...envelope({}), className: 'Sequential' })).toThrow('FunctionalModel.fromConfig: unsupported model class "Sequential"');
    expect(from(envelope({ inputs: [] }))).toThrow('FunctionalModel.fromConfig: config must have inputs, layers and outputs arrays');
    const inputs = [{ name: 'x', shape: [3], dtype: 'float32' }];
    expect(from(envelope({ inputs, layers: [{ className: 'Dense', config: { units: 2, name: 'd' } }], outputs: [] }))).toThrow('FunctionalModel.fromConfig: layer "d" has no calls array');
    expect(from(envelope({ inputs, layers: [{ className: 'Dense', config: { units: 2, name: 'd' }, calls: [5] }], outputs: [] }))).toThrow("FunctionalModel.fromConfig: each call of Dense 'd' must be an array of tensor references");
    expect(from(envelope({ inputs, layers: [{ className: 'Dense', config: { units: 2, name: 'd' }, calls: [['x']] }], outputs: [] }))).toThrow('FunctionalModel.fromConfig: a tensor reference must be [name, call index] or [name, call index, output index], got "x"');
    expect(from(envelope({ inputs, layers: [{ className: 'Dense', config: { units: 2, name: 'd' }, calls: [[['y', 0]]] }], outputs: [] }))).toThrow("FunctionalModel.fromConfig: call 0 of Dense 'd' reads [[\"y\",0]], which no input or layer call gives");
    expect(from(envelope({ inputs, layers: [{ className: 'Dense', config: { units: 2, name: 'd' }, calls: [[['x', 0]]] }], outputs: [['d', 1]] }))).toThrow('FunctionalModel.fromConfig: output ["d",1] is no input or layer call of the configuration');
    expect(() => modelFromJSON(JSON.stringify({ ...envelope({}), className: 'Graph' }))).toThrow('modelFromConfig: unsupported model class "Graph" (expected \'Sequential\' or \'FunctionalModel\')');
  });
});
