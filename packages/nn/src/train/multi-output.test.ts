import '@symgrad/backend-cpu';
import { NDArray } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { Dense } from '../layers/dense.js';
import { FunctionalModel } from '../layers/functional.js';
import { Sequential } from '../layers/sequential.js';
import { Input } from '../layers/symbolic-tensor.js';
import { adam } from '../optimizers/adam.js';
import { sgd } from '../optimizers/sgd.js';
import { accuracy, topK } from '../metrics.js';
import { fit, Trainer } from './trainer.js';

/** Features [n, 4]; a class (which feature is largest of the first three) and a number (the sum) per row. */
function twoTasks(n: number, seed: number) {
  const rng = new TestRandom(seed);
  const x = rng.array([n, 4], 'float32', -1, 1);
  const labels = new NDArray('int32', [n], Int32Array.from({ length: n }, (_, r) => {
    const row = Array.from(x.data.subarray(r * 4, r * 4 + 3));
    return row.indexOf(Math.max(...row));
  }));
  const sums = new NDArray('float32', [n, 1], Float32Array.from({ length: n }, (_, r) => Array.from(x.data.subarray(r * 4, r * 4 + 4)).reduce((a, b) => a + b, 0)));
  return { x, labels, sums };
}

/** A shared trunk with a classification head and a regression head. */
function twoHeads(seed = 1) {
  const x = new Input([4]);
  const trunk = new Dense(32, { activation: 'relu' }).apply(x);
  const classes = new Dense(3, { name: 'classes' });
  const total = new Dense(1, { name: 'total' });
  return { model: new FunctionalModel({ inputs: x, outputs: [classes.apply(trunk), total.apply(trunk)] }, { seed }), classes, total };
}

describe('training a model of several outputs', () => {
  it('trains each output on its own loss and targets; the loss is their weighted sum, and each is reported', async () => {
    const { x, labels, sums } = twoTasks(256, 1);
    const { model } = twoHeads();
    const trainer = new Trainer(model, { loss: ['softmaxCrossEntropy', 'meanSquaredError'], lossWeights: [1, 0.5], optimizer: adam({ learningRate: 0.02 }), metrics: [['accuracy'], ['mae']] });
    const val = twoTasks(64, 2);
    const history = await trainer.fit({ x, y: [labels, sums] }, { epochs: 25, batchSize: 32, seed: 3, validationData: { x: val.x, y: [val.labels, val.sums] } });
    const [first, last] = [history.epochs[0]!, history.epochs.at(-1)!];
    for (const logs of [first, last]) {
      expect(logs.loss).toBeCloseTo(logs['output0Loss']! + 0.5 * logs['output1Loss']!, 5);
      expect(logs['valLoss']).toBeCloseTo(logs['valOutput0Loss']! + 0.5 * logs['valOutput1Loss']!, 5);
    }
    expect(last['output0Loss']).toBeLessThan(first['output0Loss']! * 0.5);
    expect(last['output1Loss']).toBeLessThan(first['output1Loss']! * 0.1);
    // Each output's metrics score that output.
    expect(last['output0Accuracy']).toBeGreaterThan(0.85);
    expect(last['valOutput0Accuracy']).toBeGreaterThan(0.8);
    expect(last['output1Mae']).toBeLessThan(first['output1Mae']! * 0.4);
    const logs = await trainer.evaluate({ x, y: [labels, sums] }, { batchSize: 100 });
    expect(Object.keys(logs).sort()).toEqual(['loss', 'output0Accuracy', 'output0Loss', 'output1Loss', 'output1Mae']);
    const [scores, predicted] = await trainer.predictOutputs(x, { batchSize: 100 });
    expect([scores!.shape, predicted!.shape]).toEqual([[256, 3], [256, 1]]);
    const mse = Array.from(predicted!.data).reduce((a, v, i) => a + (v - sums.data[i]!) ** 2, 0) / 256;
    expect(mse).toBeCloseTo(logs['output1Loss']!, 4);
    const mae = Array.from(predicted!.data).reduce((a, v, i) => a + Math.abs(v - sums.data[i]!), 0) / 256;
    expect(Math.abs(logs['output1Mae']! - mae) / mae).toBeLessThan(1e-5);
    expect(logs['output0Accuracy']).toBeCloseTo(accuracy(scores!, labels), 10);
    await expect(trainer.predict(x)).rejects.toThrow("FunctionalModel 'model'.apply: the model has 2 outputs; applyOutputs returns them all");
    trainer.dispose();
  });

  it('one list of metrics scores every output, on the device and on the host', async () => {
    const { x, labels } = twoTasks(256, 6);
    // A second classification: whether the row's sum is positive.
    const positive = new NDArray('int32', [256], Int32Array.from({ length: 256 }, (_, r) => (Array.from(x.data.subarray(r * 4, r * 4 + 4)).reduce((a, b) => a + b, 0) > 0 ? 1 : 0)));
    const input = new Input([4]);
    const trunk = new Dense(32, { activation: 'relu' }).apply(input);
    const model = new FunctionalModel({ inputs: input, outputs: [new Dense(3).apply(trunk), new Dense(2).apply(trunk)] }, { seed: 4 });
    const trainer = new Trainer(model, { loss: ['softmaxCrossEntropy', 'softmaxCrossEntropy'], optimizer: adam({ learningRate: 0.02 }), metrics: ['accuracy', topK(1)] });
    expect(trainer.metrics.map((m) => [m.name, m.output])).toEqual([['output0Accuracy', 0], ['output0Top1Accuracy', 0], ['output1Accuracy', 1], ['output1Top1Accuracy', 1]]);
    const history = await trainer.fit({ x, y: [labels, positive] }, { epochs: 20, batchSize: 32, seed: 1 });
    expect(history.epochs.at(-1)!['output0Accuracy']).toBeGreaterThan(0.8);
    expect(history.epochs.at(-1)!['output1Accuracy']).toBeGreaterThan(0.8);
    const logs = await trainer.evaluate({ x, y: [labels, positive] }, { batchSize: 100 });
    const [a, b] = await trainer.predictOutputs(x);
    // The device's sums and the host's top-1 (computed from the outputs read back) agree with the outputs.
    expect(logs['output0Accuracy']).toBeCloseTo(accuracy(a!, labels), 10);
    expect(logs['output1Accuracy']).toBeCloseTo(accuracy(b!, positive), 10);
    expect(logs['output0Top1Accuracy']).toBeCloseTo(logs['output0Accuracy']!, 10);
    expect(logs['output1Top1Accuracy']).toBeCloseTo(logs['output1Accuracy']!, 10);
    trainer.dispose();
  });

  it('a loss weight of 0 leaves the head that only it reaches untouched', async () => {
    const { x, labels, sums } = twoTasks(64, 4);
    const { model, total } = twoHeads(2);
    const before = total.parameters().map((p) => [...p.get().data]);
    await fit(model, { x, y: [labels, sums] }, { loss: ['softmaxCrossEntropy', 'meanSquaredError'], lossWeights: [1, 0], optimizer: sgd({ learningRate: 0.1 }), epochs: 2, batchSize: 16 });
    expect(total.parameters().map((p) => [...p.get().data])).toEqual(before);
  });

  it('names what is wrong', async () => {
    const { model } = twoHeads();
    const optimizer = sgd({ learningRate: 0.1 });
    const seq = new Sequential([new Dense(2)], { inputShape: [4] });
    expect(() => new Trainer(model, { loss: [], optimizer })).toThrow('Trainer: loss is an empty array; give one loss per model output');
    expect(() => new Trainer(seq, { loss: ['meanSquaredError'], optimizer })).toThrow('Trainer: a loss per output needs a model of several outputs (a FunctionalModel, whose applyOutputs gives them)');
    expect(() => new Trainer(model, { loss: ['softmaxCrossEntropy', 'meanSquaredError'], lossWeights: [1], optimizer })).toThrow('Trainer: lossWeights must be 2 finite numbers (one per loss), got [1]');
    expect(() => new Trainer(seq, { loss: 'meanSquaredError', lossWeights: [NaN], optimizer })).toThrow('Trainer: lossWeights must be 1 finite number (one per loss), got [null]');
    const { x, labels, sums } = twoTasks(8, 5);
    const trainer = new Trainer(model, { loss: ['softmaxCrossEntropy', 'meanSquaredError', 'meanSquaredError'], optimizer });
    await expect(trainer.fit({ x, y: [labels, sums] })).rejects.toThrow('Trainer: the model gives 2 outputs and the data 2 target arrays, but there are 3 losses: give one loss and one y per output');
    const single = new Trainer(seq, { loss: 'meanSquaredError', optimizer });
    await expect(single.fit({ x, y: [sums, sums] })).rejects.toThrow('Trainer: the model gives 1 output and the data 2 target arrays, but there is 1 loss: give one loss and one y per output');
    await expect(single.predictOutputs(x)).rejects.toThrow('Trainer.predictOutputs: the model has one output (no applyOutputs); use predict');
    const scalarLoss = new Trainer(model, { loss: ['softmaxCrossEntropy', (o) => o], optimizer });
    await expect(scalarLoss.fit({ x, y: [labels, sums] })).rejects.toThrow(/^Trainer: the loss of output 1 must be a float32 scalar, got /);
    const losses = ['softmaxCrossEntropy', 'meanSquaredError'] as const;
    expect(() => new Trainer(model, { loss: [...losses], optimizer, metrics: [['accuracy']] })).toThrow('Trainer: metrics has 1 list but the model is trained on 2 outputs; give one list per output');
    expect(() => new Trainer(model, { loss: [...losses], optimizer, metrics: [['accuracy'], 'mae'] as never })).toThrow('Trainer: metrics mixes metrics and lists; give one list for every output, or one list per output');
    expect(() => new Trainer(model, { loss: [...losses], optimizer, metrics: [[], [{ name: 'loss', compute: () => 0 }]] })).toThrow("Trainer: metric name 'output1Loss' is used twice (or clashes with the loss's logs)");
    expect(() => new Trainer(model, { loss: [...losses], optimizer, metrics: 'accuracy' as never })).toThrow('Trainer: metrics must be a list such as [\'accuracy\'] (or one list per output), got "accuracy"');
    // A metric that cannot score an output says which.
    const mseEverywhere = new Trainer(model, { loss: [...losses], optimizer, metrics: ['mse'] });
    await expect(mseEverywhere.fit({ x, y: [labels, sums] })).rejects.toThrow(/^meanSquaredError: output .* and targets 'y0' \(int32\[\?\]\) must have the same rank \(or \[n\] targets for an \[n, 1\] output\)$/);
    await expect(trainer.fit({ x, y: [labels, 5 as never] })).rejects.toThrow('Trainer.fit: data must be a Dataset or { x, y } NDArrays (x may be one NDArray per model input, y one per output)');
  });
});
