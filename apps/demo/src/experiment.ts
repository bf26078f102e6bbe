/**
 * The seed experiment's model and training loop on one backend: an MLP
 * features → hidden → hidden → classes (relu, softmax, mean categorical cross-entropy against
 * int32 labels) trained with plain SGD through `fn(..., { updates, backend })`.
 *
 * Browser-safe: no Node built-ins (the web page runs this same loop).
 */
import { NDArray, T, fn, getBackend, shared, type Precision } from '@symgrad/core';
import { grad } from '@symgrad/autodiff';
import { heNormal } from '@symgrad/nn';
import { accuracy, stepFlops, type Split } from './data.js';

/** Fixed by the seed experiment. */
export const SEED_FEATURES = 1000;
export const CLASSES = 10;
export const LEARNING_RATE = 0.1;
export const TRAIN_FRACTION = 0.8;

export interface ExperimentConfig {
  readonly backend: string;
  readonly hidden: number;
  readonly epochs: number;
  /** Rows per step; 0 or ≥ the training rows means full batch. */
  readonly batch: number;
  readonly precision: Precision;
  readonly seed: number;
  /** Evaluate accuracy every this many epochs (and after the first and the last). */
  readonly logEvery: number;
  readonly learningRate?: number;
  /** 'cosine' anneals the learning rate to 0 over the run (epoch by epoch); 'constant' by default. */
  readonly schedule?: 'constant' | 'cosine';
  /** Changes each minibatch in place before the step (data augmentation); `seed` differs per step. */
  readonly augment?: (x: NDArray, seed: number) => void;
}

/** One point of the training curve. */
export interface EpochRecord {
  readonly epoch: number;
  /** Mean training loss over the epoch's steps. */
  readonly loss: number;
  readonly trainAccuracy?: number;
  readonly testAccuracy?: number;
}

export interface Progress {
  readonly epoch: number;
  readonly epochs: number;
  /** Steps done so far, of `totalSteps`. */
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  readonly record?: EpochRecord;
}

export interface ExperimentResult {
  readonly backend: string;
  readonly device: string;
  /** The precision the backend ran in (fp32 when it does not offer the requested tf32). */
  readonly precision: Precision;
  readonly batch: number;
  readonly stepsPerEpoch: number;
  readonly steps: number;
  /** Wall time of every step, the first (which compiles) included. */
  readonly stepMs: readonly number[];
  /** Median of the steps after the first. */
  readonly msPerStep: number;
  readonly flopsPerStep: number;
  readonly gflops: number;
  /** Training wall time, accuracy evaluations included. */
  readonly totalMs: number;
  readonly finalLoss: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  readonly history: readonly EpochRecord[];
}

/** The MLP and its compiled train and predict functions, bound to one backend. */
export interface Model {
  readonly train: (x: NDArray, y: NDArray) => Promise<NDArray>;
  /**
   * One step on the training set given as `resident` when the model was built: those arrays
   * live on the backend in shared variables, so a step moves no data to the device (on a GPU
   * the upload of a full batch costs more than the step itself).
   */
  readonly trainResident: () => Promise<NDArray>;
  readonly predict: (x: NDArray) => Promise<NDArray>;
  /** Sets the learning rate of later steps (models built with `variableRate`). */
  readonly setLearningRate: (lr: number) => void;
  readonly dispose: () => void;
}

/** Builds the MLP with He-initialized weights and compiles its SGD step for `backend`. */
export function buildModel(
  features: number, hidden: number, classes: number,
  opts: { backend: string; precision: Precision; seed: number; learningRate?: number; variableRate?: boolean; resident?: { readonly x: NDArray; readonly y: NDArray } },
): Model {
  // A constant rate (the seed experiment) is folded into the update; a variable one is a shared scalar.
  const rate = opts.variableRate ? shared(NDArray.from(opts.learningRate ?? LEARNING_RATE), 'lr') : undefined;
  const lr = rate ?? opts.learningRate ?? LEARNING_RATE;
  const x = T.matrix('x');
  const y = T.ivector('y');
  const w1 = shared(heNormal([features, hidden], { seed: opts.seed + 2 }), 'w1');
  const w2 = shared(heNormal([hidden, hidden], { seed: opts.seed + 3 }), 'w2');
  const w3 = shared(heNormal([hidden, classes], { seed: opts.seed + 4 }), 'w3');
  const h1 = T.relu(T.dot(x, w1));
  const h2 = T.relu(T.dot(h1, w2));
  const yPred = T.softmax(T.dot(h2, w3));
  const loss = T.mean(T.categoricalCrossentropy(yPred, y));
  const [g1, g2, g3] = grad(loss, [w1, w2, w3]);
  const common = { backend: opts.backend, precision: opts.precision };
  const updates = [
    [w1, w1.sub(g1!.mul(lr))],
    [w2, w2.sub(g2!.mul(lr))],
    [w3, w3.sub(g3!.mul(lr))],
  ] as const;
  const train = fn([x, y], loss, { ...common, updates });
  // Theano's way of keeping a data set on the device: shared variables substituted for the inputs.
  const xs = opts.resident && shared(opts.resident.x, 'xTrain');
  const ys = opts.resident && shared(opts.resident.y, 'yTrain');
  const trainResident = xs && ys ? fn([], loss, { ...common, updates, givens: [[x, xs], [y, ys]] }) : undefined;
  const predict = fn([x], yPred, common);
  return {
    train: (a, b) => train(a, b),
    trainResident: () => {
      if (!trainResident) throw new Error('buildModel: trainResident needs the training set as { resident: { x, y } }');
      return trainResident();
    },
    predict: (a) => predict(a),
    setLearningRate: (v) => {
      if (!rate) throw new Error('buildModel: setLearningRate needs { variableRate: true }');
      rate.set(v);
    },
    dispose: () => {
      train.dispose();
      trainResident?.dispose();
      predict.dispose();
      xs?.dispose();
      ys?.dispose();
    },
  };
}

/** Rows `idx[from..to)` of a 2-d float32 or 1-d int32 array, gathered into `out`. */
export function gatherRows(src: NDArray, idx: Int32Array, from: number, to: number, out: NDArray): NDArray {
  const width = src.ndim === 2 ? src.shape[1]! : 1;
  const s = src.data;
  const d = out.data;
  for (let r = from; r < to; r++) {
    const o = (r - from) * width;
    const i = idx[r]! * width;
    for (let c = 0; c < width; c++) d[o + c] = s[i + c]!;
  }
  return out;
}

/** A seeded permutation of 0…n-1 (xorshift32 Fisher–Yates: deterministic, not cryptographic). */
export function shuffled(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  let s = (seed ^ 0x9e3779b9) >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    const j = s % (i + 1);
    const t = p[i]!; p[i] = p[j]!; p[j] = t;
  }
  return p;
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Lets timers (progress bars, the browser's painting) run between steps. */
const breathe = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Trains the MLP on `data` with `config` on one backend and measures every step.
 * `onProgress` is called after every step (awaited, outside the step timings).
 */
export async function runExperiment(data: Split, config: ExperimentConfig, onProgress?: (p: Progress) => void | Promise<void>): Promise<ExperimentResult> {
  const backend = await getBackend(config.backend);
  const precision: Precision = backend.capabilities.precisions.includes(config.precision) ? config.precision : 'fp32';
  const [nTrain, features] = data.xTrain.shape as [number, number];
  const batch = config.batch <= 0 || config.batch >= nTrain ? nTrain : config.batch;
  const stepsPerEpoch = Math.floor(nTrain / batch);
  const totalSteps = stepsPerEpoch * config.epochs;
  const baseRate = config.learningRate ?? LEARNING_RATE;
  const cosine = config.schedule === 'cosine';
  const full = batch === nTrain;
  const model = buildModel(features, config.hidden, CLASSES, {
    backend: config.backend, precision, seed: config.seed, learningRate: baseRate, variableRate: cosine,
    ...(full ? { resident: { x: data.xTrain, y: data.yTrain } } : {}),
  });
  const xb = full ? data.xTrain : new NDArray('float32', [batch, features], new Float32Array(batch * features));
  const yb = full ? data.yTrain : new NDArray('int32', [batch], new Int32Array(batch));
  const stepMs: number[] = [];
  const history: EpochRecord[] = [];
  let trainAccuracy = NaN;
  let testAccuracy = NaN;
  let lastLoss = NaN;
  let step = 0;
  let rate = baseRate;
  const t0 = performance.now();
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const order = full ? undefined : shuffled(nTrain, config.seed * 1000 + epoch);
      if (cosine) {
        rate = 0.5 * baseRate * (1 + Math.cos((Math.PI * (epoch - 1)) / config.epochs));
        model.setLearningRate(rate);
      }
      let sum = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (order) {
          gatherRows(data.xTrain, order, s * batch, (s + 1) * batch, xb);
          gatherRows(data.yTrain, order, s * batch, (s + 1) * batch, yb);
          config.augment?.(xb, config.seed * 1_000_003 + step); // a copy: never the data set itself
        }
        const ts = performance.now();
        const l = (await (full ? model.trainResident() : model.train(xb, yb))).item();
        stepMs.push(performance.now() - ts);
        if (!Number.isFinite(l)) {
          throw new Error(`${config.backend}: the training loss became ${l} at epoch ${epoch}, step ${step + 1} of ${totalSteps} (learning rate ${rate}, batch ${batch}, hidden ${config.hidden})`);
        }
        sum += l;
        lastLoss = l;
        step++;
        if (s + 1 < stepsPerEpoch) {
          await onProgress?.({ epoch, epochs: config.epochs, step, totalSteps, loss: l });
          await breathe();
        }
      }
      const loss = sum / stepsPerEpoch;
      let record: EpochRecord = { epoch, loss };
      if (epoch === 1 || epoch % config.logEvery === 0 || epoch === config.epochs) {
        trainAccuracy = accuracy(await model.predict(data.xTrain), data.yTrain);
        testAccuracy = accuracy(await model.predict(data.xTest), data.yTest);
        record = { epoch, loss, trainAccuracy, testAccuracy };
      }
      history.push(record);
      await onProgress?.({ epoch, epochs: config.epochs, step, totalSteps, loss, record });
      await breathe();
    }
  } finally {
    model.dispose();
  }
  const totalMs = performance.now() - t0;
  const msPerStep = stepMs.length > 1 ? median(stepMs.slice(1)) : stepMs[0]!;
  const flopsPerStep = stepFlops(batch, features, config.hidden, CLASSES);
  return {
    backend: config.backend, device: backend.capabilities.device, precision, batch, stepsPerEpoch, steps: step, stepMs,
    msPerStep, flopsPerStep, gflops: flopsPerStep / 1e6 / msPerStep, totalMs,
    finalLoss: full ? lastLoss : history[history.length - 1]!.loss, trainAccuracy, testAccuracy, history,
  };
}
