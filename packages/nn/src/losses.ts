/**
 * Loss functions, built from core ops so that core's stabilizing rewrites apply:
 * `categoricalCrossentropy(softmax(z), int labels)` becomes the fused, stable
 * softmax cross-entropy, `log(softmax(z))` becomes `logSoftmax(z)`, and binary
 * cross-entropy of a sigmoid is computed from its logits. Each returns a float scalar
 * (the mean over the batch).
 */
import { formatShape, isFloat, kindOf, T, type Variable } from '@symgrad/core';

function checkVariable(who: string, what: string, v: unknown): asserts v is Variable {
  if (typeof v !== 'object' || v === null || !('ndim' in v) || !('dtype' in v)) {
    throw new TypeError(`${who}: ${what} must be a symbolic variable, got ${kindOf(v)}`);
  }
}

function checkSameRank(who: string, a: Variable, b: Variable, aName: string, bName: string): void {
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== null && b.shape[i] !== null && d !== b.shape[i])) {
    throw new Error(`${who}: ${bName} ${b.describe()} must have the shape of ${aName} ${a.describe()}`);
  }
}

function checkClassTargets(who: string, scores: Variable, targets: Variable, scoresName: string): void {
  checkVariable(who, scoresName, scores);
  checkVariable(who, 'targets', targets);
  if (!isFloat(scores.dtype)) throw new Error(`${who}: ${scoresName} must be float, got ${scores.describe()}`);
  if (scores.ndim < 1) throw new Error(`${who}: ${scoresName} must have a class axis, got ${scores.describe()}`);
  if (targets.dtype === 'int32') {
    if (targets.ndim !== scores.ndim - 1 || targets.shape.some((d, i) => d !== null && scores.shape[i] !== null && d !== scores.shape[i])) {
      throw new Error(`${who}: int32 labels must have shape ${formatShape(scores.shape.slice(0, -1))} (one label per row of ${scoresName} ${formatShape(scores.shape)}), got ${targets.describe()}`);
    }
  } else if (isFloat(targets.dtype)) {
    checkSameRank(who, scores, targets, scoresName, 'one-hot targets');
  } else {
    throw new Error(`${who}: targets must be int32 labels or float one-hot rows, got ${targets.describe()}`);
  }
}

/** Options of the cross-entropy losses. */
export interface CrossEntropyOptions {
  /**
   * An int32 label that marks a position to leave out (PyTorch's `ignore_index`): padding in
   * a batch of sequences. The loss is then the mean over the other positions (0 when there
   * are none). Int labels only.
   */
  readonly ignoreIndex?: number;
}

/**
 * The mean over the positions whose label is not `ignoreIndex` of per-position losses
 * computed from labels with those positions set to 0 (any class: they are left out).
 */
function meanIgnoring(who: string, targets: Variable, ignoreIndex: number | undefined, perPosition: (labels: Variable) => Variable): Variable {
  if (ignoreIndex === undefined) return T.mean(perPosition(targets));
  if (!Number.isInteger(ignoreIndex)) throw new TypeError(`${who}: ignoreIndex must be an integer label, got ${JSON.stringify(ignoreIndex)}`);
  if (targets.dtype !== 'int32') throw new Error(`${who}: ignoreIndex needs int32 labels, got targets ${targets.describe()}`);
  const keep = T.ne(targets, ignoreIndex);
  const losses = perPosition(T.where(keep, targets, 0));
  const kept = T.cast(keep, losses.dtype);
  return T.div(T.sum(T.mul(losses, kept)), T.maximum(T.sum(kept), 1));
}

/**
 * Mean softmax cross-entropy of logits `z` ([batch, classes], or [batch, steps, classes] for
 * sequences) against int32 labels ([batch] or [batch, steps]) or one-hot / soft float targets
 * of the logits' shape. With int labels it is
 * `T.mean(T.categoricalCrossentropy(T.softmax(z), y))`, which core rewrites into the fused
 * stable form; with float targets, −Σ t·logSoftmax(z). `ignoreIndex` leaves out the positions
 * of one label (padding).
 *
 * @example
 * ```ts
 * const logits = model.apply(x);
 * const loss = softmaxCrossEntropy(logits, T.ivector('y'));
 * const lm = softmaxCrossEntropy(tokenLogits, T.imatrix('next'), { ignoreIndex: 0 });   // id 0 is padding
 * ```
 */
export function softmaxCrossEntropy(logits: Variable, targets: Variable, options: CrossEntropyOptions = {}): Variable {
  checkClassTargets('softmaxCrossEntropy', logits, targets, 'logits');
  if (targets.dtype === 'int32' || options.ignoreIndex !== undefined) {
    return meanIgnoring('softmaxCrossEntropy', targets, options.ignoreIndex, (labels) => T.categoricalCrossentropy(T.softmax(logits, -1), labels));
  }
  const t = targets.dtype === logits.dtype ? targets : T.cast(targets, logits.dtype);
  return T.mean(T.neg(T.sum(T.mul(t, T.logSoftmax(logits, -1)), -1)));
}

/**
 * Mean categorical cross-entropy of probabilities `p` (e.g. a model ending in Softmax)
 * against int32 labels or one-hot rows. When `p` is a softmax the stable fused form is used
 * (core's rewrite for int labels; log∘softmax → logSoftmax for one-hot rows). `ignoreIndex`
 * as in `softmaxCrossEntropy`.
 *
 * @example
 * ```ts
 * const probs = model.apply(x);                 // last layer: Softmax
 * const loss = categoricalCrossentropy(probs, y);
 * ```
 */
export function categoricalCrossentropy(probabilities: Variable, targets: Variable, options: CrossEntropyOptions = {}): Variable {
  checkClassTargets('categoricalCrossentropy', probabilities, targets, 'probabilities');
  if (targets.dtype === 'int32' || options.ignoreIndex !== undefined) {
    return meanIgnoring('categoricalCrossentropy', targets, options.ignoreIndex, (labels) => T.categoricalCrossentropy(probabilities, labels));
  }
  const t = targets.dtype === probabilities.dtype ? targets : T.cast(targets, probabilities.dtype);
  return T.mean(T.neg(T.sum(T.mul(t, T.log(probabilities)), -1)));
}

/**
 * Mean binary cross-entropy from logits: softplus(z) − t·z, stable for any z.
 *
 * @example
 * ```ts
 * const loss = sigmoidCrossEntropy(model.apply(x), T.matrix('t'));
 * ```
 */
export function sigmoidCrossEntropy(logits: Variable, targets: Variable): Variable {
  checkVariable('sigmoidCrossEntropy', 'logits', logits);
  checkVariable('sigmoidCrossEntropy', 'targets', targets);
  if (!isFloat(logits.dtype)) throw new Error(`sigmoidCrossEntropy: logits must be float, got ${logits.describe()}`);
  checkSameRank('sigmoidCrossEntropy', logits, targets, 'logits', 'targets');
  const t = targets.dtype === logits.dtype ? targets : T.cast(targets, logits.dtype);
  return T.mean(T.sub(T.softplus(logits), T.mul(t, logits)));
}

/**
 * Mean binary cross-entropy of probabilities `p` against targets in [0, 1]. When `p` is a
 * sigmoid (a model ending in Sigmoid), it is computed from the logits instead
 * (`sigmoidCrossEntropy`), which never takes the log of 0.
 *
 * @example
 * ```ts
 * const loss = binaryCrossentropy(T.sigmoid(z), t);   // computed as softplus(z) − t·z
 * ```
 */
export function binaryCrossentropy(probabilities: Variable, targets: Variable): Variable {
  checkVariable('binaryCrossentropy', 'probabilities', probabilities);
  checkVariable('binaryCrossentropy', 'targets', targets);
  if (!isFloat(probabilities.dtype)) throw new Error(`binaryCrossentropy: probabilities must be float, got ${probabilities.describe()}`);
  checkSameRank('binaryCrossentropy', probabilities, targets, 'probabilities', 'targets');
  const owner = probabilities.owner;
  if (owner && owner.op === 'sigmoid') return sigmoidCrossEntropy(owner.inputs[0]!, targets);
  const t = targets.dtype === probabilities.dtype ? targets : T.cast(targets, probabilities.dtype);
  return T.mean(T.binaryCrossentropy(probabilities, t));
}

/**
 * Mean squared error over all elements.
 *
 * @example
 * ```ts
 * const loss = meanSquaredError(model.apply(x), T.matrix('target'));
 * ```
 */
export function meanSquaredError(predictions: Variable, targets: Variable): Variable {
  checkVariable('meanSquaredError', 'predictions', predictions);
  checkVariable('meanSquaredError', 'targets', targets);
  if (!isFloat(predictions.dtype)) throw new Error(`meanSquaredError: predictions must be float, got ${predictions.describe()}`);
  checkSameRank('meanSquaredError', predictions, targets, 'predictions', 'targets');
  const t = targets.dtype === predictions.dtype ? targets : T.cast(targets, predictions.dtype);
  return T.mean(T.square(T.sub(predictions, t)));
}

/** The losses the Trainer accepts by name. */
export type LossName = 'softmaxCrossEntropy' | 'categoricalCrossentropy' | 'sigmoidCrossEntropy' | 'binaryCrossentropy' | 'meanSquaredError';
/** A loss: a name, or a function of (model output, targets) returning a float scalar. */
export type Loss = LossName | ((output: Variable, targets: Variable) => Variable);

const LOSSES: Record<LossName, (output: Variable, targets: Variable) => Variable> = {
  softmaxCrossEntropy, categoricalCrossentropy, sigmoidCrossEntropy, binaryCrossentropy, meanSquaredError,
};

/**
 * The loss function of a name (or the function itself); throws listing the known names.
 *
 * @example
 * ```ts
 * const lossFn = resolveLoss('softmaxCrossEntropy');
 * ```
 */
export function resolveLoss(loss: Loss): (output: Variable, targets: Variable) => Variable {
  if (typeof loss === 'function') return loss;
  const f = typeof loss === 'string' && Object.prototype.hasOwnProperty.call(LOSSES, loss) ? LOSSES[loss] : undefined;
  if (!f) throw new TypeError(`unknown loss ${JSON.stringify(loss)}: use one of ${Object.keys(LOSSES).join(', ')}, or a function (output, targets) => scalar Variable`);
  return f;
}
