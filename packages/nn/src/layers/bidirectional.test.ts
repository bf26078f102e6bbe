import '@symgrad/backend-cpu';
import { verifyGrad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { modelFromWeights, saveWeights } from '../io/checkpoint.js';
import { Bidirectional, type MergeMode } from './bidirectional.js';
import { Dense } from './dense.js';
import { Embedding } from './embedding.js';
import { randomStateUpdates, type Layer } from './layer.js';
import { GRU, LSTM, SimpleRNN } from './recurrent.js';
import { Sequential } from './sequential.js';
import type { Model } from './model.js';

/** The model's output for float inputs x. */
async function run(model: Model, x: NDArray): Promise<NDArray> {
  const X = T.tensor(x.dtype, [null, ...x.shape.slice(1)], 'x');
  return fn([X], model.apply(X))(x);
}

/** One direction alone, as its own model, with the wrapper's weights of that direction. */
async function direction(wrapper: Bidirectional, which: 'forward' | 'backward', make: () => Layer, x: NDArray): Promise<NDArray> {
  const model = new Sequential([make()], { inputShape: x.shape.slice(1) as number[], seed: 77 });
  wrapper[which].parameters().forEach((p, i) => model.parameters()[i]!.set(p.get()));
  return run(model, x);
}

describe('Bidirectional', () => {
  for (const kind of ['SimpleRNN', 'LSTM', 'GRU'] as const) {
    for (const returnSequences of [false, true]) {
      it(`${kind}${returnSequences ? ', returnSequences' : ''}: the forward layer's output beside a backwards copy's (own weights), in step order`, async () => {
        const make = (goBackwards = false) => (kind === 'SimpleRNN' ? new SimpleRNN(3, { returnSequences, goBackwards }) : kind === 'LSTM' ? new LSTM(3, { returnSequences, goBackwards }) : new GRU(3, { returnSequences, goBackwards }));
        const wrapper = new Bidirectional(make());
        const model = new Sequential([wrapper], { inputShape: [5, 2], seed: 3 });
        expect(model.outputShape).toEqual(returnSequences ? [5, 6] : [6]);
        expect(wrapper.backward.options.goBackwards).toBe(true);
        expect(Array.from(wrapper.forward.kernel.get().data)).not.toEqual(Array.from(wrapper.backward.kernel.get().data));
        const x = new TestRandom(kind.length).array([3, 5, 2], 'float32', -1, 1);
        const got = await run(model, x);
        const f = await direction(wrapper, 'forward', () => make(), x);
        const b = await direction(wrapper, 'backward', () => make(true), x);
        // Backward outputs come last step first: step t of the result holds its output for t.
        const rows = returnSequences ? 15 : 3;
        const want = new Float64Array(rows * 6);
        for (let r = 0; r < rows; r++) {
          const [n, t] = [Math.floor(r / (returnSequences ? 5 : 1)), returnSequences ? r % 5 : 0];
          const back = returnSequences ? n * 5 + (4 - t) : n;
          for (let u = 0; u < 3; u++) {
            want[r * 6 + u] = f.data[r * 3 + u]!;
            want[r * 6 + 3 + u] = b.data[back * 3 + u]!;
          }
        }
        expect(relativeError(got.data, want)).toBeLessThan(1e-6);
      });
    }
  }

  it('merges by sum, product or mean instead of side by side', async () => {
    const x = new TestRandom(4).array([2, 4, 3], 'float32', -1, 1);
    const outs: Record<string, NDArray> = {};
    const weights = new Sequential([new Bidirectional(new GRU(2))], { inputShape: [4, 3], seed: 9 }).parameters().map((p) => p.get());
    for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as MergeMode[]) {
      const model = new Sequential([new Bidirectional(new GRU(2), { mergeMode })], { inputShape: [4, 3], seed: 9 });
      model.parameters().forEach((p, i) => p.set(weights[i]!));
      expect(model.outputShape).toEqual(mergeMode === 'concat' ? [4] : [2]);
      outs[mergeMode] = await run(model, x);
    }
    const c = outs['concat']!.data;
    const pairs = [0, 1].flatMap((n) => [0, 1].map((u) => [c[n * 4 + u]!, c[n * 4 + 2 + u]!] as const));
    expect(relativeError(outs['sum']!.data, pairs.map(([f, b]) => f + b))).toBeLessThan(1e-6);
    expect(relativeError(outs['mul']!.data, pairs.map(([f, b]) => f * b))).toBeLessThan(1e-6);
    expect(relativeError(outs['ave']!.data, pairs.map(([f, b]) => (f + b) / 2))).toBeLessThan(1e-6);
  });

  it('skips padding in both directions with an Embedding\'s mask, and has finite-difference gradients', async () => {
    const make = () => [new Embedding(7, 3, { maskZero: true }), new Bidirectional(new LSTM(2))];
    const padded = new Sequential(make(), { inputShape: [6], seed: 2 });
    const short = new Sequential(make(), { inputShape: [3], seed: 5 });
    padded.parameters().forEach((p, i) => short.parameters()[i]!.set(p.get()));
    const ids = (rows: number[][]) => new NDArray('int32', [rows.length, rows[0]!.length], Int32Array.from(rows.flat()));
    const want = await run(short, ids([[4, 1, 6]]));
    expect(relativeError((await run(padded, ids([[0, 0, 4, 1, 6, 0]]))).data, want.data)).toBeLessThan(1e-5);
    const layer = new Bidirectional(new SimpleRNN(2, { returnSequences: true }), { mergeMode: 'sum' });
    new Sequential([layer], { inputShape: [3, 2], seed: 1 });
    const rng = new TestRandom(8);
    const w = rng.array([2, 3, 2], 'float64', -1, 1);
    await verifyGrad((x) => T.sum(T.mul(layer.call(x), T.constant(w))), [rng.array([2, 3, 2], 'float64', -1, 1)], { rtol: 1e-4 });
  });

  it('with dropout, each direction draws its own masks in training, and none in evaluation', async () => {
    const layer = new Bidirectional(new LSTM(3, { dropout: 0.3, recurrentDropout: 0.3 }));
    const model = new Sequential([layer], { inputShape: [4, 2], seed: 2 });
    const X = T.tensor('float32', [null, 4, 2], 'x');
    const out = model.apply(X, { training: true });
    const updates = randomStateUpdates(out);
    expect(updates.map(([s]) => s.name)).toEqual(['bidirectional_0_forward/rng', 'bidirectional_0_backward/rng']);
    const x = new TestRandom(3).array([5, 4, 2], 'float32', -1, 1);
    const trained = await fn([X], out, { updates })(x);
    const evaluated = await fn([X], model.apply(X))(x);
    expect(relativeError(trained.data, evaluated.data)).toBeGreaterThan(1e-3);
    expect(randomStateUpdates(model.apply(X))).toEqual([]);
  });

  it('rebuilds from its configuration, names and counts both directions\' weights', () => {
    const model = new Sequential([new Bidirectional(new LSTM(4, { returnSequences: true }), { mergeMode: 'ave' }), new Bidirectional(new GRU(2)), new Dense(1)], { inputShape: [6, 3] });
    expect(model.parameters().map((p) => p.name)).toEqual([
      'bidirectional_0_forward/kernel', 'bidirectional_0_forward/recurrent_kernel', 'bidirectional_0_forward/bias',
      'bidirectional_0_backward/kernel', 'bidirectional_0_backward/recurrent_kernel', 'bidirectional_0_backward/bias',
      'bidirectional_1_forward/kernel', 'bidirectional_1_forward/recurrent_kernel', 'bidirectional_1_forward/bias',
      'bidirectional_1_backward/kernel', 'bidirectional_1_backward/recurrent_kernel', 'bidirectional_1_backward/bias',
      'dense_0/kernel', 'dense_0/bias',
    ]);
    expect(model.countParameters()).toBe(2 * (3 * 16 + 4 * 16 + 16) + 2 * (4 * 6 + 2 * 6 + 12) + 4 + 1);
    expect(model.toConfig().config.layers[0]).toEqual({
      className: 'Bidirectional',
      config: { layer: { className: 'LSTM', config: { units: 4, activation: 'tanh', recurrentActivation: 'sigmoid', unitForgetBias: true, useBias: true, returnSequences: true, goBackwards: false } }, mergeMode: 'ave', name: 'bidirectional_0' },
    });
    expect(Sequential.fromConfig(JSON.stringify(model.toConfig())).toConfig()).toEqual(model.toConfig());
  });

  it('a saved recurrent text model loads back with its configuration and computes the same', async () => {
    const model = new Sequential([new Embedding(9, 4, { maskZero: true }), new Bidirectional(new GRU(3, { returnSequences: true })), new LSTM(2), new Dense(2)], { inputShape: [5], seed: 4 });
    const copy = modelFromWeights(await saveWeights(model));
    expect(copy.toConfig()).toEqual(model.toConfig());
    const ids = new NDArray('int32', [2, 5], Int32Array.from([0, 3, 8, 1, 2, 5, 5, 0, 0, 0]));
    expect(Array.from((await run(copy, ids)).data)).toEqual(Array.from((await run(model, ids)).data));
  });

  it('names what is wrong', () => {
    expect(() => new Bidirectional(new Dense(3))).toThrow("Bidirectional: wraps a recurrent layer (SimpleRNN, LSTM, GRU), got Dense");
    expect(() => new Bidirectional(new LSTM(2), { mergeMode: 'max' as never })).toThrow('Bidirectional: mergeMode must be one of concat, sum, mul, ave, got "max"');
    const built = new LSTM(2);
    new Sequential([built], { inputShape: [3, 1] });
    expect(() => new Bidirectional(built)).toThrow("Bidirectional: LSTM 'lstm_0' is already built; wrap a new layer, which the wrapper builds with its copy");
    expect(() => new Sequential([new Bidirectional(new GRU(2))], { inputShape: [4] })).toThrow("GRU 'bidirectional_0_forward' expects per-example inputs [timesteps, features], got [4]");
  });
});
