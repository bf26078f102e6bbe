/**
 * Classification metrics: host-side on NDArrays (accuracy, top-k accuracy, confusion
 * matrix) and symbolic (accuracy as part of an evaluation function).
 */
import { kindOf, NDArray, T, type Variable } from '@symgrad/core';
import { binaryCrossentropy, sigmoidCrossEntropy, type Loss } from './losses.js';

function checkArray(who: string, what: string, a: unknown): asserts a is NDArray {
  if (!(a instanceof NDArray)) throw new TypeError(`${who}: ${what} must be an NDArray, got ${kindOf(a)}`);
}

/**
 * Class labels from scores: argmax over the last axis of [n, k] scores ([n, …, k]: one label
 * per position, in row-major order); [n] int labels are returned as they are; one-hot rows
 * give their hot index.
 *
 * @example
 * ```ts
 * labelsOf(NDArray.from([[0.1, 0.9], [0.8, 0.2]])); // Int32Array [1, 0]
 * ```
 */
export function labelsOf(a: NDArray, who = 'labelsOf'): Int32Array {
  checkArray(who, 'the array', a);
  if (a.ndim === 1) {
    const out = new Int32Array(a.size);
    for (let i = 0; i < a.size; i++) {
      const v = a.data[i]!;
      if (!Number.isInteger(v)) throw new Error(`${who}: a 1-d array must hold integer labels, element ${i} is ${v}`);
      out[i] = v;
    }
    return out;
  }
  if (a.ndim < 1) throw new Error(`${who}: expected [n] labels or [n, …, classes] scores, got a scalar`);
  const k = a.shape[a.ndim - 1]!;
  if (k === 0) throw new Error(`${who}: scores have no classes (shape [${a.shape.join(', ')}])`);
  const n = a.size / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = a.data[i * k]!;
    for (let j = 1; j < k; j++) {
      const v = a.data[i * k + j]!;
      if (v > bv || (Number.isNaN(bv) && !Number.isNaN(v))) { bv = v; best = j; }
    }
    out[i] = best;
  }
  return out;
}

function checkRows(who: string, predictions: NDArray, targets: NDArray): number {
  const n = predictions.shape[0] ?? 0;
  if ((targets.shape[0] ?? 0) !== n) {
    throw new Error(`${who}: predictions have ${n} rows but targets have ${targets.shape[0] ?? 0}`);
  }
  return n;
}

/**
 * The fraction of rows whose predicted class (argmax of the scores) equals the target
 * (int labels or one-hot rows). 0 rows give NaN. Scores of sequences ([n, steps, classes],
 * a language model's) are compared at every position with labels [n, steps] (or one-hot
 * [n, steps, classes]): the fraction of positions right. `ignoreIndex` leaves out the
 * positions whose target is that label (padding).
 *
 * @example
 * ```ts
 * accuracy(await predictFn(xTest), yTest); // 0.97
 * ```
 */
export function accuracy(predictions: NDArray, targets: NDArray, options: { readonly ignoreIndex?: number } = {}): number {
  checkArray('accuracy', 'predictions', predictions);
  checkArray('accuracy', 'targets', targets);
  checkRows('accuracy', predictions, targets);
  const p = labelsOf(predictions, 'accuracy');
  // Labels have one axis fewer than scores; one-hot targets have the scores' shape.
  const t = predictions.ndim >= 2 && targets.ndim === predictions.ndim - 1 ? labelsOf(targets.reshape([targets.size]), 'accuracy') : labelsOf(targets, 'accuracy');
  if (p.length !== t.length) {
    throw new Error(`accuracy: predictions [${predictions.shape.join(', ')}] give ${p.length} labels but targets [${targets.shape.join(', ')}] ${t.length}`);
  }
  const ignore = options.ignoreIndex;
  let hits = 0;
  let counted = 0;
  for (let i = 0; i < p.length; i++) {
    if (t[i] === ignore) continue;
    counted++;
    if (p[i] === t[i]) hits++;
  }
  return hits / counted;
}

/**
 * The fraction of rows whose target is among the k highest scores (ties broken towards the
 * lower class index, as argmax).
 *
 * @example
 * ```ts
 * topKAccuracy(scores, labels, 5);
 * ```
 */
export function topKAccuracy(predictions: NDArray, targets: NDArray, k: number): number {
  checkArray('topKAccuracy', 'predictions', predictions);
  checkArray('topKAccuracy', 'targets', targets);
  if (predictions.ndim !== 2) throw new Error(`topKAccuracy: predictions must be [n, classes] scores, got shape [${predictions.shape.join(', ')}]`);
  const classes = predictions.shape[1]!;
  if (!Number.isInteger(k) || k < 1 || k > classes) throw new RangeError(`topKAccuracy: k must be an integer in [1, ${classes}], got ${k}`);
  const n = checkRows('topKAccuracy', predictions, targets);
  const t = labelsOf(targets, 'topKAccuracy');
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const label = t[i]!;
    if (label < 0 || label >= classes) continue;
    const s = predictions.data[i * classes + label]!;
    // The target's rank: classes scoring higher, or equal with a lower index, come before it.
    let rank = 0;
    for (let j = 0; j < classes && rank < k; j++) {
      const v = predictions.data[i * classes + j]!;
      if (v > s || (v === s && j < label)) rank++;
    }
    if (rank < k) hits++;
  }
  return hits / n;
}

/**
 * The confusion matrix: element [i, j] counts rows of true class i predicted as class j.
 * Predictions may be scores ([n, k]) or labels ([n]); targets labels or one-hot rows.
 *
 * @example
 * ```ts
 * const m = confusionMatrix(scores, labels, 10); // NDArray int32 [10, 10]
 * ```
 */
export function confusionMatrix(predictions: NDArray, targets: NDArray, numClasses?: number): NDArray {
  checkArray('confusionMatrix', 'predictions', predictions);
  checkArray('confusionMatrix', 'targets', targets);
  const n = checkRows('confusionMatrix', predictions, targets);
  const p = labelsOf(predictions, 'confusionMatrix');
  const t = labelsOf(targets, 'confusionMatrix');
  let k = numClasses ?? (predictions.ndim === 2 ? predictions.shape[1]! : 0);
  if (numClasses === undefined) for (let i = 0; i < n; i++) k = Math.max(k, p[i]! + 1, t[i]! + 1);
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(numClasses === undefined
      ? `confusionMatrix: cannot infer the number of classes from ${n} rows of labels; pass numClasses`
      : `confusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
  }
  const m = new Int32Array(k * k);
  for (let i = 0; i < n; i++) {
    const a = t[i]!;
    const b = p[i]!;
    if (a < 0 || a >= k || b < 0 || b >= k) throw new RangeError(`confusionMatrix: row ${i} has class ${a < 0 || a >= k ? a : b}, outside [0, ${k})`);
    m[a * k + b]!++;
  }
  return new NDArray('int32', [k, k], m);
}

/**
 * Symbolic number of correct rows (float32 scalar): Σ [argmax(scores) = label]. Targets are
 * int32 labels or one-hot rows.
 *
 * @example
 * ```ts
 * const evalFn = fn([x, y], [loss, correctCount(model.apply(x), y)]);
 * ```
 */
export function correctCount(scores: Variable, targets: Variable): Variable {
  const predicted = T.argmax(scores, -1);
  const labels = targets.dtype === 'int32' && targets.ndim === scores.ndim - 1 ? targets : T.argmax(targets, -1);
  return T.sum(T.cast(T.eq(predicted, labels), 'float32'));
}

/**
 * Symbolic accuracy (float32 scalar): the mean of [argmax(scores) = label].
 *
 * @example
 * ```ts
 * const acc = fn([x, y], symbolicAccuracy(model.apply(x), y));
 * ```
 */
export function symbolicAccuracy(scores: Variable, targets: Variable): Variable {
  return T.div(correctCount(scores, targets), T.size(scores, 0));
}

/**
 * A metric the Trainer reports: `compute` (host, mean over a batch); `symbolicSum` (optional)
 * lets it be accumulated on the device instead, divided at the end by the accumulated
 * `symbolicCount` (the rows when there is none, or when it returns undefined for an output):
 * accuracy sums the positions right and, for sequences, counts the positions.
 */
export interface Metric {
  readonly name: string;
  compute(predictions: NDArray, targets: NDArray): number;
  symbolicSum?(output: Variable, targets: Variable): Variable;
  symbolicCount?(output: Variable, targets: Variable): Variable | undefined;
}

/**
 * Accuracy as a Trainer metric (reported as `accuracy` and `valAccuracy`); the string
 * 'accuracy' stands for it.
 *
 * @example
 * ```ts
 * new Trainer(model, { loss, optimizer, metrics: [accuracyMetric] });
 * ```
 */
export const accuracyMetric: Metric = { name: 'accuracy', compute: accuracy, symbolicSum: correctCount, symbolicCount: positions };

/** The positions scored for sequence scores (rows × steps, a float32 scalar); undefined for [n, classes] scores, whose count is the rows. */
function positions(scores: Variable): Variable | undefined {
  return scores.ndim <= 2 ? undefined : T.size(scores, Array.from({ length: scores.ndim - 1 }, (_, i) => i));
}

/**
 * Accuracy over the positions whose target label is not `ignoreIndex` (padding in a batch of
 * sequences), as a Trainer metric named `accuracy`; pair it with the loss's `ignoreIndex`.
 *
 * @example
 * ```ts
 * new Trainer(model, { loss: (o, t) => softmaxCrossEntropy(o, t, { ignoreIndex: 0 }), optimizer, metrics: [accuracyIgnoring(0)] });
 * ```
 */
export function accuracyIgnoring(ignoreIndex: number): Metric {
  if (!Number.isInteger(ignoreIndex)) throw new TypeError(`accuracyIgnoring: ignoreIndex must be an integer label, got ${JSON.stringify(ignoreIndex)}`);
  const kept = (targets: Variable): Variable => {
    if (targets.dtype !== 'int32') throw new Error(`accuracyIgnoring: needs int32 labels, got targets ${targets.describe()}`);
    return T.ne(targets, ignoreIndex);
  };
  return {
    name: 'accuracy',
    compute: (p, t) => accuracy(p, t, { ignoreIndex }),
    symbolicSum: (scores, targets) => T.sum(T.mul(T.cast(T.eq(T.argmax(scores, -1), targets), 'float32'), T.cast(kept(targets), 'float32'))),
    symbolicCount: (_scores, targets) => T.sum(T.cast(kept(targets), 'float32')),
  };
}

/**
 * Top-k accuracy as a Trainer metric, named `top<k>Accuracy`.
 *
 * @example
 * ```ts
 * trainer = new Trainer(model, { loss, optimizer, metrics: ['accuracy', topK(5)] });
 * ```
 */
export function topK(k: number): Metric {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topK: k must be a positive integer, got ${k}`);
  return { name: `top${k}Accuracy`, compute: (p, t) => topKAccuracy(p, t, k) };
}

/** Predictions and targets with one value each, row for row ([n, 1] scores against [n] targets are fine). */
function checkSameSize(who: string, predictions: NDArray, targets: NDArray): void {
  checkArray(who, 'predictions', predictions);
  checkArray(who, 'targets', targets);
  checkRows(who, predictions, targets);
  if (predictions.size !== targets.size) {
    throw new Error(`${who}: predictions [${predictions.shape.join(', ')}] and targets [${targets.shape.join(', ')}] must hold as many values`);
  }
}

/**
 * The fraction of values on the right side of `threshold` (0.5 by default: probabilities; 0
 * for logits): a prediction above it counts as 1, a target above 0.5 as 1. Every value of a
 * multi-label output counts.
 *
 * @example
 * ```ts
 * binaryAccuracy(NDArray.from([[0.9], [0.2]]), NDArray.from([1, 1])); // 0.5
 * ```
 */
export function binaryAccuracy(predictions: NDArray, targets: NDArray, options: { readonly threshold?: number } = {}): number {
  checkSameSize('binaryAccuracy', predictions, targets);
  const threshold = checkThreshold('binaryAccuracy', options.threshold);
  let hits = 0;
  for (let i = 0; i < predictions.size; i++) if (predictions.data[i]! > threshold === targets.data[i]! > 0.5) hits++;
  return hits / predictions.size;
}

function checkThreshold(who: string, threshold: number | undefined): number {
  if (threshold !== undefined && (typeof threshold !== 'number' || !Number.isFinite(threshold))) throw new TypeError(`${who}: threshold must be a finite number, got ${JSON.stringify(threshold)}`);
  return threshold ?? 0.5;
}

/** Every value of an output (a float32 scalar), the count of a metric averaged over values. */
function values(output: Variable): Variable {
  return T.size(output, Array.from({ length: output.ndim }, (_, i) => i));
}

/** The targets as the output's shape and dtype, so [n] targets score an [n, 1] output. */
function alike(who: string, output: Variable, targets: Variable): Variable {
  const t = targets.dtype === output.dtype ? targets : T.cast(targets, output.dtype);
  if (t.ndim === output.ndim) return t;
  if (t.ndim === output.ndim - 1 && output.shape[output.ndim - 1] === 1) return T.expandDims(t, -1);
  throw new Error(`${who}: output ${output.describe()} and targets ${targets.describe()} must have the same rank (or [n] targets for an [n, 1] output)`);
}

/**
 * Binary accuracy as a Trainer metric: `threshold` 0.5 for probabilities (a sigmoid output), 0
 * for logits. `metrics: ['accuracy']` with the loss 'sigmoidCrossEntropy' (logits) or
 * 'binaryCrossentropy' (probabilities) stands for it, named `accuracy`.
 *
 * @example
 * ```ts
 * new Trainer(model, { loss: 'sigmoidCrossEntropy', optimizer, metrics: [binaryAccuracyMetric({ threshold: 0 })] });
 * ```
 */
export function binaryAccuracyMetric(options: { readonly threshold?: number; readonly name?: string } = {}): Metric {
  const threshold = checkThreshold('binaryAccuracyMetric', options.threshold);
  return {
    name: options.name ?? 'binaryAccuracy',
    compute: (p, t) => binaryAccuracy(p, t, { threshold }),
    symbolicSum: (output, targets) => {
      const t = alike('binaryAccuracy', output, targets);
      return T.sum(T.cast(T.eq(T.gt(output, threshold), T.gt(t, 0.5)), 'float32'));
    },
    symbolicCount: values,
  };
}

/** A mean over every value of an output of a function of output − target. */
function errorMetric(name: string, who: string, of: (d: Variable) => Variable, host: (d: number) => number): Metric {
  return {
    name,
    compute: (p, t) => {
      checkSameSize(who, p, t);
      let s = 0;
      for (let i = 0; i < p.size; i++) s += host(p.data[i]! - t.data[i]!);
      return s / p.size;
    },
    symbolicSum: (output, targets) => T.sum(of(T.sub(output, alike(who, output, targets)))),
    symbolicCount: values,
  };
}

/**
 * Mean absolute error over every value, as a Trainer metric named `mae` (Keras's); the string
 * 'mae' stands for it.
 *
 * @example
 * ```ts
 * new Trainer(model, { loss: 'meanSquaredError', optimizer, metrics: ['mae'] }); // logs mae, valMae
 * ```
 */
export const meanAbsoluteErrorMetric: Metric = errorMetric('mae', 'meanAbsoluteError', (d) => T.abs(d), Math.abs);

/**
 * Mean squared error over every value, as a Trainer metric named `mse`; the string 'mse'
 * stands for it.
 *
 * @example
 * ```ts
 * new Trainer(model, { loss: 'meanSquaredError', optimizer, metrics: ['mse'] });
 * ```
 */
export const meanSquaredErrorMetric: Metric = errorMetric('mse', 'meanSquaredError', (d) => T.square(d), (d) => d * d);

/** A metric's name in `TrainerOptions.metrics`. */
export type MetricName = 'accuracy' | 'mae' | 'mse';

/**
 * A metric by name or the metric itself; throws for unknown names. 'accuracy' follows the
 * loss it scores, as in Keras: binary accuracy for 'sigmoidCrossEntropy' (logits, threshold 0)
 * and 'binaryCrossentropy' (probabilities, threshold 0.5), the argmax's otherwise.
 *
 * @example
 * ```ts
 * resolveMetric('accuracy').compute(scores, labels); // 0.97
 * resolveMetric('accuracy', 'sigmoidCrossEntropy').compute(logits, targets);
 * ```
 */
export function resolveMetric(m: MetricName | Metric, loss?: Loss): Metric {
  if (m === 'accuracy') {
    if (loss === 'sigmoidCrossEntropy' || loss === sigmoidCrossEntropy) return binaryAccuracyMetric({ threshold: 0, name: 'accuracy' });
    if (loss === 'binaryCrossentropy' || loss === binaryCrossentropy) return binaryAccuracyMetric({ threshold: 0.5, name: 'accuracy' });
    return accuracyMetric;
  }
  if (m === 'mae') return meanAbsoluteErrorMetric;
  if (m === 'mse') return meanSquaredErrorMetric;
  if (typeof m === 'object' && m !== null && typeof m.name === 'string' && typeof m.compute === 'function') return m;
  throw new TypeError(`unknown metric ${JSON.stringify(m)}: use 'accuracy', 'mae', 'mse', topK(k), binaryAccuracyMetric(), or { name, compute(predictions, targets) }`);
}
