import '@symgrad/backend-cpu';
import { NDArray } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import { LSTM } from '../layers/recurrent.js';
import { FunctionalModel } from '../layers/functional.js';
import { Concatenate } from '../layers/merge.js';
import { Sequential } from '../layers/sequential.js';
import { Input } from '../layers/symbolic-tensor.js';
import type { Model } from '../layers/model.js';
import { sgd } from '../optimizers/sgd.js';
import { Trainer } from './trainer.js';
import { checkTrimPadding, idLengths, trimBatch, type TrimPaddingOptions } from './trim-padding.js';

const ids = (rows: number[][]) => new NDArray('int32', [rows.length, rows[0]!.length], Int32Array.from(rows.flat()));

/**
 * Trains a fresh `model()` two epochs by SGD on `data`, once with `trimPadding` and once
 * without; expects the same losses and weights within 1e-5, and returns how many training
 * functions each run compiled.
 */
async function expectCutTrainsAsPadded(model: () => Model, data: { x: NDArray | NDArray[]; y: NDArray }, seed: number, trimPadding: TrimPaddingOptions): Promise<{ cut: number; padded: number }> {
  const run = async (trim: boolean) => {
    const m = model();
    const trainer = new Trainer(m, { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.3 }) });
    const history = await trainer.fit(data, { epochs: 2, batchSize: 8, seed, ...(trim ? { trimPadding } : {}) });
    const weights = m.parameters().map((p) => p.get().data);
    const signatures = trainer.compiledSignatures().train;
    trainer.dispose();
    return { history, weights, signatures };
  };
  const [cut, padded] = [await run(true), await run(false)];
  cut.history.epochs.forEach((logs, e) => expect(relativeError([logs.loss!], [padded.history.epochs[e]!.loss!]), `epoch ${e + 1}`).toBeLessThan(1e-5));
  cut.weights.forEach((w, i) => expect(relativeError(w, padded.weights[i]!), `weight ${i}`).toBeLessThan(1e-5));
  return { cut: cut.signatures, padded: padded.signatures };
}

describe('trimPadding', () => {
  it('cuts a batch to its longest sequence, from the ids and from targets of as many steps', () => {
    const x = ids([[5, 3, 0, 0], [7, 0, 0, 0]]);
    const perStep = new NDArray('float32', [2, 4, 2], Float32Array.from({ length: 16 }, (_, i) => i));
    const perRow = NDArray.from([1, 0], 'int32');
    const cut = trimBatch('fit', { x, y: [perStep, perRow], size: 2, index: 0 }, { padId: 0, multiple: 1 });
    expect(cut.x.shape).toEqual([2, 2]);
    expect(Array.from(cut.x.data)).toEqual([5, 3, 7, 0]);
    expect(cut.y[0]!.shape).toEqual([2, 2, 2]);
    expect(Array.from(cut.y[0]!.data)).toEqual([0, 1, 2, 3, 8, 9, 10, 11]);
    expect(cut.y[1]).toBe(perRow);
    // Rounded up to a multiple; never below one step; a batch without padding stays as it is.
    expect(trimBatch('fit', { x, y: perRow, size: 2, index: 0 }, { padId: 0, multiple: 3 }).x.shape).toEqual([2, 3]);
    expect(trimBatch('fit', { x: ids([[0, 0, 0]]), y: perRow, size: 1, index: 0 }, { padId: 0, multiple: 1 }).x.shape).toEqual([1, 1]);
    const full = { x: ids([[1, 2], [3, 4]]), y: perRow, size: 2, index: 0 };
    expect(trimBatch('fit', full, { padId: 0, multiple: 1 })).toBe(full);
    expect(trimBatch('fit', { x: ids([[9, 9, 1], [1, 9, 9]]), y: perRow, size: 2, index: 0 }, { padId: 9, multiple: 1 }).x.shape).toEqual([2, 3]);
  });

  it("cuts leading steps with padding: 'pre' (Keras's pad_sequences default), from the ids and from per-step targets", () => {
    const x = ids([[0, 0, 5, 3], [0, 0, 0, 7]]);
    const perStep = new NDArray('float32', [2, 4], Float32Array.from({ length: 8 }, (_, i) => i));
    const cut = trimBatch('fit', { x, y: perStep, size: 2, index: 0 }, { padId: 0, multiple: 1, padding: 'pre' });
    expect(Array.from(cut.x.data)).toEqual([5, 3, 0, 7]);
    expect(Array.from(cut.y.data)).toEqual([2, 3, 6, 7]);
    // A pad id inside a text stays; rounded up to a multiple, the kept steps are the last ones.
    expect(Array.from(trimBatch('fit', { x: ids([[0, 4, 0, 3]]), y: perStep, size: 1, index: 0 }, { padId: 0, multiple: 1, padding: 'pre' }).x.data)).toEqual([4, 0, 3]);
    expect(Array.from(trimBatch('fit', { x, y: perStep, size: 2, index: 0 }, { padId: 0, multiple: 3, padding: 'pre' }).x.data)).toEqual([0, 5, 3, 0, 0, 7]);
    expect(Array.from(idLengths('fit', ids([[0, 0, 5, 3], [0, 0, 0, 0], [1, 0, 0, 0]]), 0, 'pre'))).toEqual([2, 0, 4]);
  });

  it('cuts several inputs of ids each to its own longest, with the inputs and targets of its number of steps', () => {
    const source = ids([[5, 3, 0, 0, 0], [7, 0, 0, 0, 0]]);
    const target = ids([[1, 2, 0, 0], [1, 2, 3, 0]]);
    const sourceFeatures = new NDArray('float32', [2, 5, 2], Float32Array.from({ length: 20 }, (_, i) => i));
    const perStep = new NDArray('int32', [2, 4], Int32Array.from([2, 0, 0, 0, 2, 3, 0, 0]));
    const perRow = NDArray.from([1, 0], 'int32');
    const cut = trimBatch('fit', { x: [source, sourceFeatures, target], y: [perStep, perRow], size: 2, index: 0 }, { padId: 0, multiple: 1 });
    expect(cut.x.map((a) => a.shape)).toEqual([[2, 2], [2, 2, 2], [2, 3]]);
    expect(Array.from(cut.x[0]!.data)).toEqual([5, 3, 7, 0]);
    expect(Array.from(cut.x[1]!.data)).toEqual([0, 1, 2, 3, 10, 11, 12, 13]);
    expect(Array.from(cut.x[2]!.data)).toEqual([1, 2, 0, 1, 2, 3]);
    expect(Array.from(cut.y[0]!.data)).toEqual([2, 0, 0, 2, 3, 0]);
    expect(cut.y[1]).toBe(perRow);
    // Inputs of ids with the same number of steps are cut together, to the longest of both.
    const same = trimBatch('fit', { x: [ids([[4, 0, 0], [0, 0, 0]]), ids([[0, 0, 0], [6, 6, 0]])], y: perRow, size: 2, index: 0 }, { padId: 0, multiple: 1 });
    expect(same.x.map((a) => Array.from(a.data))).toEqual([[4, 0, 0, 0], [0, 0, 6, 6]]);
    // Nothing to cut: the batch as it is.
    const full = { x: [ids([[1, 2]]), ids([[3]])], y: perRow, size: 1, index: 0 };
    expect(trimBatch('fit', full, { padId: 0, multiple: 1 })).toBe(full);
  });

  it('names what is wrong', () => {
    expect(() => trimBatch('fit', { x: NDArray.zeros([2, 3]), y: NDArray.zeros([2]), size: 2, index: 0 }, { padId: 0, multiple: 1 })).toThrow('fit: trimPadding cuts batches with int32 arrays of ids [n, steps], and x has none: float32 [2, 3]');
    expect(() => trimBatch('fit', { x: [NDArray.zeros([1, 2]), new NDArray('int32', [1, 2, 2])], y: NDArray.zeros([1]), size: 1, index: 0 }, { padId: 0, multiple: 1 }))
      .toThrow('fit: trimPadding cuts batches with int32 arrays of ids [n, steps], and x has none: float32 [1, 2], int32 [1, 2, 2]');
    expect(() => checkTrimPadding('fit', 3 as never)).toThrow('fit: trimPadding must be { padId, multiple }, got 3');
    expect(() => checkTrimPadding('fit', { padId: 0.5 })).toThrow('fit: trimPadding.padId must be an integer id, got 0.5');
    expect(() => checkTrimPadding('Trainer.evaluate', { multiple: 0 })).toThrow('Trainer.evaluate: trimPadding.multiple must be a positive integer, got 0');
    expect(checkTrimPadding('fit', {})).toEqual({ padId: 0, multiple: 1, padding: 'post' });
    expect(() => checkTrimPadding('fit', { padding: 'left' as never })).toThrow("fit: trimPadding.padding must be 'post' or 'pre', got \"left\"");
    expect(() => checkTrimPadding('fit', { bucket: 1.5 })).toThrow('fit: trimPadding.bucket must be a positive integer (batches per bucket), got 1.5');
    expect(() => idLengths('fit', NDArray.zeros([2, 3]), 0)).toThrow('fit: trimPadding buckets texts of int32 arrays of ids [n, steps], and x has none: float32 [2, 3]');
    expect(Array.from(idLengths('fit', ids([[5, 0, 3, 0], [0, 0, 0, 0], [1, 1, 1, 1]]), 0))).toEqual([3, 0, 4]);
    // Several inputs of ids: their lengths summed per row.
    expect(Array.from(idLengths('fit', [ids([[5, 0, 3, 0], [0, 0, 0, 0]]), NDArray.zeros([2, 4]), ids([[2, 0], [0, 7]])], 0))).toEqual([4, 2]);
  });

  it('training on cut batches of a masked LSTM gives the losses and weights of training on the padded ones, compiling a function per length', async () => {
    const rng = new TestRandom(41);
    const [n, steps, vocab] = [96, 12, 9];
    const x = new NDArray('int32', [n, steps]);
    const y = new NDArray('int32', [n]);
    for (let r = 0; r < n; r++) {
      // Short texts mostly, so some batches are cut.
      const len = rng.bool(0.8) ? rng.int(1, 4) : rng.int(5, steps);
      for (let t = 0; t < len; t++) x.data[r * steps + t] = rng.int(1, vocab - 1);
      y.data[r] = x.data[r * steps]! % 2;
    }
    const run = async (trim: boolean) => {
      const model = new Sequential([new Embedding(vocab, 6, { maskZero: true }), new LSTM(8), new Dense(2)], { inputShape: [steps], seed: 3 });
      const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.3 }), metrics: ['accuracy'] });
      const options = trim ? { trimPadding: { padId: 0, multiple: 2 } } : {};
      const history = await trainer.fit({ x, y }, { epochs: 3, batchSize: 8, seed: 2, validationData: { x, y }, ...options });
      const evaluated = await trainer.evaluate({ x, y }, { batchSize: 16, ...options });
      const weights = model.parameters().map((p) => p.get().data);
      const signatures = trainer.compiledSignatures();
      trainer.dispose();
      return { history, evaluated, weights, signatures };
    };
    const [cut, padded] = [await run(true), await run(false)];
    // Bucketed, batches of short texts are shorter still; it trains as well.
    const bucketed = new Trainer(new Sequential([new Embedding(vocab, 6, { maskZero: true }), new LSTM(8), new Dense(2)], { inputShape: [steps], seed: 3 }), { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.3 }) });
    const history = await bucketed.fit({ x, y }, { epochs: 3, batchSize: 8, seed: 2, trimPadding: { padId: 0, bucket: 4 } });
    expect(history.epochs[2]!.loss).toBeLessThan(history.epochs[0]!.loss!);
    bucketed.dispose();
    expect(padded.signatures.train).toBe(1);
    expect(cut.signatures.train).toBeGreaterThan(1);
    expect(cut.signatures.train).toBeLessThanOrEqual(steps / 2);
    cut.history.epochs.forEach((logs, e) => {
      for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy']) expect(relativeError([logs[key]!], [padded.history.epochs[e]![key]!]), `epoch ${e + 1} ${key}`).toBeLessThan(1e-5);
    });
    expect(relativeError([cut.evaluated.loss!], [padded.evaluated.loss!])).toBeLessThan(1e-5);
    cut.weights.forEach((w, i) => expect(relativeError(w, padded.weights[i]!)).toBeLessThan(1e-5));
  });

  it('training a two-text model on cut batches (each text to its own longest) gives the losses and weights of training on the padded ones', async () => {
    const rng = new TestRandom(43);
    const [n, sSteps, tSteps, vocab] = [64, 9, 7, 8];
    const [src, tgt] = [new NDArray('int32', [n, sSteps]), new NDArray('int32', [n, tSteps])];
    const y = new NDArray('int32', [n]);
    for (let r = 0; r < n; r++) {
      const [ls, lt] = [rng.bool(0.8) ? rng.int(1, 3) : rng.int(4, sSteps), rng.bool(0.7) ? rng.int(1, 2) : rng.int(3, tSteps)];
      for (let t = 0; t < ls; t++) src.data[r * sSteps + t] = rng.int(1, vocab - 1);
      for (let t = 0; t < lt; t++) tgt.data[r * tSteps + t] = rng.int(1, vocab - 1);
      y.data[r] = (src.data[r * sSteps]! + tgt.data[r * tSteps]!) % 2;
    }
    const model = () => {
      const a = new Input([sSteps], { dtype: 'int32', name: 'source' });
      const b = new Input([tSteps], { dtype: 'int32', name: 'target' });
      const ha = new LSTM(5).apply(new Embedding(vocab, 4, { maskZero: true }).apply(a));
      const hb = new LSTM(5).apply(new Embedding(vocab, 4, { maskZero: true }).apply(b));
      return new FunctionalModel({ inputs: [a, b], outputs: new Dense(2).apply(new Concatenate().apply([ha, hb])) }, { seed: 5 });
    };
    const signatures = await expectCutTrainsAsPadded(model, { x: [src, tgt], y }, 1, { padId: 0 });
    expect(signatures.padded).toBe(1);
    expect(signatures.cut).toBeGreaterThan(2);
  });

  it("training a masked LSTM on batches padded before the ids and cut (padding: 'pre') gives the losses and weights of the padded batches", async () => {
    const rng = new TestRandom(45);
    const [n, steps, vocab] = [48, 10, 7];
    const x = new NDArray('int32', [n, steps]);
    const y = new NDArray('int32', [n]);
    for (let r = 0; r < n; r++) {
      const len = rng.bool(0.8) ? rng.int(1, 3) : rng.int(4, steps);
      for (let t = steps - len; t < steps; t++) x.data[r * steps + t] = rng.int(1, vocab - 1);
      y.data[r] = x.data[r * steps + steps - 1]! % 2;
    }
    const model = () => new Sequential([new Embedding(vocab, 4, { maskZero: true }), new LSTM(6), new Dense(2)], { inputShape: [steps], seed: 7 });
    const signatures = await expectCutTrainsAsPadded(model, { x, y }, 4, { padding: 'pre' });
    expect(signatures.cut).toBeGreaterThan(1);
  });
});
