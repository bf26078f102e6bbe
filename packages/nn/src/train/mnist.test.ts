import '@symgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { randomShift } from '../data/augment.js';
import { loadMnist } from '../data/mnist.js';
import { Conv2D } from '../layers/convolution.js';
import { Dense, Flatten } from '../layers/dense.js';
import { MaxPooling2D } from '../layers/pooling.js';
import { Reshape } from '../layers/reshape.js';
import { Sequential } from '../layers/sequential.js';
import { accuracy } from '../metrics.js';
import { adam } from '../optimizers/adam.js';
import { cosineDecay } from '../optimizers/schedules.js';
import { Trainer } from './trainer.js';

/**
 * The package's target: an MLP 784-256-10 on MNIST digits (8,000 train / 2,000 test from
 * the `mnist` package) reaches ≥ 96% test accuracy within 10 epochs on the CPU backend.
 *
 * With 8,000 training digits a plain MLP overfits at about 95% (train accuracy 99%+), so the
 * recipe adds ±1-pixel random shifts and a cosine-decayed Adam learning rate.
 */
describe('MNIST', () => {
  it('MLP 784-256-10 reaches ≥ 96% test accuracy within 10 epochs', async () => {
    const { train, test } = loadMnist({ train: 8000, test: 2000, seed: 0 });
    const model = new Sequential([
      new Dense(256, { activation: 'relu', kernelInitializer: 'heNormal' }),
      new Dense(10),
    ], { inputShape: [784], seed: 1 });
    const batchSize = 64;
    const epochs = 10;
    const optimizer = adam({ learningRate: cosineDecay({ initial: 2e-3, steps: epochs * train.numBatches(batchSize) }) });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer, metrics: ['accuracy'] });
    const times: number[] = [];
    let t0 = performance.now();
    const history = await trainer.fit(train, {
      epochs, batchSize, seed: 0, validationData: test,
      augment: randomShift({ height: 28, width: 28, maxShift: 1 }),
      callbacks: [{
        onEpochEnd: (epoch, logs) => {
          times.push(performance.now() - t0);
          t0 = performance.now();
          console.log(`epoch ${epoch}: loss ${logs['loss']!.toFixed(4)} accuracy ${logs['accuracy']!.toFixed(4)} valAccuracy ${logs['valAccuracy']!.toFixed(4)} (${(times.at(-1)! / 1000).toFixed(2)} s)`);
        },
      }],
    });
    const acc = accuracy(await trainer.predict(test.x), test.y);
    console.log(`MNIST: test accuracy ${acc.toFixed(4)} after ${history.epochs.length} epochs; mean epoch time ${(times.reduce((a, b) => a + b, 0) / times.length / 1000).toFixed(2)} s (training + validation)`);
    expect(acc).toBeGreaterThanOrEqual(0.96);
    expect(acc).toBeCloseTo(history.epochs.at(-1)!['valAccuracy']!, 10);
    // 8000 = 125 × 64: one training shape; 2000 = 7 × 256 + 208: two evaluation shapes.
    expect(trainer.compiledSignatures()).toEqual({ train: 1, evaluate: 2, predict: 2 });
  }, 600_000);

  it("a small CNN (two 3×3 convolutions with max pooling) reaches ≥ 96.5% test accuracy in 5 epochs, half the MLP's", async () => {
    const { train, test } = loadMnist({ train: 8000, test: 2000, seed: 0 });
    const model = new Sequential([
      new Reshape([28, 28, 1]),
      new Conv2D(16, 3, { activation: 'relu', kernelInitializer: 'heNormal' }), new MaxPooling2D(2),
      new Conv2D(32, 3, { activation: 'relu', kernelInitializer: 'heNormal' }), new MaxPooling2D(2),
      new Flatten(), new Dense(10),
    ], { inputShape: [784], seed: 1 });
    const batchSize = 64;
    const epochs = 5;
    const optimizer = adam({ learningRate: cosineDecay({ initial: 2e-3, steps: epochs * train.numBatches(batchSize) }) });
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer, metrics: ['accuracy'] });
    const t0 = performance.now();
    await trainer.fit(train, { epochs, batchSize, seed: 0, augment: randomShift({ height: 28, width: 28, maxShift: 1 }) });
    const acc = accuracy(await trainer.predict(test.x), test.y);
    console.log(`MNIST CNN: test accuracy ${acc.toFixed(4)} after ${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(acc).toBeGreaterThanOrEqual(0.965);
  }, 600_000);
});
