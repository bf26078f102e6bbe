import '@symgrad/backend-cpu';
import { verifyGrad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { adam } from '../optimizers/adam.js';
import { Trainer } from '../train/trainer.js';
import { Dense } from './dense.js';
import { Embedding } from './embedding.js';
import { make, reference, type Kind } from '../testing-fixtures/recurrent-reference.js';
import { GRU, LSTM, SimpleRNN, type GRUOptions, type LSTMOptions } from './recurrent.js';
import { randomStateUpdates } from './layer.js';
import { Sequential } from './sequential.js';

// Awkward sizes: one example, one step, one feature, one unit; primes; both GRU forms; no bias.
const CASES: readonly { kind: Kind; batch: number; steps: number; features: number; units: number; o: LSTMOptions & GRUOptions }[] = [
  { kind: 'SimpleRNN', batch: 1, steps: 1, features: 1, units: 1, o: {} },
  { kind: 'SimpleRNN', batch: 3, steps: 7, features: 5, units: 3, o: { returnSequences: true } },
  { kind: 'SimpleRNN', batch: 2, steps: 4, features: 2, units: 5, o: { goBackwards: true, useBias: false } },
  { kind: 'LSTM', batch: 2, steps: 5, features: 3, units: 4, o: {} },
  { kind: 'LSTM', batch: 1, steps: 1, features: 2, units: 3, o: { returnSequences: true } },
  { kind: 'LSTM', batch: 3, steps: 6, features: 1, units: 7, o: { returnSequences: true, goBackwards: true, unitForgetBias: false } },
  { kind: 'LSTM', batch: 2, steps: 3, features: 4, units: 2, o: { useBias: false } },
  { kind: 'GRU', batch: 2, steps: 6, features: 3, units: 5, o: {} },
  { kind: 'GRU', batch: 3, steps: 4, features: 2, units: 3, o: { resetAfter: false, returnSequences: true } },
  { kind: 'GRU', batch: 1, steps: 1, features: 3, units: 2, o: { resetAfter: false } },
  { kind: 'GRU', batch: 2, steps: 5, features: 2, units: 4, o: { goBackwards: true, returnSequences: true, useBias: false } },
];

describe('recurrent layers against float64 step-by-step equations', () => {
  for (const t of CASES) {
    it(`${t.kind}(${t.units}) on ${t.batch} × [${t.steps}, ${t.features}] ${JSON.stringify(t.o)}`, async () => {
      const rng = new TestRandom(t.steps * 31 + t.features * 7 + t.units + t.batch);
      const layer = make(t.kind, t.units, { ...t.o, seed: 3 });
      const model = new Sequential([layer], { inputShape: [t.steps, t.features] });
      if (layer.bias) layer.bias.set(rng.array(layer.bias.shape as number[], 'float32', -0.5, 0.5));
      const x = rng.array([t.batch, t.steps, t.features], 'float32', -1.5, 1.5);
      const X = T.tensor('float32', [null, t.steps, t.features], 'x');
      const got = await fn([X], model.apply(X))(x);
      const want = reference(t.kind, x, layer.kernel.get(), layer.recurrentKernel.get(), layer.bias?.get(), t.o);
      expect(got.shape).toEqual(want.shape);
      expect(model.outputShape).toEqual(want.shape.slice(1));
      expect(relativeError(got.data, want.out)).toBeLessThan(1e-5);
    });
  }

  const dropoutCases: readonly { kind: Kind; batch: number; steps: number; features: number; units: number; o: LSTMOptions & GRUOptions & { recurrentDropout: number } }[] = [
    { kind: 'SimpleRNN', batch: 3, steps: 4, features: 5, units: 3, o: { dropout: 0.3, recurrentDropout: 0.5 } },
    { kind: 'LSTM', batch: 2, steps: 5, features: 3, units: 4, o: { recurrentDropout: 0.4, returnSequences: true } },
    { kind: 'GRU', batch: 3, steps: 3, features: 4, units: 5, o: { dropout: 0.5, recurrentDropout: 0.25 } },
    { kind: 'GRU', batch: 2, steps: 4, features: 2, units: 3, o: { dropout: 0.2, recurrentDropout: 0.6, resetAfter: false, goBackwards: true } },
  ];
  for (const t of dropoutCases) {
    it(`in training, ${t.kind} ${JSON.stringify(t.o)} drops inputs and the recurrent state with one mask per sequence (float64 equations with the same draws)`, async () => {
      const rng = new TestRandom(t.steps * 13 + t.units);
      const layer = make(t.kind, t.units, { ...t.o, seed: 5 });
      const model = new Sequential([layer], { inputShape: [t.steps, t.features] });
      const x = rng.array([t.batch, t.steps, t.features], 'float32', -1.5, 1.5);
      const X = T.tensor('float32', [null, t.steps, t.features], 'x');
      const state = layer.dropoutState!;
      const before = state.get();
      // The layer's draws, repeated: [batch, features] for the inputs (if dropped), then [batch, units] for the state.
      const p = t.o.dropout ?? 0;
      const inputDraw = p > 0 ? T.random.uniform(T.constant(before), [t.batch, t.features]) : undefined;
      const stateDraw = T.random.uniform(inputDraw?.next ?? T.constant(before), [t.batch, t.units]);
      const keep = (u: typeof stateDraw, rate: number) => T.where(T.lt(u.values, 1 - rate), 1 / (1 - rate), 0);
      const [inputMask, stateMask] = await fn([], [inputDraw ? keep(inputDraw, p) : T.constant(0), keep(stateDraw, t.o.recurrentDropout)])();
      const out = model.apply(X, { training: true });
      const updates = randomStateUpdates(out);
      expect(updates.map(([s]) => s)).toEqual([state]);
      const train = fn([X], out, { updates });
      const got = await train(x);
      const want = reference(t.kind, x, layer.kernel.get(), layer.recurrentKernel.get(), layer.bias?.get(), t.o, { ...(p > 0 ? { input: inputMask } : {}), state: stateMask });
      expect(relativeError(got.data, want.out)).toBeLessThan(1e-5);
      // The state moved on: the next call draws other masks; evaluation drops nothing.
      expect(Array.from(state.get().data)).not.toEqual(Array.from(before.data));
      expect(relativeError((await train(x)).data, got.data)).toBeGreaterThan(1e-3);
      const evaluated = await fn([X], model.apply(X))(x);
      expect(relativeError(evaluated.data, reference(t.kind, x, layer.kernel.get(), layer.recurrentKernel.get(), layer.bias?.get(), t.o).out)).toBeLessThan(1e-5);
    });
  }

  it('start from Keras\'s initial weights: glorot kernels, orthogonal recurrent kernels, the LSTM forget bias at 1', () => {
    const lstm = new LSTM(3, { seed: 2 });
    new Sequential([lstm], { inputShape: [4, 5] });
    expect(lstm.kernel.shape).toEqual([5, 12]);
    expect(lstm.recurrentKernel.shape).toEqual([3, 12]);
    expect(Array.from(lstm.bias!.get().data)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    // A wide orthogonal matrix: its rows are orthonormal.
    const u = lstm.recurrentKernel.get().data;
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        let d = 0;
        for (let j = 0; j < 12; j++) d += u[a * 12 + j]! * u[b * 12 + j]!;
        expect(Math.abs(d - (a === b ? 1 : 0))).toBeLessThan(1e-6);
      }
    }
    const gru = new GRU(2, { seed: 1 });
    new Sequential([gru], { inputShape: [3, 1] });
    expect(gru.bias!.shape).toEqual([2, 6]);
    const classic = new GRU(2, { resetAfter: false });
    new Sequential([classic], { inputShape: [3, 1] });
    expect(classic.bias!.shape).toEqual([6]);
    expect(new Sequential([new LSTM(2, { unitForgetBias: false })], { inputShape: [2, 2] }).parameters().map((p) => Array.from(p.get().data).every((v) => v === 0))).toEqual([false, false, true]);
  });

  it('have gradients that match finite differences through every step', async () => {
    const rng = new TestRandom(12);
    for (const layer of [new SimpleRNN(3, { seed: 1, goBackwards: true }), new LSTM(3, { seed: 2, returnSequences: true }), new GRU(2, { seed: 3 }), new GRU(3, { seed: 4, resetAfter: false, returnSequences: true })]) {
      const model = new Sequential([layer], { inputShape: [4, 3] });
      if (layer.bias) layer.bias.set(rng.array(layer.bias.shape as number[], 'float32', -0.5, 0.5));
      const weights = rng.array([2, ...model.outputShape], 'float64', -1, 1);
      await verifyGrad((x) => T.sum(T.mul(layer.call(x), T.constant(weights))), [rng.array([2, 4, 3], 'float64', -1, 1)], { rtol: 1e-4 });
    }
  });

  it('an LSTM learns to remember the first of eight numbers; a GRU after an Embedding learns token order', async () => {
    const rng = new TestRandom(40);
    const x = rng.array([128, 8, 1], 'float32', -1, 1);
    const labels = Int32Array.from({ length: 128 }, (_, i) => (x.data[i * 8]! > 0 ? 1 : 0));
    const model = new Sequential([new LSTM(8), new Dense(2)], { inputShape: [8, 1], seed: 5 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.03 }), metrics: ['accuracy'] });
    const history = await trainer.fit({ x, y: new NDArray('int32', [128], labels) }, { epochs: 40, batchSize: 32, seed: 1 });
    expect(history.epochs.at(-1)!.loss).toBeLessThan(history.epochs[0]!.loss! * 0.5);
    expect(history.epochs.at(-1)!.accuracy).toBeGreaterThan(0.9);
    // Sequences of two tokens a, b in [0, 4): class 1 where a < b, which needs their order.
    const ids = new Int32Array(64 * 2);
    const order = new Int32Array(64);
    for (let i = 0; i < 64; i++) {
      const [a, b] = [i % 4, Math.floor(i / 4) % 4];
      ids.set([a, b], 2 * i);
      order[i] = a < b ? 1 : 0;
    }
    const tokens = new Sequential([new Embedding(4, 4), new GRU(6), new Dense(2)], { inputShape: [2], seed: 2 });
    const t2 = new Trainer(tokens, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.05 }), metrics: ['accuracy'] });
    const h2 = await t2.fit({ x: new NDArray('int32', [64, 2], ids), y: new NDArray('int32', [64], order) }, { epochs: 60, batchSize: 16, seed: 2 });
    expect(h2.epochs.at(-1)!.accuracy).toBeGreaterThan(0.95);
  });

  it('rebuild from their configuration, and count their weights', () => {
    const model = new Sequential([
      new GRU(6, { returnSequences: true, resetAfter: false, seed: 4 }), new LSTM(4, { goBackwards: true, recurrentActivation: 'tanh', returnSequences: true, dropout: 0.25, recurrentDropout: 0.5 }), new SimpleRNN(2, { activation: 'relu', useBias: false }),
    ], { inputShape: [5, 3] });
    expect(() => model.layers[2]!.call(T.tensor('float32', [null, 5, 3], 'x'))).toThrow("SimpleRNN 'simplernn_0': expected a batch of per-example shape [null, 4] (any steps), got 'x' (float32[?, 5, 3])");
    expect(() => model.layers[2]!.call(T.matrix('m'))).toThrow("SimpleRNN 'simplernn_0': expected a batch of per-example shape [null, 4] (any steps), got 'm' (float32[?, ?])");
    const copy = Sequential.fromConfig(JSON.stringify(model.toConfig()));
    expect(copy.toConfig()).toEqual(model.toConfig());
    expect(model.toConfig().config.layers).toEqual([
      { className: 'GRU', config: { units: 6, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: false, useBias: true, returnSequences: true, goBackwards: false, seed: 4, name: 'gru_0' } },
      { className: 'LSTM', config: { units: 4, activation: 'tanh', recurrentActivation: 'tanh', unitForgetBias: true, useBias: true, returnSequences: true, goBackwards: true, dropout: 0.25, recurrentDropout: 0.5, name: 'lstm_0' } },
      { className: 'SimpleRNN', config: { units: 2, activation: 'relu', useBias: false, returnSequences: false, goBackwards: false, name: 'simplernn_0' } },
    ]);
    expect(model.layers.map((l) => l.outputShape)).toEqual([[5, 6], [5, 4], [2]]);
    expect(model.countParameters()).toBe((3 * 18 + 6 * 18 + 18) + (6 * 16 + 4 * 16 + 16) + (4 * 2 + 2 * 2));
    expect(model.parameters().map((p) => p.name)).toEqual([
      'gru_0/kernel', 'gru_0/recurrent_kernel', 'gru_0/bias', 'lstm_0/kernel', 'lstm_0/recurrent_kernel', 'lstm_0/bias', 'simplernn_0/kernel', 'simplernn_0/recurrent_kernel',
    ]);
  });

  it('name what is wrong', () => {
    expect(() => new LSTM(0)).toThrow('LSTM: units must be a positive integer, got 0');
    expect(() => new GRU(2.5)).toThrow('GRU: units must be a positive integer, got 2.5');
    expect(() => new LSTM(2, { dropout: 1 })).toThrow('LSTM: dropout must be a number in [0, 1), got 1');
    expect(() => new SimpleRNN(2, { recurrentDropout: -0.1 })).toThrow('SimpleRNN: recurrentDropout must be a number in [0, 1), got -0.1');
    expect(() => new SimpleRNN(2, { activation: 'swish' as never })).toThrow('SimpleRNN: activation: unknown activation "swish": use one of linear, relu, sigmoid, tanh, softmax');
    expect(() => new LSTM(2, { recurrentActivation: 'hard' as never })).toThrow('LSTM: recurrentActivation: unknown activation "hard"');
    expect(() => new GRU(2, { recurrentInitializer: 'identity' as never })).toThrow('GRU: unknown initializer "identity"');
    expect(() => new Sequential([new LSTM(2)], { inputShape: [5] })).toThrow("LSTM 'lstm_0' expects per-example inputs [timesteps, features], got [5]");
    expect(() => new LSTM(2).kernel).toThrow('LSTM is not built yet, so it has no weights');
    const model = new Sequential([new GRU(2)], { inputShape: [3, 2] });
    expect(() => model.apply(T.tensor('int32', [null, 3, 2], 'ids'))).toThrow("GRU 'gru_0': expects float inputs, got 'ids' (int32[?, 3, 2])");
  });
});
