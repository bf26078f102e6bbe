import '@symgrad/backend-cpu';
import { fn, NDArray, shared, T } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { Sequential } from '../layers/sequential.js';
import type { Model } from '../layers/model.js';
import { softmaxCrossEntropy } from '../losses.js';
import { adam } from '../optimizers/adam.js';
import { sgd } from '../optimizers/sgd.js';
import { loadWeights, modelFromJSON, modelFromWeights, modelToJSON, saveWeights } from './checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

const makeModel = (seed = 1) => new Sequential([new Dense(5, { activation: 'relu' }), new Dropout(0.5), new Dense(3)], { inputShape: [4], seed });

async function trainSteps(model: Model, opt: ReturnType<typeof adam>, steps: number): Promise<number[]> {
  const x = T.matrix('x');
  const y = T.ivector('y');
  const loss = softmaxCrossEntropy(model.apply(x), y);
  const step = fn([x, y], loss, { updates: opt.updates(loss, model.parameters()) });
  const X = NDArray.from([[1, 2, 3, 4], [0, -1, 0, 1], [2, 0, 1, 0]], 'float32');
  const Y = NDArray.from([0, 2, 1], 'int32');
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push((await step(X, Y)).item());
  return out;
}

describe('checkpoints', () => {
  it('round-trips parameters and optimizer state exactly: training resumes identically', async () => {
    const a = makeModel();
    const optA = adam({ learningRate: 0.05 });
    await trainSteps(a, optA, 3);
    const bytes = await saveWeights(a, { optimizer: optA });
    const continued = await trainSteps(a, optA, 3);

    const b = modelFromJSON(modelToJSON(makeModel(99)));
    const optB = adam({ learningRate: 0.001 });
    loadWeights(b, bytes, { optimizer: optB });
    expect(optB.learningRate.get().item()).toBe(Math.fround(0.05));
    const resumed = await trainSteps(b, optB, 3);
    expect(resumed).toEqual(continued);
    const names = [...decodeSafetensors(bytes).tensors.keys()].sort();
    expect(names).toEqual([
      'dense_0/bias', 'dense_0/kernel', 'dense_1/bias', 'dense_1/kernel',
      'optimizer/dense_0/bias/m', 'optimizer/dense_0/bias/v', 'optimizer/dense_0/kernel/m', 'optimizer/dense_0/kernel/v',
      'optimizer/dense_1/bias/m', 'optimizer/dense_1/bias/v', 'optimizer/dense_1/kernel/m', 'optimizer/dense_1/kernel/v',
      'optimizer/learning_rate', 'optimizer/step',
    ]);
  });

  it('a weights file carries the model configuration', async () => {
    const a = makeModel();
    const bytes = await saveWeights(a, { metadata: { note: 'hi' } });
    const { metadata } = decodeSafetensors(bytes);
    expect(metadata['format']).toBe('symgrad-nn/weights');
    expect(metadata['note']).toBe('hi');
    const b = modelFromWeights(bytes);
    expect(b.toConfig()).toEqual(a.toConfig());
    expect(b.parameters().map((p) => [...p.get().data])).toEqual(a.parameters().map((p) => [...p.get().data]));
    // Loading parameters only ignores optimizer state in the file.
    const opt = sgd({ learningRate: 0.1, momentum: 0.9 });
    const withOpt = await saveWeights(a, { optimizer: opt });
    expect(() => loadWeights(makeModel(), withOpt)).not.toThrow();
  });

  it('rejects files that disagree with the model, changing nothing', async () => {
    const a = makeModel();
    const before = a.parameters().map((p) => [...p.get().data]);
    const params = Object.fromEntries(a.parameters().map((p) => [p.name!, p.get()]));
    const file = (over: Record<string, NDArray | undefined>) => encodeSafetensors(Object.fromEntries(Object.entries({ ...params, ...over }).filter(([, v]) => v)) as Record<string, NDArray>);
    expect(() => loadWeights(a, file({ 'dense_1/bias': undefined }))).toThrow("loadWeights: the file lacks 1 tensor the model needs: 'dense_1/bias'");
    expect(() => loadWeights(a, encodeSafetensors({}))).toThrow("loadWeights: the file lacks 4 tensors the model needs: 'dense_0/kernel', 'dense_0/bias', 'dense_1/kernel', 'dense_1/bias'");
    expect(() => loadWeights(a, file({}), { optimizer: sgd({ learningRate: 0.1, momentum: 0.9 }) })).toThrow(
      "loadWeights: the file lacks 5 tensors the model needs: 'optimizer/learning_rate', 'optimizer/dense_0/kernel/momentum', 'optimizer/dense_0/bias/momentum', 'optimizer/dense_1/kernel/momentum', 'optimizer/dense_1/bias/momentum' (the file holds no optimizer state",
    );
    const many = new Sequential([new Dense(2), new Dense(2), new Dense(2), new Dense(2), new Dense(2)], { inputShape: [2] });
    expect(() => loadWeights(many, encodeSafetensors({}))).toThrow(
      "loadWeights: the file lacks 10 tensors the model needs: 'dense_0/kernel', 'dense_0/bias', 'dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias', 'dense_3/kernel', 'dense_3/bias', …",
    );
    expect(() => loadWeights(a, file({ x1: NDArray.zeros([1]), x2: NDArray.zeros([1]) }))).toThrow("loadWeights: the file holds 2 tensors the model does not have: 'x1', 'x2' (is it the same architecture?)");
    expect(() => loadWeights(a, file({ extra: NDArray.zeros([1]) }))).toThrow("loadWeights: the file holds 1 tensor the model does not have: 'extra' (is it the same architecture?)");
    expect(() => loadWeights(a, file({ 'dense_0/kernel': NDArray.zeros([5, 4]) }))).toThrow("loadWeights: tensor 'dense_0/kernel' has shape [5, 4] but the model's variable has shape [4, 5]");
    expect(() => loadWeights(a, file({ 'dense_0/bias': NDArray.zeros([5], 'float64') }))).toThrow("loadWeights: tensor 'dense_0/bias' has dtype float64 but the model's variable is float32");
    expect(() => loadWeights(a, file({}), { optimizer: adam({ learningRate: 0.1 }) })).toThrow('(the file holds no optimizer state: save it with saveWeights(model, { optimizer }), or load without { optimizer })');
    expect(() => loadWeights(a, new Uint8Array([1, 2, 3]))).toThrow('truncated file: 3 bytes');
    expect(() => modelFromWeights(file({}))).toThrow('modelFromWeights: the file has no model configuration in its metadata (it was not written by saveWeights of a Sequential or FunctionalModel); build the model and use loadWeights');
    expect(() => modelToJSON({} as never)).toThrow('modelToJSON: only Sequential and FunctionalModel models have a JSON configuration');
    expect(a.parameters().map((p) => [...p.get().data])).toEqual(before);
    expect(() => modelFromJSON(5 as never)).toThrow('modelFromJSON: expected JSON text');
    const unnamed = { apply: a.apply.bind(a), parameters: () => [shared(NDArray.zeros([1]))] };
    await expect(saveWeights(unnamed)).rejects.toThrow('saveWeights: variable 0 <unnamed shared> (float32[1]) has no name; saved tensors are identified by name');
    const twice = { apply: a.apply.bind(a), parameters: () => [shared(NDArray.zeros([1]), 'p'), shared(NDArray.zeros([1]), 'p')] };
    expect(() => loadWeights(twice, file({}))).toThrow("loadWeights: two variables are named 'p'");
  });
});
