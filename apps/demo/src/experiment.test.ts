import { describe, expect, it } from 'vitest';
import '@symgrad/backend-cpu';
import { NDArray } from '@symgrad/core';
import { randomSplit } from './data.js';
import { buildModel, gatherRows, median, runExperiment, shuffled } from './experiment.js';
import { crossovers } from './sweep.js';

describe('helpers', () => {
  it('shuffles deterministically by seed', () => {
    const p = shuffled(50, 3);
    expect([...p].sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
    expect(shuffled(50, 3)).toEqual(p);
    expect(shuffled(50, 4)).not.toEqual(p);
  });

  it('gathers rows of matrices and vectors', () => {
    const x = NDArray.from([[1, 2], [3, 4], [5, 6]]);
    const out = new NDArray('float32', [2, 2], new Float32Array(4));
    expect([...gatherRows(x, Int32Array.from([2, 0, 1]), 0, 2, out).data]).toEqual([5, 6, 1, 2]);
    const y = NDArray.from([7, 8, 9], 'int32');
    expect([...gatherRows(y, Int32Array.from([2, 0, 1]), 1, 3, new NDArray('int32', [2], new Int32Array(2))).data]).toEqual([7, 8]);
  });

  it('takes medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('finds where a backend overtakes the cpu for good', () => {
    const batches = [32, 64, 128, 256];
    const rows = [
      { backend: 'cpu', msPerStep: [1, 2, 4, 8], gflops: [] },
      { backend: 'webgpu', msPerStep: [5, 1.5, 5, 6], gflops: [] },
      { backend: 'cuda', msPerStep: [9, 9, 9, 9], gflops: [] },
    ];
    expect(crossovers(batches, rows)).toEqual([{ backend: 'webgpu', batch: 256 }, { backend: 'cuda', batch: null }]);
  });
});

describe('buildModel', () => {
  it('a resident training set gives the same steps as passing the arrays, and needs to be given', async () => {
    const data = randomSplit(23, 6, 10, 17, 5);
    const opts = { backend: 'cpu', precision: 'fp32' as const, seed: 5 };
    const resident = buildModel(data.xTrain.shape[1]!, 7, 10, { ...opts, resident: { x: data.xTrain, y: data.yTrain } });
    const plain = buildModel(data.xTrain.shape[1]!, 7, 10, opts);
    try {
      for (let i = 0; i < 4; i++) expect((await resident.trainResident()).item()).toBe((await plain.train(data.xTrain, data.yTrain)).item());
      expect(() => plain.trainResident()).toThrow('buildModel: trainResident needs the training set as { resident: { x, y } }');
      expect(() => plain.setLearningRate(0.01)).toThrow('buildModel: setLearningRate needs { variableRate: true }');
    } finally {
      resident.dispose();
      plain.dispose();
    }
  });
});

describe('runExperiment', () => {
  it('trains with minibatches, records every step and evaluates on schedule', async () => {
    const data = randomSplit(100, 20, 10, 80, 1);
    const seen: number[] = [];
    const r = await runExperiment(data, { backend: 'cpu', hidden: 16, epochs: 6, batch: 16, precision: 'tf32', seed: 1, logEvery: 3 }, (p) => void seen.push(p.step));
    expect(r.precision).toBe('fp32'); // the cpu offers no tf32
    expect(r.stepsPerEpoch).toBe(5);
    expect(r.steps).toBe(30);
    expect(r.stepMs).toHaveLength(30);
    expect(seen.at(-1)).toBe(30);
    expect(r.history.map((h) => h.testAccuracy !== undefined)).toEqual([true, false, true, false, false, true]);
    expect(r.history[5]!.loss).toBeLessThan(r.history[0]!.loss);
    expect(r.flopsPerStep).toBe(2 * 16 * (20 * 16 + 16 * 16 + 16 * 10) * 2 + 2 * 16 * (16 * 16 + 16 * 10));
  });

  it('stops when the loss is not finite, saying where and with which settings', async () => {
    const data = randomSplit(30, 5, 10, 24, 2);
    data.xTrain.data[5 * 7] = Number.NaN; // row 7 of the training set
    await expect(runExperiment(data, { backend: 'cpu', hidden: 8, epochs: 2, batch: 0, precision: 'fp32', seed: 2, logEvery: 1 }))
      .rejects.toThrow('cpu: the training loss became NaN at epoch 1, step 1 of 2 (learning rate 0.1, batch 24, hidden 8)');
    // With minibatches and a cosine schedule it names the step and that epoch's rate: a NaN
    // put into the fifth minibatch (epoch 3 of 4, whose rate is half the first's).
    let calls = 0;
    const augment = (x: NDArray): void => {
      if (++calls === 5) x.data[0] = Number.NaN;
    };
    const cosine = { backend: 'cpu', hidden: 8, epochs: 4, batch: 12, precision: 'fp32', seed: 2, logEvery: 1, schedule: 'cosine', augment } as const;
    await expect(runExperiment(randomSplit(30, 5, 10, 24, 2), cosine))
      .rejects.toThrow('cpu: the training loss became NaN at epoch 3, step 5 of 8 (learning rate 0.05, batch 12, hidden 8)');
  });
});
