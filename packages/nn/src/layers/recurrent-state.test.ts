import '@symgrad/backend-cpu';
import { verifyGrad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { adam } from '../optimizers/adam.js';
import { make, reference, type Kind } from '../testing-fixtures/recurrent-reference.js';
import { Trainer } from '../train/trainer.js';
import { Bidirectional } from './bidirectional.js';
import { Dense } from './dense.js';
import { Embedding } from './embedding.js';
import { FunctionalModel } from './functional.js';
import { GRU, LSTM, SimpleRNN, type GRUOptions, type LSTMOptions } from './recurrent.js';
import { Sequential } from './sequential.js';
import { Input } from './symbolic-tensor.js';

const CASES: readonly { kind: Kind; batch: number; steps: number; features: number; units: number; o: LSTMOptions & GRUOptions }[] = [
  { kind: 'SimpleRNN', batch: 1, steps: 1, features: 1, units: 1, o: {} },
  { kind: 'SimpleRNN', batch: 3, steps: 5, features: 2, units: 3, o: { returnSequences: true, goBackwards: true } },
  { kind: 'LSTM', batch: 2, steps: 4, features: 3, units: 5, o: {} },
  { kind: 'LSTM', batch: 3, steps: 2, features: 1, units: 2, o: { returnSequences: true, useBias: false } },
  { kind: 'GRU', batch: 2, steps: 6, features: 3, units: 4, o: {} },
  { kind: 'GRU', batch: 1, steps: 3, features: 2, units: 3, o: { resetAfter: false, returnSequences: true } },
];

describe('recurrent layers: initial state and returnState', () => {
  for (const t of CASES) {
    it(`${t.kind}(${t.units}) from a given state, giving its final state: ${t.batch} × [${t.steps}, ${t.features}] ${JSON.stringify(t.o)}`, async () => {
      const rng = new TestRandom(t.steps * 13 + t.units * 5 + t.batch);
      const layer = make(t.kind, t.units, { ...t.o, returnState: true, seed: 2 });
      const parts = t.kind === 'LSTM' ? ['h', 'c'] : ['h'];
      const x = new Input([t.steps, t.features], { name: 'x' });
      const states = parts.map((p) => new Input([t.units], { name: p }));
      const outputs = layer.applyAll([x, ...states]);
      expect(outputs).toHaveLength(1 + parts.length);
      const model = new FunctionalModel({ inputs: [x, ...states], outputs }, { seed: 1 });
      if (layer.bias) layer.bias.set(rng.array(layer.bias.shape as number[], 'float32', -0.5, 0.5));
      const xs = rng.array([t.batch, t.steps, t.features], 'float32', -1.5, 1.5);
      const initial = parts.map(() => rng.array([t.batch, t.units], 'float32', -1, 1));
      const vars = [T.tensor('float32', [null, t.steps, t.features], 'x'), ...parts.map((p) => T.matrix(p))];
      const got = await fn(vars, model.applyOutputs(vars))(xs, ...initial);
      const want = reference(t.kind, xs, layer.kernel.get(), layer.recurrentKernel.get(), layer.bias?.get(), t.o, {}, { h: initial[0]!, ...(initial[1] ? { c: initial[1] } : {}) });
      expect(got[0]!.shape).toEqual(want.shape);
      expect(relativeError(got[0]!.data, want.out)).toBeLessThan(1e-5);
      expect(got[1]!.shape).toEqual([t.batch, t.units]);
      expect(relativeError(got[1]!.data, want.h)).toBeLessThan(1e-5);
      if (t.kind === 'LSTM') expect(relativeError(got[2]!.data, want.c)).toBeLessThan(1e-5);
      expect(outputs.map((o) => model.shapeOf(o))).toEqual([want.shape.slice(1), ...parts.map(() => [t.units])]);
    });
  }

  it('with a mask, padded steps keep the given state, so leading padding changes nothing', async () => {
    const build = (steps: number) => {
      const ids = new Input([steps], { dtype: 'int32' });
      const [h, c] = [new Input([3]), new Input([3])];
      const [out, hT, cT] = new LSTM(3, { returnState: true }).applyAll([new Embedding(9, 2, { maskZero: true }).apply(ids), h, c]);
      return new FunctionalModel({ inputs: [ids, h, c], outputs: [out!, hT!, cT!] }, { seed: 6 });
    };
    const [padded, short] = [build(5), build(2)];
    short.parameters().forEach((p, i) => p.set(padded.parameters()[i]!.get()));
    const rng = new TestRandom(3);
    const [h0, c0] = [rng.array([2, 3], 'float32', -1, 1), rng.array([2, 3], 'float32', -1, 1)];
    const vars = [T.imatrix('ids'), T.matrix('h'), T.matrix('c')];
    const p = await fn(vars, padded.applyOutputs(vars))(new NDArray('int32', [2, 5], Int32Array.of(0, 0, 0, 4, 7, 0, 3, 0, 5, 0)), h0, c0);
    const q = await fn(vars, short.applyOutputs(vars))(new NDArray('int32', [2, 2], Int32Array.of(4, 7, 3, 5)), h0, c0);
    p.forEach((a, i) => expect(relativeError(a.data, q[i]!.data)).toBeLessThan(1e-6));
    // A sequence of padding only keeps its initial state.
    const [, hOnly, cOnly] = await fn(vars, padded.applyOutputs(vars))(new NDArray('int32', [2, 5], new Int32Array(10)), h0, c0);
    expect(Array.from(hOnly!.data)).toEqual(Array.from(h0.data));
    expect(Array.from(cOnly!.data)).toEqual(Array.from(c0.data));
  });

  it('has gradients with respect to the sequence and the initial state that match finite differences', async () => {
    const rng = new TestRandom(4);
    for (const kind of ['LSTM', 'GRU'] as const) {
      const layer = kind === 'LSTM' ? new LSTM(3, { returnState: true, seed: 1 }) : new GRU(3, { returnState: true, returnSequences: true, seed: 1 });
      const parts = kind === 'LSTM' ? 2 : 1;
      const x = new Input([4, 2]);
      const states = Array.from({ length: parts }, () => new Input([3]));
      new FunctionalModel({ inputs: [x, ...states], outputs: layer.applyAll([x, ...states]) });
      const weights = layer.outputShapes.map((shape) => T.constant(rng.array([2, ...shape], 'float64', -1, 1)));
      const loss = (...vs: ReturnType<typeof T.matrix>[]) => layer.callOutputs(vs).map((o, i) => T.sum(T.mul(o, weights[i]!))).reduce((a, b) => T.add(a, b));
      await verifyGrad(loss, [rng.array([2, 4, 2], 'float64', -1, 1), ...Array.from({ length: parts }, () => rng.array([2, 3], 'float64', -1, 1))], { rtol: 1e-4 });
    }
  });

  it('an encoder\'s final state starts a decoder, and the pair learns what only the state carries', async () => {
    // The label is whether the encoder's sequence sums above 0; the decoder reads noise.
    const rng = new TestRandom(7);
    const n = 256;
    const source = rng.array([n, 5, 1], 'float32', -1, 1);
    const noise = rng.array([n, 3, 2], 'float32', -1, 1);
    const labels = new NDArray('int32', [n], Int32Array.from({ length: n }, (_, r) => (Array.from(source.data.subarray(r * 5, r * 5 + 5)).reduce((a, b) => a + b, 0) > 0 ? 1 : 0)));
    const s = new Input([5, 1], { name: 'source' });
    const d = new Input([3, 2], { name: 'decoder_input' });
    const [, h, c] = new LSTM(8, { returnState: true }).applyAll(s);
    const decoded = new LSTM(8).apply([d, h!, c!]);
    const model = new FunctionalModel({ inputs: [s, d], outputs: new Dense(2).apply(decoded) }, { seed: 2 });
    expect(model.summary()).toContain('lstm_1 (LSTM)           [null, 8]                            352   decoder_input, lstm_0.1, lstm_0.2');
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.02 }), metrics: ['accuracy'] });
    const history = await trainer.fit({ x: [source, noise], y: labels }, { epochs: 20, batchSize: 32, seed: 1 });
    expect(history.epochs.at(-1)!.accuracy).toBeGreaterThan(0.9);
    // Saved and loaded, the wiring (which output of the encoder feeds which input) survives.
    const config = model.toConfig();
    expect(config.config.layers[1]!.calls).toEqual([[['decoder_input', 0], ['lstm_0', 0, 1], ['lstm_0', 0, 2]]]);
    expect(FunctionalModel.fromConfig(JSON.stringify(config)).toConfig()).toEqual(config);
  });

  it('name what is wrong', () => {
    const x = new Input([4, 2], { name: 'x' });
    const h = new Input([3], { name: 'h' });
    expect(() => new LSTM(3, { returnState: true }).apply(x)).toThrow('LSTM.apply: the layer gives 3 tensors (output, h, c); applyAll returns them all');
    expect(() => new LSTM(3).apply([x, h, h, h])).toThrow(/^LSTM\.apply: takes 1 to 3 inputs, got 4/);
    expect(() => new FunctionalModel({ inputs: [x, h], outputs: new LSTM(3).apply([x, h]) })).toThrow(/^FunctionalModel 'model': LSTM 'lstm_0': an initial state has 2 parts \(h, c\), got 1 \(built at /);
    expect(() => new FunctionalModel({ inputs: [x, h], outputs: new GRU(4).apply([x, h]) })).toThrow(/^FunctionalModel 'model': GRU 'gru_0': the initial state's h must have per-example shape \[4\], got \[3\] \(built at /);
    expect(() => new Sequential([new SimpleRNN(2, { returnState: true })], { inputShape: [3, 2] })).toThrow("Sequential 'sequential': SimpleRNN 'simplernn_0' gives 2 tensors (returnState), but each layer of a Sequential gives one; use it in a FunctionalModel with applyAll");
    const bi = new Bidirectional(new LSTM(3));
    expect(() => new FunctionalModel({ inputs: [x, h], outputs: bi.apply([x, h]) })).toThrow(/^FunctionalModel 'model': Bidirectional 'bidirectional_0': takes an initial state for each direction, 4 tensors after the sequence, got 1 \(built at /);
    expect(() => new Bidirectional(new GRU(2, { returnState: true })).apply(x)).toThrow('Bidirectional.apply: the layer gives 3 tensors (output, the forward state, the backward state); applyAll returns them all');
    const gru = new GRU(3);
    new FunctionalModel({ inputs: [x, h], outputs: gru.apply([x, h]) });
    const X = T.tensor('float32', [null, 4, 2], 'x');
    expect(() => gru.callInputs([X, T.vector('v')])).toThrow("GRU 'gru_0': the initial state's h must be [batch, 3], got 'v' (float32[?])");
    expect(() => gru.callInputs([X, T.imatrix('i')])).toThrow("GRU 'gru_0': the initial state's h must be floats, got 'i' (int32[?, ?])");
    expect(() => gru.callInputs([X, T.matrix('a'), T.matrix('b')])).toThrow("GRU 'gru_0': an initial state has 1 part (h), got 2");
  });

  it('Bidirectional takes each direction\'s initial state and gives both final states (Keras\'s order: output, forward, backward)', async () => {
    const rng = new TestRandom(9);
    const [batch, steps, features, units] = [2, 5, 3, 4];
    const layer = new Bidirectional(new LSTM(units, { returnState: true, returnSequences: true }));
    const x = new Input([steps, features], { name: 'x' });
    const states = ['fh', 'fc', 'bh', 'bc'].map((name) => new Input([units], { name }));
    const outputs = layer.applyAll([x, ...states]);
    expect(outputs).toHaveLength(5);
    const model = new FunctionalModel({ inputs: [x, ...states], outputs }, { seed: 4 });
    expect(outputs.map((o) => model.shapeOf(o))).toEqual([[steps, 2 * units], [units], [units], [units], [units]]);
    for (const d of [layer.forward, layer.backward]) d.bias!.set(rng.array(d.bias!.shape as number[], 'float32', -0.5, 0.5));
    const xs = rng.array([batch, steps, features], 'float32', -1, 1);
    const initial = states.map(() => rng.array([batch, units], 'float32', -1, 1));
    const vars = [T.tensor('float32', [null, steps, features], 'x'), ...states.map((st) => T.matrix(st.name!))];
    const [merged, fh, fc, bh, bc] = await fn(vars, model.applyOutputs(vars))(xs, ...initial);
    const ref = (d: LSTM, o: LSTMOptions, h: NDArray, c: NDArray) => reference('LSTM', xs, d.kernel.get(), d.recurrentKernel.get(), d.bias!.get(), o, {}, { h, c });
    const fwd = ref(layer.forward as LSTM, { returnSequences: true }, initial[0]!, initial[1]!);
    const bwd = ref(layer.backward as LSTM, { returnSequences: true, goBackwards: true }, initial[2]!, initial[3]!);
    expect(relativeError(fh!.data, fwd.h)).toBeLessThan(1e-5);
    expect(relativeError(fc!.data, fwd.c)).toBeLessThan(1e-5);
    expect(relativeError(bh!.data, bwd.h)).toBeLessThan(1e-5);
    expect(relativeError(bc!.data, bwd.c)).toBeLessThan(1e-5);
    // Step t holds the forward output at t beside the backward one at t (the backward layer read t last-but-…).
    const want: number[] = [];
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < steps; t++) {
        want.push(...Array.from(fwd.out.subarray((b * steps + t) * units, (b * steps + t + 1) * units)));
        want.push(...Array.from(bwd.out.subarray((b * steps + (steps - 1 - t)) * units, (b * steps + (steps - t)) * units)));
      }
    }
    expect(relativeError(merged!.data, want)).toBeLessThan(1e-5);
  });
});
