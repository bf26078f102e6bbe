import '@symgrad/backend-cpu';
import { getBackendIfReady, NDArray, ready } from '@symgrad/core';
import { describe, expect, it, vi } from 'vitest';
import { Dataset } from '../data/dataset.js';
import { randomClassification } from '../data/synthetic.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { Sequential } from '../layers/sequential.js';
import { accuracy, binaryAccuracy, topK } from '../metrics.js';
import { adam } from '../optimizers/adam.js';
import { stepDecay } from '../optimizers/schedules.js';
import { sgd } from '../optimizers/sgd.js';
import { earlyStopping, type TrainEvent } from './callbacks.js';
import { NonFiniteLossError } from './fit-run.js';
import { fit, Trainer } from './trainer.js';

const data = randomClassification({ rows: 50, features: 4, classes: 3, seed: 2 });
const model = (seed = 1, dropout = false) => new Sequential([
  new Dense(8, { activation: 'relu' }), ...(dropout ? [new Dropout(0.3)] : []), new Dense(3),
], { inputShape: [4], seed });
const trainer = (m = model(), lr = 0.1) => new Trainer(m, { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: lr }), metrics: ['accuracy'] });

describe('Trainer', () => {
  it('partial batches compile at most two shapes, however many epochs run', async () => {
    const t = trainer();
    const history = await t.fit(data, { epochs: 3, batchSize: 16, validationData: data });
    expect(history.epochs.length).toBe(3);
    expect(t.compiledSignatures()).toEqual({ train: 2, evaluate: 1, predict: 0 });
    expect(t.globalStep).toBe(12);
    await t.fit(data, { epochs: 2, batchSize: 16 });
    expect(t.compiledSignatures().train).toBe(2);
    expect(Object.keys(history.epochs[0]!)).toEqual(['loss', 'accuracy', 'learningRate', 'valLoss', 'valAccuracy']);
    expect(history.epochs[2]!.loss).toBeLessThan(history.epochs[0]!.loss!);
  });

  it('the run is an async stream of events', async () => {
    const t = trainer();
    const run = t.fit(data, { epochs: 2, batchSize: 20 });
    const events: TrainEvent[] = [];
    for await (const ev of run) events.push(ev);
    const history = await run;
    expect(events.map((e) => e.type)).toEqual([
      'trainBegin', 'epochBegin', 'batchEnd', 'batchEnd', 'batchEnd', 'epochEnd', 'epochBegin', 'batchEnd', 'batchEnd', 'batchEnd', 'epochEnd', 'trainEnd',
    ]);
    const batches = events.filter((e): e is Extract<TrainEvent, { type: 'batchEnd' }> => e.type === 'batchEnd');
    expect(batches.map((b) => [b.epoch, b.step, b.size])).toEqual([[1, 1, 20], [1, 2, 20], [1, 3, 10], [2, 1, 20], [2, 2, 20], [2, 3, 10]]);
    // Someone is listening, so every batch's loss was read.
    expect(batches.every((b) => typeof b.loss === 'number')).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'trainEnd', history });
    // trainer.events() follows the next run.
    const stream = t.events();
    const run2 = t.fit(data, { epochs: 1, batchSize: 50 });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    await run2;
    expect(types).toEqual(['trainBegin', 'epochBegin', 'batchEnd', 'epochEnd', 'trainEnd']);
  });

  it('reads the loss only when needed: never per step without listeners, every lossEvery steps otherwise', async () => {
    await ready('cpu');
    const backend = getBackendIfReady('cpu')!;
    // Results leave the device by read, or by take where the backend hands its arrays over.
    const spies = [vi.spyOn(backend, 'read'), ...(backend.take ? [vi.spyOn(backend, 'take')] : [])];
    const reads = (): number => spies.reduce((n, s) => n + s.mock.calls.length, 0);
    const t = trainer();
    await t.fit(data, { epochs: 1, batchSize: 5 });
    // Ten steps, all enqueued: the epoch reads only its loss and metric accumulators.
    const quiet = reads();
    expect(quiet).toBeLessThanOrEqual(3);
    for (const s of spies) s.mockClear();
    const losses: (number | undefined)[] = [];
    await t.fit(data, { epochs: 1, batchSize: 5, lossEvery: 4, callbacks: [{ onBatchEnd: (b) => void losses.push(b.loss) }] });
    expect(losses.map((l) => l !== undefined)).toEqual([false, false, false, true, false, false, false, true, false, true]);
    expect(reads()).toBe(quiet + 3);
    for (const s of spies) s.mockRestore();
  });

  it('yields to the event loop between batches', async () => {
    let ticks = 0;
    const t = trainer();
    const seen: number[] = [];
    const tick = () => { ticks++; if (ticks < 1000) setImmediate(tick); };
    setImmediate(tick);
    await t.fit(data, { epochs: 1, batchSize: 5, callbacks: [{ onBatchEnd: () => void seen.push(ticks) }] });
    ticks = 1000;
    expect(seen.at(-1)! - seen[0]!).toBeGreaterThanOrEqual(9);
  });

  it('the same seed on the same backend gives the same losses (dropout and shuffling included)', async () => {
    const run = async () => {
      const losses: number[] = [];
      const t = new Trainer(model(7, true), { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }) });
      await t.fit(data, { epochs: 3, batchSize: 16, seed: 5, callbacks: [{ onBatchEnd: (b) => void losses.push(b.loss!) }] });
      return losses;
    };
    const a = await run();
    const b = await run();
    expect(a.length).toBe(12);
    expect(b).toEqual(a);
    const t = new Trainer(model(7, true), { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }) });
    const other: number[] = [];
    await t.fit(data, { epochs: 3, batchSize: 16, seed: 6, callbacks: [{ onBatchEnd: (e) => void other.push(e.loss!) }] });
    expect(other).not.toEqual(a);
  });

  it('evaluate and predict', async () => {
    const t = trainer();
    await t.fit(data, { epochs: 5, batchSize: 10 });
    const logs = await t.evaluate(data, { batchSize: 16 });
    const scores = await t.predict(data.x, { batchSize: 16 });
    expect(scores.shape).toEqual([50, 3]);
    expect(logs['accuracy']).toBeCloseTo(accuracy(scores, data.y), 10);
    expect(Object.keys(logs)).toEqual(['loss', 'accuracy']);
    expect(t.compiledSignatures().predict).toBe(2);
    const k = new Trainer(model(), { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }), metrics: [topK(3)] });
    expect((await k.evaluate(data))['top3Accuracy']).toBe(1);
  });

  it('steps an epoch schedule and reports the learning rate', async () => {
    const t = new Trainer(model(), { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: stepDecay({ initial: 0.1, factor: 0.5, every: 1, unit: 'epoch' }) }) });
    const history = await t.fit(data, { epochs: 3, batchSize: 25 });
    expect(history.epochs.map((e) => e['learningRate'])).toEqual([0.1, 0.05, 0.025].map(Math.fround));
  });

  it('a callback can stop training', async () => {
    const t = trainer();
    const history = await t.fit(data, { epochs: 5, batchSize: 10, callbacks: [{ onBatchEnd: (b, c) => { if (b.step === 2) c.stop('enough'); } }] });
    expect(history.stopped).toEqual({ epoch: 1, reason: 'enough' });
    expect(history.epochs.length).toBe(1);
    expect(t.globalStep).toBe(2);
  });

  it('early stopping with patience, minDelta and monitor', async () => {
    const t = trainer(model(), 0); // learning rate 0: the loss never improves
    const history = await t.fit(data, { epochs: 10, batchSize: 25, shuffle: false, callbacks: [earlyStopping({ monitor: 'loss', patience: 2, minDelta: 1e-3 })] });
    expect(history.epochs.length).toBe(3);
    expect(history.stopped!.reason).toMatch(/^early stopping: loss did not improve by more than 0.001 for 2 epochs/);
    await expect(t.fit(data, { epochs: 1, callbacks: [earlyStopping()] })).rejects.toThrow("earlyStopping: monitor 'valLoss' is not among the epoch logs (loss, accuracy, learningRate): pass validationData to fit, or monitor 'loss'");
    const improving = trainer(model(), 0.1);
    const h2 = await improving.fit(data, { epochs: 4, batchSize: 10, callbacks: [earlyStopping({ monitor: 'valAccuracy', patience: 10, restoreBestWeights: true })], validationData: data });
    expect(h2.stopped).toBeUndefined();
  });

  it('a NaN loss stops training with an error naming epoch and step', async () => {
    const x = NDArray.from(data.x);
    const bad = new Float32Array(x.data);
    bad[4 * 12] = NaN; // row 12: in the second batch of 10
    const nanData = new Dataset(new NDArray('float32', [50, 4], bad), data.y);
    const t = trainer();
    await expect(t.fit(nanData, { epochs: 2, batchSize: 10, shuffle: false, callbacks: [{ onBatchEnd() {} }] })).rejects.toThrow(
      "the training loss is NaN at epoch 1, step 2 of 5; training stopped. Check the learning rate (now 0.10000000149011612), which may be too high, and the scale of the inputs (normalize features to about zero mean and unit variance). To find the first op that produces it, compile the step with fn(..., { mode: 'debug' }) (or create the Trainer with { mode: 'debug' }), which names the op and where it was built.",
    );
    await expect(trainer().fit(nanData, { batchSize: 10, shuffle: false, lossEvery: 4 })).rejects.toThrow('at epoch 1, step 4 of 5 (the loss is read every 4 steps, so it became NaN between steps 1 and 4)');
    const err = await trainer().fit(nanData, { batchSize: 10, shuffle: false }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toContain('the training loss is NaN in epoch 1 (the loss was read only at the end of the epoch; fit with lossEvery: 1 to find the step)');
    // In debug mode fn's own checks name the input (or the op) that produced the NaN.
    const debug = new Trainer(model(), { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }), mode: 'debug' });
    await expect(debug.fit(nanData, { batchSize: 10, shuffle: false })).rejects.toThrow("input 0 'x': element 8 is NaN (debug mode checks inputs for NaN and Inf)");
    // The event stream of a failed run ends with the error.
    const run = trainer().fit(nanData, { batchSize: 10, shuffle: false });
    await expect((async () => { for await (const _ of run); })()).rejects.toThrow('the training loss is NaN');
  });

  it('augment transforms training batches only', async () => {
    const calls: [number, number, number][] = [];
    const t = trainer();
    await t.fit(data, { epochs: 2, batchSize: 20, validationData: data, augment: (b, info) => { calls.push([info.epoch, info.step, b.size]); return b; } });
    expect(calls).toEqual([[1, 1, 20], [1, 2, 20], [1, 3, 10], [2, 1, 20], [2, 2, 20], [2, 3, 10]]);
    await expect(t.fit(data, { augment: 5 as never })).rejects.toThrow('fit: augment must be a function (batch, { epoch, step }) => batch');
  });

  it('fit() in one call', async () => {
    const history = await fit(model(), { x: data.x, y: data.y }, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'], epochs: 2, batchSize: 25 });
    expect(history.epochs.length).toBe(2);
  });

  it("'accuracy' of a sigmoid classifier is its binary accuracy (logits above 0), and 'mae' of a regressor its mean absolute error", async () => {
    const rows = 120;
    const x = new NDArray('float32', [rows, 4], Float32Array.from({ length: rows * 4 }, (_, i) => Math.sin(i * 1.7)));
    const sumOf = (r: number) => Array.from(x.data.subarray(r * 4, r * 4 + 4)).reduce((a, b) => a + b, 0);
    const positive = new NDArray('float32', [rows, 1], Float32Array.from({ length: rows }, (_, r) => (sumOf(r) > 0 ? 1 : 0)));
    const binary = new Trainer(new Sequential([new Dense(8, { activation: 'tanh' }), new Dense(1)], { inputShape: [4], seed: 2 }), { loss: 'sigmoidCrossEntropy', optimizer: adam({ learningRate: 0.05 }), metrics: ['accuracy'] });
    const history = await binary.fit({ x, y: positive }, { epochs: 15, batchSize: 16, validationData: { x, y: positive } });
    expect(history.epochs.at(-1)!.accuracy).toBeGreaterThan(0.9);
    const logits = await binary.predict(x);
    expect(history.epochs.at(-1)!['valAccuracy']).toBeCloseTo(binaryAccuracy(logits, positive, { threshold: 0 }), 10);
    const sums = new NDArray('float32', [rows, 1], Float32Array.from({ length: rows }, (_, r) => sumOf(r)));
    const regressor = new Trainer(new Sequential([new Dense(1)], { inputShape: [4], seed: 3 }), { loss: 'meanSquaredError', optimizer: adam({ learningRate: 0.05 }), metrics: ['mae', 'mse'] });
    const logs = (await regressor.fit({ x, y: sums }, { epochs: 3, batchSize: 32 })).epochs.at(-1)!;
    expect(Object.keys(logs)).toEqual(['loss', 'mae', 'mse', 'learningRate']);
    const predicted = await regressor.predict(x);
    const evaluated = await regressor.evaluate({ x, y: sums });
    const mae = Array.from(predicted.data).reduce((a, v, i) => a + Math.abs(v - sums.data[i]!), 0) / rows;
    expect(Math.abs(evaluated['mae']! - mae) / mae).toBeLessThan(1e-5);
    expect(evaluated['mse']).toBeCloseTo(evaluated.loss!, 5);
    binary.dispose();
    regressor.dispose();
  });

  it('errors name the problem', async () => {
    expect(() => new Trainer({} as never, { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }) })).toThrow('Trainer: model must have apply(x, options) and parameters() (e.g. a Sequential)');
    expect(() => new Trainer(model(), { loss: 'softmaxCrossEntropy' } as never)).toThrow('Trainer: options.optimizer must be an optimizer such as sgd({ learningRate: 0.1 })');
    expect(() => new Trainer(model(), { loss: 'nope' as never, optimizer: sgd({ learningRate: 0.1 }) })).toThrow('unknown loss "nope"');
    expect(() => new Trainer(model(), { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }), metrics: ['accuracy', 'accuracy'] })).toThrow("Trainer: metric name 'accuracy' is used twice (or clashes with the loss's logs)");
    expect(() => new Trainer(model(), { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }), metrics: [{ name: 'learningRate', compute: () => 0 }] })).toThrow("Trainer: metric name 'learningRate' is used twice (or clashes with the loss's logs)");
    const t = trainer();
    await expect(t.fit(data, { epochs: 0 })).rejects.toThrow('fit: epochs must be a positive integer, got 0');
    await expect(t.fit(data, { batchSize: 2.5 })).rejects.toThrow('fit: batchSize must be a positive integer, got 2.5');
    await expect(t.fit([1, 2] as never)).rejects.toThrow('Trainer.fit: data must be a Dataset or { x, y } NDArrays');
    await expect(t.fit({ x: data.x.astype('float64'), y: data.y })).rejects.toThrow("Trainer: x must be float32 (or int32 ids for a model that starts with an Embedding), got float64 (convert it with x.astype('float32'))");
    await expect(t.fit(data, { callbacks: [null as never] })).rejects.toThrow('fit: callback 0 must be an object with hooks such as onEpochEnd');
    const running = t.fit(data, { epochs: 1 });
    await expect(t.fit(data)).rejects.toThrow('Trainer.fit: a fit is already running on this trainer; await it first');
    await running;
    const mse = new Trainer(model(), { loss: (o) => o, optimizer: sgd({ learningRate: 0.1 }) });
    await expect(mse.fit(data)).rejects.toThrow("Trainer: the loss must be a float32 scalar, got <add output> (float32[?, 3])");
    await expect(t.predict(data.x, { batchSize: 0 })).rejects.toThrow('Trainer.predict: batchSize must be a positive integer, got 0');
    expect(() => new Trainer(model(), null as never)).toThrow("Trainer: options must give a loss and an optimizer");
    expect(() => new Trainer(model(), { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }), mode: 'fast' as never })).toThrow("Trainer: mode must be 'normal' or 'debug', got \"fast\"");
    await expect(t.fit(data, { seed: 0.5 })).rejects.toThrow('fit: seed must be a safe integer, got 0.5');
    await expect(t.fit(data.slice(0, 0))).rejects.toThrow('fit: the training data is empty');
    await expect(t.fit(data, { lossEvery: 0 })).rejects.toThrow('fit: lossEvery must be a positive integer, got 0');
    await expect(t.evaluate(data.slice(0, 0))).rejects.toThrow('Trainer.evaluate: the dataset is empty');
    await expect(t.evaluate(data, { batchSize: -1 })).rejects.toThrow('Trainer.evaluate: batchSize must be a positive integer, got -1');
    await expect(t.predict([[1, 2, 3, 4]] as never)).rejects.toThrow('Trainer.predict: x must be an NDArray');
    await expect(t.predict(NDArray.zeros([0, 4]))).rejects.toThrow('Trainer.predict: x has no rows');
    await expect(t.predict(NDArray.zeros([4]))).rejects.toThrow('Trainer.predict: x must have a row axis and feature axes, got shape [4]');
    expect(() => earlyStopping({ patience: -1 })).toThrow('earlyStopping: patience must be a non-negative integer, got -1');
    expect(() => earlyStopping({ minDelta: NaN })).toThrow('earlyStopping: minDelta must be a finite number, got NaN');
    expect(() => earlyStopping({ mode: 'up' as never })).toThrow("earlyStopping: mode must be 'min', 'max' or 'auto', got \"up\"");
    expect(() => earlyStopping({ monitor: 3 as never })).toThrow("earlyStopping: monitor must be the name of an epoch log such as 'valLoss' or 'valAccuracy', got a number");
  });
});
