import '@symgrad/backend-cpu';
import { fn, NDArray, T } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { ReLU, Sigmoid, Softmax, Tanh, activation } from './activation.js';
import { Dense, Flatten } from './dense.js';
import { Dropout } from './dropout.js';
import { nameStem } from './layer.js';
import { layerFromConfig, registerLayer } from './registry.js';
import { Sequential } from './sequential.js';

describe('Sequential', () => {
  it('names layers and parameters by kind and position', () => {
    const model = new Sequential([new Dense(4, { activation: 'relu' }), new Dropout(0.5), new Dense(3, { name: 'head' }), new Dense(2)], { inputShape: [5] });
    expect(model.layers.map((l) => l.name)).toEqual(['dense_0', 'dropout_0', 'head', 'dense_1']);
    expect(model.parameters().map((p) => p.name)).toEqual(['dense_0/kernel', 'dense_0/bias', 'head/kernel', 'head/bias', 'dense_1/kernel', 'dense_1/bias']);
    expect(model.parameters().map((p) => p.shape)).toEqual([[5, 4], [4], [4, 3], [3], [3, 2], [2]]);
    expect(nameStem('ReLU')).toBe('relu');
    expect(nameStem('BatchNorm')).toBe('batch_norm');
  });

  it('summary is a table of layer, output shape and parameter count', () => {
    const model = new Sequential([new Dense(256, { activation: 'relu' }), new Dense(10), new Softmax()], { inputShape: [784] });
    expect(model.summary()).toBe([
      'Model: sequential',
      'Layer (type)          Output shape    Params',
      '-------------------   ------------   -------',
      'dense_0 (Dense)       [null, 256]    200,960',
      'dense_1 (Dense)       [null, 10]       2,570',
      'softmax_0 (Softmax)   [null, 10]           0',
      '-------------------   ------------   -------',
      'Total params: 203,530',
    ].join('\n'));
    expect(model.countParameters()).toBe(203_530);
  });

  it('apply is symbolic and computes relu(x·W + b)', async () => {
    const dense = new Dense(2, { activation: 'relu' });
    const model = new Sequential([dense], { inputShape: [3] });
    dense.kernel.set([[1, -1], [2, 0], [0, 1]]);
    dense.bias!.set([0.5, -0.5]);
    const x = T.matrix('x');
    const out = model.apply(x);
    expect(out.shape).toEqual([null, 2]);
    const y = await fn([x], out)([[1, 1, 1], [0, 0, 0]]);
    expect(y.toArray()).toEqual([[3.5, 0], [0.5, 0]]);
  });

  it('Dense maps inputs of more axes on their last axis, as each row alone', async () => {
    const dense = new Dense(3, { activation: 'tanh' });
    const model = new Sequential([dense], { inputShape: [2, 5, 4] });
    expect(model.outputShape).toEqual([2, 5, 3]);
    expect(dense.kernel.shape).toEqual([4, 3]);
    dense.bias!.set(new NDArray('float32', [3], Float32Array.from([0.1, -0.2, 0.3])));
    const x = NDArray.from(Array.from({ length: 3 * 2 * 5 * 4 }, (_, i) => Math.sin(i)), 'float32').reshape([3, 2, 5, 4]);
    const X = T.tensor('float32', [null, 2, 5, 4], 'x');
    const got = await fn([X], model.apply(X))(x);
    expect(got.shape).toEqual([3, 2, 5, 3]);
    const w = dense.kernel.get().data;
    for (let r = 0; r < 30; r++) {
      for (let u = 0; u < 3; u++) {
        let acc = [0.1, -0.2, 0.3][u]!;
        for (let f = 0; f < 4; f++) acc += x.data[r * 4 + f]! * w[f * 3 + u]!;
        expect(got.data[r * 3 + u]).toBeCloseTo(Math.tanh(acc), 6);
      }
    }
  });

  it('builds lazily from the first input and flattens', async () => {
    const model = new Sequential([new Flatten(), new Dense(2, { useBias: false, kernelInitializer: 'zeros' })]);
    expect(() => model.parameters()).toThrow("Sequential 'sequential' is not built yet: give it an inputShape");
    const x = T.tensor('float32', [null, 2, 3], 'x');
    const out = model.apply(x);
    expect(model.inputShape).toEqual([2, 3]);
    expect(model.parameters().map((p) => p.shape)).toEqual([[6, 2]]);
    const y = await fn([x], out)(NDArray.zeros([4, 2, 3]));
    expect(y.shape).toEqual([4, 2]);
  });

  it('activation layers', async () => {
    const x = T.matrix('x');
    const f = (l: ReLU | Sigmoid | Tanh | Softmax) => fn([x], new Sequential([l], { inputShape: [2] }).apply(x));
    expect((await f(new ReLU())([[-1, 2]])).toArray()).toEqual([[0, 2]]);
    expect((await f(new Sigmoid())([[0, 0]])).toArray()).toEqual([[0.5, 0.5]]);
    expect((await f(new Tanh())([[0, 0]])).toArray()).toEqual([[0, 0]]);
    expect((await f(new Softmax())([[1, 1]])).toArray()).toEqual([[0.5, 0.5]]);
  });

  it('the same seed gives the same initial weights; another seed others', () => {
    const make = (seed: number) => new Sequential([new Dense(3), new Dense(2)], { inputShape: [4], seed });
    const a = make(1).parameters().map((p) => [...p.get().data]);
    const b = make(1).parameters().map((p) => [...p.get().data]);
    const c = make(2).parameters().map((p) => [...p.get().data]);
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(c[0]);
    expect(a[0]).not.toEqual(a[2]!.slice(0, 12));
  });

  it('round-trips its configuration as JSON', () => {
    const model = new Sequential([new Dense(8, { activation: 'tanh', kernelInitializer: 'heNormal', seed: 3 }), new Dropout(0.25, { seed: 9 }), new Dense(2, { useBias: false }), new Sigmoid()], { inputShape: [4], seed: 7, name: 'net' });
    const copy = Sequential.fromConfig(JSON.stringify(model.toConfig()));
    expect(copy.toConfig()).toEqual(model.toConfig());
    expect(copy.parameters().map((p) => [...p.get().data])).toEqual(model.parameters().map((p) => [...p.get().data]));
  });

  it('errors name the problem', () => {
    expect(() => new Sequential([{} as never])).toThrow('Sequential: element 0 is not a layer');
    expect(() => new Sequential(new Dense(2) as never)).toThrow('Sequential: expected an array of layers, got an object');
    expect(() => new Sequential(undefined as never)).toThrow('Sequential: expected an array of layers, got undefined');
    expect(() => new Sequential([new Dense(2)], { seed: 1.5 })).toThrow('Sequential: seed must be a safe integer, got 1.5');
    expect(() => new Sequential([new Dense(2, { name: 'a' }), new Dense(2, { name: 'a' })])).toThrow("Sequential 'sequential': two layers are named 'a'; layer names must be unique");
    expect(() => new Sequential([new Dense(2)], { inputShape: [0] })).toThrow("Sequential 'sequential': inputShape must be an array of positive integers");
    expect(() => new Sequential([new Dense(2)], { inputShape: [] })).toThrow("Dense 'dense_0' expects inputs of shape [batch, …, features], got per-example shape []: reshape scalars to [1]");
    const model = new Sequential([new Dense(2)], { inputShape: [3] });
    expect(() => model.apply(T.matrix('x', { shape: [null, 4] }))).toThrow("Sequential 'sequential': cannot take 'x' (float32[?, 4]) (built for [3]): Dense 'dense_0' was built for inputs of per-example shape [3], not [4]; its weights do not fit inputs of that shape");
    expect(() => model.apply(T.vector('v'))).toThrow("Sequential 'sequential': expected input of shape [null, 3]");
    expect(() => new Sequential([new Dense(2)]).apply(T.matrix('x'))).toThrow("cannot infer the input shape from 'x' (float32[?, ?]); give the model an inputShape");
    expect(() => new Dense(0)).toThrow('Dense: units must be a positive integer, got 0');
    expect(() => new Dense(2, { activation: 'gelu' as never })).toThrow('unknown activation "gelu": use one of linear, relu, sigmoid, tanh, softmax');
    expect(() => new Dense(2, { kernelInitializer: 'ones' as never })).toThrow('Dense: unknown initializer "ones": use one of glorotUniform, glorotNormal, heUniform, heNormal, orthogonal, uniform, zeros, or a function (shape, { seed }) => NDArray');
    expect(() => activation('swish' as never)).toThrow('unknown activation "swish"');
    expect(() => new Dense(2, { name: 'a/b' })).toThrow("layer name must be a non-empty string without '/'");
    expect(() => new Dense(2).kernel).toThrow("Dense is not built yet, so it has no kernel");
    expect(() => new Dense(2).call(T.matrix('x'))).toThrow('Dense is not built yet: add it to a model with an inputShape');
    expect(() => layerFromConfig({ className: 'Conv3D', config: {} })).toThrow("layerFromConfig: unknown layer class 'Conv3D': register it with registerLayer");
    expect(() => layerFromConfig({ className: 'Conv2D', config: {} })).toThrow('Conv2D: filters must be a positive integer, got NaN');
    expect(() => Sequential.fromConfig('{')).toThrow('Sequential.fromConfig: the model configuration is not valid JSON');
    expect(() => Sequential.fromConfig('{}')).toThrow("Sequential.fromConfig: not a symgrad-nn model configuration (expected format 'symgrad-nn/model')");
    expect(() => Sequential.fromConfig('{"format":"symgrad-nn/model","version":2}')).toThrow('Sequential.fromConfig: unsupported configuration version 2');
    expect(() => Sequential.fromConfig('{"format":"symgrad-nn/model","version":1,"className":"Sequential","config":{}}')).toThrow('Sequential.fromConfig: config.layers must be an array');
    const shared = new Dense(2);
    new Sequential([shared], { inputShape: [3] });
    expect(() => new Sequential([shared], { inputShape: [4] })).toThrow("Dense 'dense_0' was built for inputs of per-example shape [3], not [4]; its weights do not fit inputs of that shape");
    expect(() => model.build([4])).toThrow("Sequential 'sequential' is built for per-example inputs [3], not [4]");
    expect(() => model.build([3, 0])).toThrow("Sequential 'sequential': inputShape must be an array of positive integers (without the batch axis), got [3, 0]");
    expect(() => Sequential.fromConfig('{"format":"symgrad-nn/model","version":2}')).toThrow('Sequential.fromConfig: unsupported configuration version 2 (this release reads version 1)');
    expect(() => new Dense(2).bias).toThrow('Dense is not built yet, so it has no bias');
    expect(() => model.apply(5 as never)).toThrow("Sequential 'sequential'.apply: x must be a symbolic variable");
    expect(() => Sequential.fromConfig('{"format":"symgrad-nn/model","version":1,"className":"Functional"}')).toThrow('Sequential.fromConfig: unsupported model class "Functional"');
    expect(() => layerFromConfig(null as never)).toThrow('layerFromConfig: expected { className, config }, got null');
    expect(() => registerLayer('', () => new Dense(1))).toThrow('registerLayer: className must be a non-empty string');
    expect(() => { new Dropout(0.5).streamPosition = 3; }).toThrow('Dropout is not built yet');
  });
});
