import '@symgrad/backend-cpu';
import { verifyGrad } from '@symgrad/autodiff';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { randomClassification } from '../data/synthetic.js';
import { loadWeights, saveWeights } from '../io/checkpoint.js';
import { sgd } from '../optimizers/sgd.js';
import { earlyStopping } from '../train/callbacks.js';
import { Trainer } from '../train/trainer.js';
import { Dense } from './dense.js';
import { randomStateUpdates, stateUpdates } from './layer.js';
import { BatchNormalization, LayerNormalization } from './normalization.js';
import { Sequential } from './sequential.js';

/** float64 normalization of `x` ([rows, features], row-major) over rows (`byRow` false) or features. */
function normalized(x: ArrayLike<number>, rows: number, features: number, byRow: boolean, eps: number, stats?: { mean: number[]; variance: number[] }) {
  const out = new Float64Array(rows * features);
  const groups = byRow ? rows : features;
  const size = byRow ? features : rows;
  const at = (g: number, i: number): number => (byRow ? g * features + i : i * features + g);
  const means: number[] = [];
  const variances: number[] = [];
  for (let g = 0; g < groups; g++) {
    let mean = 0;
    for (let i = 0; i < size; i++) mean += x[at(g, i)]!;
    mean /= size;
    let variance = 0;
    for (let i = 0; i < size; i++) variance += (x[at(g, i)]! - mean) ** 2;
    variance /= size;
    means.push(mean);
    variances.push(variance);
    const m = stats ? stats.mean[g]! : mean;
    const v = stats ? stats.variance[g]! : variance;
    for (let i = 0; i < size; i++) out[at(g, i)] = (x[at(g, i)]! - m) / Math.sqrt(v + eps);
  }
  return { out, means, variances };
}

const affine = (y: Float64Array, features: number, gamma: ArrayLike<number>, beta: ArrayLike<number>): number[] =>
  [...y].map((v, i) => v * gamma[i % features]! + beta[i % features]!);

function randomAffine(rng: TestRandom, layer: LayerNormalization | BatchNormalization, features: number) {
  const [gamma, beta] = layer.parameters();
  const g = rng.array([features], 'float32', 0.5, 2);
  const b = rng.array([features], 'float32', -1, 1);
  gamma!.set(g);
  beta!.set(b);
  return { gamma: g.data, beta: b.data };
}

describe('LayerNormalization', () => {
  // Per-example shapes: a single feature, primes, and a 2-d example (normalized over its last axis).
  for (const [rows, shape] of [[1, [1]], [7, [5]], [3, [13]], [2, [3, 4]]] as const) {
    it(`normalizes each example over its last axis, then scales and shifts: ${rows} × [${shape.join(', ')}]`, async () => {
      const rng = new TestRandom(rows * 31 + shape.length);
      const layer = new LayerNormalization({ epsilon: 1e-5 });
      new Sequential([layer], { inputShape: shape });
      const features = shape[shape.length - 1]!;
      const { gamma, beta } = randomAffine(rng, layer, features);
      const x = rng.array([rows, ...shape], 'float32', -3, 3);
      const X = T.tensor('float32', [null, ...shape], 'x');
      const got = await fn([X], layer.call(X))(x);
      const groups = x.size / features;
      const want = affine(normalized(x.data, groups, features, true, 1e-5).out, features, gamma, beta);
      expect(relativeError(got.data, want)).toBeLessThan(1e-5);
      expect(await fn([X], layer.call(X, { training: true }))(x).then((a) => [...a.data])).toEqual([...got.data]);
    });
  }

  it('has gradients that match finite differences', async () => {
    const layer = new LayerNormalization();
    new Sequential([layer], { inputShape: [6] });
    const rng = new TestRandom(3);
    randomAffine(rng, layer, 6);
    const weights = rng.array([4, 6], 'float64', -1, 1);
    await verifyGrad((x) => T.sum(T.mul(layer.call(x), T.constant(weights))), [rng.array([4, 6], 'float64', -2, 2)], { rtol: 1e-4 });
  });

  it('without center or scale has no parameters', () => {
    const layer = new LayerNormalization({ center: false, scale: false });
    new Sequential([layer], { inputShape: [3] });
    expect(layer.parameters()).toEqual([]);
  });
});

describe('BatchNormalization', () => {
  for (const [rows, shape] of [[1, [4]], [7, [5]], [5, [3, 2]]] as const) {
    it(`in training normalizes each feature over the batch and moves its statistics: ${rows} × [${shape.join(', ')}]`, async () => {
      const rng = new TestRandom(rows * 17 + shape.length);
      const layer = new BatchNormalization({ momentum: 0.9, epsilon: 1e-5 });
      new Sequential([layer], { inputShape: shape });
      const features = shape[shape.length - 1]!;
      const { gamma, beta } = randomAffine(rng, layer, features);
      const x = rng.array([rows, ...shape], 'float32', -3, 3);
      const X = T.tensor('float32', [null, ...shape], 'x');
      const out = layer.call(X, { training: true });
      const updates = stateUpdates(out);
      expect(updates.map(([s]) => s.name)).toEqual(['batch_normalization_0/moving_mean', 'batch_normalization_0/moving_variance']);
      expect(randomStateUpdates(out)).toEqual([]);
      const got = await fn([X], out, { updates })(x);
      const ref = normalized(x.data, x.size / features, features, false, 1e-5);
      expect(relativeError(got.data, affine(ref.out, features, gamma, beta))).toBeLessThan(1e-5);
      const { mean, variance } = layer.movingStatistics;
      expect(relativeError((await mean.read()).data, ref.means.map((m) => 0.1 * m))).toBeLessThan(1e-5);
      expect(relativeError((await variance.read()).data, ref.variances.map((v) => 0.9 + 0.1 * v))).toBeLessThan(1e-6);
    });
  }

  it('in evaluation uses the moving statistics and updates nothing', async () => {
    const rng = new TestRandom(9);
    const layer = new BatchNormalization();
    new Sequential([layer], { inputShape: [3] });
    const { gamma, beta } = randomAffine(rng, layer, 3);
    const stats = { mean: [0.5, -1, 2], variance: [4, 0.25, 1] };
    layer.movingStatistics.mean.set(NDArray.from(stats.mean, 'float32'));
    layer.movingStatistics.variance.set(NDArray.from(stats.variance, 'float32'));
    const x = rng.array([6, 3], 'float32', -3, 3);
    const X = T.matrix('x');
    const out = layer.call(X);
    expect(stateUpdates(out)).toEqual([]);
    const got = await fn([X], out)(x);
    expect(relativeError(got.data, affine(normalized(x.data, 6, 3, false, 1e-3, stats).out, 3, gamma, beta))).toBeLessThan(1e-6);
  });

  it('trains with the Trainer, which moves the statistics; checkpoints and summaries hold them', async () => {
    const data = randomClassification({ rows: 48, features: 4, classes: 3, seed: 5 });
    const make = () => new Sequential([new Dense(8, { useBias: false }), new BatchNormalization(), new Dense(3)], { inputShape: [4], seed: 2 });
    const model = make();
    const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }) });
    const history = await trainer.fit(data, { epochs: 4, batchSize: 16 });
    expect(history.epochs[3]!.loss).toBeLessThan(history.epochs[0]!.loss!);
    expect(model.stateVariables().map((s) => s.name)).toEqual(['batch_normalization_0/moving_mean', 'batch_normalization_0/moving_variance']);
    const moved = [...model.stateVariables()[0]!.get().data];
    expect(moved.some((v) => v !== 0)).toBe(true);
    const copy = make();
    loadWeights(copy, await saveWeights(model));
    expect([...copy.stateVariables()[0]!.get().data]).toEqual(moved);
    expect(model.summary()).toMatch(/\nbatch_normalization_0 \(BatchNormalization\) +\[null, 8\] +32\n/);
    expect(model.summary().split('\n').slice(-3)).toEqual(['Total params: 91', 'Trainable params: 75', 'Non-trainable params: 16']);
    expect(model.countParameters()).toBe(75);
  });

  it('earlyStopping restores the moving statistics of the best epoch with the weights', async () => {
    const layer = new BatchNormalization();
    const model = new Sequential([new Dense(2), layer], { inputShape: [2] });
    const cb = earlyStopping({ monitor: 'loss', patience: 1, restoreBestWeights: true });
    const control = { model, stopRequested: false, stop: () => undefined };
    const mean = layer.movingStatistics.mean;
    mean.set(NDArray.from([1, 2], 'float32'));
    cb.onTrainBegin?.({ epochs: 2, stepsPerEpoch: 1 }, control);
    await cb.onEpochEnd!(1, { loss: 1 }, control);
    mean.set(NDArray.from([5, 6], 'float32'));
    await cb.onEpochEnd!(2, { loss: 2 }, control);
    expect([...mean.get().data]).toEqual([1, 2]);
  });

  it('rebuilds from its configuration', () => {
    const model = new Sequential([new BatchNormalization({ momentum: 0.9, center: false }), new LayerNormalization({ epsilon: 1e-6, name: 'ln' })], { inputShape: [3] });
    const copy = Sequential.fromConfig(JSON.stringify(model.toConfig()));
    expect(copy.toConfig()).toEqual(model.toConfig());
    expect(copy.toConfig().config.layers).toEqual([
      { className: 'BatchNormalization', config: { momentum: 0.9, epsilon: 1e-3, center: false, scale: true, name: 'batch_normalization_0' } },
      { className: 'LayerNormalization', config: { epsilon: 1e-6, center: true, scale: true, name: 'ln' } },
    ]);
  });

  it('names what is wrong', () => {
    expect(() => new BatchNormalization({ momentum: 1 })).toThrow('BatchNormalization: momentum must be a number in [0, 1), got 1');
    expect(() => new BatchNormalization({ epsilon: 0 })).toThrow('BatchNormalization: epsilon must be a positive finite number, got 0');
    expect(() => new LayerNormalization({ scale: 'yes' as never })).toThrow('LayerNormalization: scale must be a boolean, got yes');
    expect(() => new Sequential([new LayerNormalization()], { inputShape: [] })).toThrow(/inputShape must be an array of positive integers|needs per-example inputs with a feature axis/);
    expect(() => new BatchNormalization().movingStatistics).toThrow('BatchNormalization is not built yet, so it has no moving statistics');
    const layer = new BatchNormalization();
    new Sequential([layer], { inputShape: [3] });
    expect(() => layer.call(T.tensor3('v'), { training: true })).toThrow("BatchNormalization 'batch_normalization_0': expected a batch of per-example shape [3], got 'v' (float32[?, ?, ?])");
    const x = T.matrix('x');
    const twice = T.add(layer.call(x, { training: true }), layer.call(x, { training: true }));
    expect(() => stateUpdates(twice)).toThrow("BatchNormalization 'batch_normalization_0' is applied in training more than once in this graph, so its statistic 'batch_normalization_0/moving_mean' would be updated twice: apply it once per graph or use one layer per application");
  });
});
