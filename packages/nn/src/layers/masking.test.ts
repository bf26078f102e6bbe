import '@symgrad/backend-cpu';
import { grad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { Conv1D } from './convolution.js';
import { Dense, Flatten } from './dense.js';
import { Embedding } from './embedding.js';
import type { Layer } from './layer.js';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from './pooling.js';
import { GRU, LSTM, SimpleRNN, type RecurrentOptions } from './recurrent.js';
import { Sequential } from './sequential.js';

type Kind = 'SimpleRNN' | 'LSTM' | 'GRU';
const recurrent = (kind: Kind, units: number, o: RecurrentOptions): Layer =>
  (kind === 'SimpleRNN' ? new SimpleRNN(units, o) : kind === 'LSTM' ? new LSTM(units, o) : new GRU(units, o));

/** The model's output on int32 ids [rows.length, rows[0].length]. */
async function run(model: Sequential, rows: number[][]): Promise<NDArray> {
  const X = T.tensor('int32', [null, rows[0]!.length], 'ids');
  return fn([X], model.apply(X))(new NDArray('int32', [rows.length, rows[0]!.length], Int32Array.from(rows.flat())));
}

/** A model of the same layers (made by `make`) for another sequence length, with `from`'s weights. */
function sameWeights(from: Sequential, make: () => Layer[], length: number): Sequential {
  const to = new Sequential(make(), { inputShape: [length], seed: 99 });
  from.parameters().forEach((p, i) => to.parameters()[i]!.set(p.get()));
  return to;
}

describe('masking: an Embedding with maskZero marks id 0 as padding', () => {
  for (const kind of ['SimpleRNN', 'LSTM', 'GRU'] as const) {
    for (const goBackwards of [false, true]) {
      it(`${kind}${goBackwards ? ' (goBackwards)' : ''}: padded steps change nothing, before or after the real ids, through a Dense`, async () => {
        const make = (returnSequences = false) => [new Embedding(9, 4, { maskZero: true }), new Dense(5, { activation: 'tanh' }), recurrent(kind, 3, { returnSequences, goBackwards })];
        const padded = new Sequential(make(), { inputShape: [7], seed: 4 });
        const rng = new TestRandom(kind.length * 3 + (goBackwards ? 1 : 0));
        for (const p of padded.parameters()) if (p.name?.endsWith('/bias')) p.set(rng.array(p.shape as number[], 'float32', -0.5, 0.5));
        const real = [[3, 1, 8, 2], [5, 5, 7, 1]];
        const short = await run(sameWeights(padded, make, 4), real);
        // Pre-padding, post-padding and padding on both sides give the short model's output.
        const got = await run(padded, [[0, 0, 0, ...real[0]!], [...real[1]!, 0, 0, 0]]);
        expect(relativeError(got.data, short.data)).toBeLessThan(1e-5);
        const both = await run(padded, [[0, ...real[0]!, 0, 0], [0, 0, ...real[1]!, 0]]);
        expect(relativeError(both.data, short.data)).toBeLessThan(1e-5);
        // Every step's output: a padded step repeats the previous output (zero before the first real id).
        const seqModel = sameWeights(padded, () => make(true), 7);
        const seq = await run(seqModel, [[0, 0, ...real[0]!, 0]]);
        const shortSeq = await run(sameWeights(padded, () => make(true), 4), [real[0]!]);
        const u = 3;
        const at = (a: NDArray, t: number) => Array.from(a.data.slice(t * u, (t + 1) * u));
        // Output i reads input step i, or step 6 − i going backwards: steps 0, 1 and 6 are padding.
        const inputStep = (i: number) => (goBackwards ? 6 - i : i);
        let last = [0, 0, 0];
        let k = 0;
        for (let i = 0; i < 7; i++) {
          const s = inputStep(i);
          if (s >= 2 && s <= 5) last = at(shortSeq, k++);
          expect(relativeError(at(seq, i), last), `output ${i}`).toBeLessThan(1e-5);
        }
        // With returnSequences the mask goes on (in the outputs' order); a Dense after it passes it to a second recurrent layer.
        const stacked = new Sequential([...make(true), new Dense(3), recurrent(kind, 2, {})], { inputShape: [7], seed: 5 });
        const stackedShort = sameWeights(stacked, () => [...make(true), new Dense(3), recurrent(kind, 2, {})], 4);
        expect(relativeError((await run(stacked, [[0, 0, 0, ...real[0]!]])).data, (await run(stackedShort, [real[0]!])).data)).toBeLessThan(1e-5);
      });
    }
  }

  it('GlobalAveragePooling1D averages the real steps only (0 for a sequence of padding)', async () => {
    const model = new Sequential([new Embedding(6, 3, { maskZero: true }), new GlobalAveragePooling1D()], { inputShape: [5], seed: 2 });
    const table = (model.layers[0] as Embedding).embeddings.get().data;
    const got = await run(model, [[2, 0, 5, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 3]]);
    const mean = (ids: number[]) => [0, 1, 2].map((c) => ids.reduce((a, id) => a + table[id * 3 + c]!, 0) / Math.max(ids.length, 1));
    expect(relativeError(got.data, [...mean([2, 5]), 0, 0, 0, ...mean([1, 1, 1, 1, 3])])).toBeLessThan(1e-6);
    // Without maskZero the padding rows count.
    const plain = sameWeights(model, () => [new Embedding(6, 3), new GlobalAveragePooling1D()], 5);
    expect(relativeError((await run(plain, [[2, 0, 5, 0, 0]])).data, mean([2, 0, 5, 0, 0]))).toBeLessThan(1e-6);
  });

  it('GlobalMaxPooling1D takes the maximum of the real steps only (0 for a sequence of padding), with gradients only there', async () => {
    const model = new Sequential([new Embedding(6, 3, { maskZero: true }), new GlobalMaxPooling1D()], { inputShape: [5], seed: 3 });
    const table = (model.layers[0] as Embedding).embeddings.get().data;
    // Row 0 (the padding id) is the largest everywhere, so a padded step that counted would win.
    const big = Float32Array.from(table);
    big.fill(10, 0, 3);
    (model.layers[0] as Embedding).embeddings.set(new NDArray('float32', [6, 3], big));
    const got = await run(model, [[2, 0, 5, 0, 0], [0, 0, 0, 0, 0], [1, 1, 3, 1, 4]]);
    const max = (ids: number[]) => [0, 1, 2].map((c) => Math.max(...ids.map((id) => big[id * 3 + c]!)));
    expect(relativeError(got.data, [...max([2, 5]), 0, 0, 0, ...max([1, 1, 3, 1, 4])])).toBeLessThan(1e-6);
    const ids = T.tensor('int32', [null, 5], 'ids');
    const table0 = (model.layers[0] as Embedding).embeddings;
    const g = (await fn([ids], grad(T.sum(model.apply(ids)), table0))(new NDArray('int32', [1, 5], Int32Array.from([2, 0, 5, 0, 0])))) as NDArray;
    expect(Array.from(g.data.slice(0, 3))).toEqual([0, 0, 0]); // the padding row gets no gradient
    expect(Array.from(g.data).reduce((a, b) => a + b, 0)).toBe(3); // one winner per feature
  });

  it('rebuilds from its configuration', () => {
    const model = new Sequential([new Embedding(100, 8, { maskZero: true }), new GRU(4)], { inputShape: [12] });
    expect(model.toConfig().config.layers[0]).toEqual({ className: 'Embedding', config: { inputDim: 100, outputDim: 8, maskZero: true, name: 'embedding_0' } });
    expect(Sequential.fromConfig(JSON.stringify(model.toConfig())).toConfig()).toEqual(model.toConfig());
  });

  it('a layer that cannot use the mask says so, naming itself', () => {
    const ids = T.tensor('int32', [null, 6], 'ids');
    expect(() => new Sequential([new Embedding(10, 4, { maskZero: true }), new Flatten(), new Dense(2)], { inputShape: [6] }).apply(ids))
      .toThrow("Flatten 'flatten_0' does not support masking: the mask of an Embedding with maskZero reaches it; put a layer that reads the mask (LSTM, GRU, SimpleRNN, a global 1-D pooling) before it, or drop maskZero");
    expect(() => new Sequential([new Embedding(10, 4, { maskZero: true }), new Conv1D(2, 3)], { inputShape: [6] }).apply(ids))
      .toThrow("Conv1D 'conv1d_0' does not support masking");
    // After a recurrent layer without returnSequences (or the pooling) there is no mask left.
    expect(() => new Sequential([new Embedding(10, 4, { maskZero: true }), new LSTM(3), new Dense(2)], { inputShape: [6] }).apply(ids)).not.toThrow();
    const lstm = new LSTM(2);
    new Sequential([lstm], { inputShape: [5, 3] });
    const x = T.tensor('float32', [null, 5, 3], 'x');
    expect(() => lstm.call(x, { mask: T.tensor('float32', [null, 4], 'm') })).toThrow("LSTM 'lstm_0': the mask must be [batch, 5] (one value per step), got 'm' (float32[?, 4])");
    const flatten = new Flatten();
    new Sequential([flatten], { inputShape: [5, 3] });
    expect(() => flatten.call(x, { mask: T.tensor('float32', [null, 5], 'm') })).toThrow("Flatten 'flatten_0' does not support masking");
  });
});
