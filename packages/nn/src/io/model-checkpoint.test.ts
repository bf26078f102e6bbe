import '@symgrad/backend-cpu';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomClassification } from '../data/synthetic.js';
import { Dense } from '../layers/dense.js';
import { FunctionalModel } from '../layers/functional.js';
import { Sequential } from '../layers/sequential.js';
import { Input } from '../layers/symbolic-tensor.js';
import { adam } from '../optimizers/adam.js';
import { callback } from '../train/callbacks.js';
import { Trainer } from '../train/trainer.js';
import { modelCheckpoint } from './model-checkpoint.js';
import { loadModel } from './node-files.js';

describe('modelCheckpoint', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'symgrad-checkpoint-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const data = randomClassification({ rows: 96, features: 6, classes: 3, seed: 2 });
  const [train, test] = data.split(64);

  it('keeps the model of the best epoch on disk: loaded back, it has that epoch\'s weights and optimizer state', async () => {
    const x = new Input([6]);
    const model = new FunctionalModel({ inputs: x, outputs: new Dense(3).apply(new Dense(16, { activation: 'relu' }).apply(x)) }, { seed: 1 });
    const optimizer = adam({ learningRate: 0.05 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer, metrics: ['accuracy'] });
    // Random labels: the validation loss rises once the model starts to memorize, so the best epoch is an early one.
    const snapshots: { valLoss: number; weights: number[][]; slots: number[][] }[] = [];
    const values = (vars: readonly { read(): Promise<{ data: ArrayLike<number> }> }[]) => Promise.all(vars.map(async (v) => [...Array.from((await v.read()).data)]));
    const record = callback({ onEpochEnd: async (_e, logs) => void snapshots.push({ valLoss: logs['valLoss']!, weights: await values(model.parameters()), slots: await values(optimizer.state()) }) });
    const path = join(dir, 'best');
    await trainer.fit(train, { epochs: 12, batchSize: 16, validationData: test, callbacks: [modelCheckpoint(path, { optimizer }), record] });
    const best = snapshots.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
    expect(best).not.toBe(snapshots.at(-1));
    const resumed = adam({ learningRate: 0.001 });
    const loaded = await loadModel(path, { optimizer: resumed });
    expect(loaded).toBeInstanceOf(FunctionalModel);
    expect(loaded.parameters().map((p) => [...p.get().data])).toEqual(best.weights);
    expect(resumed.state().map((v) => [...Array.from(v.get().data)])).toEqual(best.slots);
    trainer.dispose();
  });

  it('with saveBestOnly false and {epoch} in the path, saves every epoch in its own folder; it watches any log', async () => {
    const model = new Sequential([new Dense(3)], { inputShape: [6], seed: 2 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
    await trainer.fit(train, { epochs: 3, batchSize: 32, callbacks: [modelCheckpoint(join(dir, 'every', 'epoch-{epoch}'), { saveBestOnly: false, monitor: 'accuracy' })] });
    expect((await readdir(join(dir, 'every'))).sort()).toEqual(['epoch-1', 'epoch-2', 'epoch-3']);
    const last = await loadModel(join(dir, 'every', 'epoch-3'));
    expect(last.parameters().map((p) => [...p.get().data])).toEqual(model.parameters().map((p) => [...p.get().data]));
    trainer.dispose();
  });

  it('names what is wrong', async () => {
    expect(() => modelCheckpoint('')).toThrow('modelCheckpoint: dir must be a folder path, got ""');
    expect(() => modelCheckpoint('x', { mode: 'up' as never })).toThrow("modelCheckpoint: mode must be 'min', 'max' or 'auto', got \"up\"");
    const model = new Sequential([new Dense(3)], { inputShape: [6], seed: 2 });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }) });
    await expect(trainer.fit(train, { epochs: 1, callbacks: [modelCheckpoint(join(dir, 'none'))] })).rejects.toThrow("modelCheckpoint: monitor 'valLoss' is not among the epoch logs (loss, learningRate): pass validationData to fit, or monitor 'loss'");
    const bare = { apply: model.apply.bind(model), parameters: () => model.parameters() };
    const other = new Trainer(bare, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }) });
    await expect(other.fit(train, { epochs: 1, callbacks: [modelCheckpoint(join(dir, 'bare'), { monitor: 'loss' })] })).rejects.toThrow("modelCheckpoint: saves Sequential and FunctionalModel models (their configuration with the weights); save another model's weights with saveWeightsFile in an onEpochEnd callback");
    trainer.dispose();
    other.dispose();
  });
});
