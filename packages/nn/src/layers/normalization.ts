/**
 * Normalization layers, written with core's primitives (means, rsqrt, broadcasting), so they
 * run and differentiate on every backend and the compiler fuses them like any other graph.
 * Both normalize over the last axis's features, channels last, as Keras does.
 */
import { NDArray, shared, T, type SharedVariable, type Variable } from '@symgrad/core';
import { Layer, registerStatisticUpdate, type ApplyOptions } from './layer.js';

export interface NormalizationOptions {
  /** Added to the variance before its square root; 1e-3 by default (as Keras). */
  readonly epsilon?: number;
  /** Learns an offset `beta` added after normalizing; true by default. */
  readonly center?: boolean;
  /** Learns a scale `gamma` multiplied after normalizing; true by default. */
  readonly scale?: boolean;
  readonly name?: string;
}

export interface BatchNormalizationOptions extends NormalizationOptions {
  /** Weight of the old value in the moving statistics' update; 0.99 by default (as Keras; PyTorch's momentum 0.1 is 0.9 here). */
  readonly momentum?: number;
}

function checkOptions(who: string, o: NormalizationOptions): void {
  if (o.epsilon !== undefined && !(typeof o.epsilon === 'number' && o.epsilon > 0 && Number.isFinite(o.epsilon))) {
    throw new RangeError(`${who}: epsilon must be a positive finite number, got ${String(o.epsilon)}`);
  }
  for (const k of ['center', 'scale'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new TypeError(`${who}: ${k} must be a boolean, got ${String(o[k])}`);
  }
}

/** The learned scale and offset of a normalization layer over `features` channels. */
class Affine {
  readonly gamma: SharedVariable | undefined;
  readonly beta: SharedVariable | undefined;

  constructor(name: string, features: number, o: NormalizationOptions) {
    this.gamma = (o.scale ?? true) ? shared(NDArray.full([features], 1, 'float32'), `${name}/gamma`, 'float32') : undefined;
    this.beta = (o.center ?? true) ? shared(NDArray.zeros([features], 'float32'), `${name}/beta`, 'float32') : undefined;
  }

  apply(normalized: Variable): Variable {
    const scaled = this.gamma ? T.mul(normalized, this.gamma) : normalized;
    return this.beta ? T.add(scaled, this.beta) : scaled;
  }

  parameters(): SharedVariable[] {
    return [this.gamma, this.beta].filter((p): p is SharedVariable => p !== undefined);
  }
}

function optionsConfig(layer: Layer, o: NormalizationOptions): Record<string, unknown> {
  return {
    epsilon: o.epsilon ?? 1e-3,
    center: o.center ?? true,
    scale: o.scale ?? true,
    ...(layer.name === undefined ? {} : { name: layer.name }),
  };
}

/**
 * Normalizes each example over its last axis to mean 0 and variance 1, then scales by a
 * learned `gamma` and shifts by a learned `beta` (`<layer>/gamma`, `<layer>/beta`, one per
 * feature). The same in training and evaluation; no batch statistics.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Dense(256), new LayerNormalization(), new ReLU(), new Dense(10),
 * ], { inputShape: [784] });
 * ```
 */
export class LayerNormalization extends Layer {
  protected override readonly passesMask = true;
  readonly className = 'LayerNormalization';
  readonly options: NormalizationOptions;
  private affine: Affine | undefined;

  constructor(options: NormalizationOptions = {}) {
    super(options.name);
    checkOptions('LayerNormalization', options);
    this.options = { ...options };
  }

  protected buildLayer(inputShape: readonly number[]): readonly number[] {
    if (inputShape.length === 0) throw new Error(`${this.describe()}: needs per-example inputs with a feature axis, got per-example shape []`);
    this.affine = new Affine(this.name!, inputShape[inputShape.length - 1]!, this.options);
    return inputShape;
  }

  /** Any leading axes, the same features. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    return inputShape.length > 0 && inputShape[inputShape.length - 1] === this.inputShape[this.inputShape.length - 1] ? inputShape : undefined;
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    const last = x.ndim - 1;
    const centered = T.sub(x, T.mean(x, last, true));
    const variance = T.mean(T.square(centered), last, true);
    return this.affine!.apply(T.mul(centered, T.rsqrt(T.add(variance, this.options.epsilon ?? 1e-3))));
  }

  override parameters(): SharedVariable[] {
    return this.affine?.parameters() ?? [];
  }

  getConfig(): Record<string, unknown> {
    return optionsConfig(this, this.options);
  }
}

/**
 * Normalizes each feature (the last axis) over the batch and every other axis, then scales
 * by `gamma` and shifts by `beta`. In training it uses the batch's mean and (biased)
 * variance and moves `<layer>/moving_mean` and `<layer>/moving_variance` towards them
 * (`moving = momentum · moving + (1 − momentum) · batch`; `stateUpdates(loss)` lists these
 * updates and the Trainer applies them); in evaluation it uses the moving statistics. The
 * moving statistics are the layer's `stateVariables()`, saved with its weights.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Dense(256, { useBias: false }), new BatchNormalization(), new ReLU(), new Dense(10),
 * ], { inputShape: [784] });
 * const out = model.apply(x, { training: true });
 * const loss = T.mean(T.softmaxCrossEntropy(out, y));
 * const step = fn([x, y], loss, { updates: [...opt.updates(loss, model.parameters()), ...stateUpdates(loss)] });
 * ```
 */
export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly options: BatchNormalizationOptions;
  private affine: Affine | undefined;
  private moving: { mean: SharedVariable; variance: SharedVariable } | undefined;

  constructor(options: BatchNormalizationOptions = {}) {
    super(options.name);
    checkOptions('BatchNormalization', options);
    const m = options.momentum;
    if (m !== undefined && !(typeof m === 'number' && m >= 0 && m < 1)) throw new RangeError(`BatchNormalization: momentum must be a number in [0, 1), got ${String(m)}`);
    this.options = { ...options };
  }

  /** The moving mean and variance, one per feature (after build). */
  get movingStatistics(): { readonly mean: SharedVariable; readonly variance: SharedVariable } {
    if (!this.moving) throw new Error(`${this.describe()} is not built yet, so it has no moving statistics`);
    return this.moving;
  }

  protected buildLayer(inputShape: readonly number[]): readonly number[] {
    if (inputShape.length === 0) throw new Error(`${this.describe()}: needs per-example inputs with a feature axis, got per-example shape []`);
    const features = inputShape[inputShape.length - 1]!;
    this.affine = new Affine(this.name!, features, this.options);
    this.moving = {
      mean: shared(NDArray.zeros([features], 'float32'), `${this.name}/moving_mean`, 'float32'),
      variance: shared(NDArray.full([features], 1, 'float32'), `${this.name}/moving_variance`, 'float32'),
    };
    return inputShape;
  }

  /** Inputs of other leading shapes (images of other sizes) with the built features: the statistics are per feature. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    return inputShape.length === this.inputShape.length && inputShape.at(-1) === this.inputShape.at(-1) ? inputShape : undefined;
  }

  protected callLayer(x: Variable, options: ApplyOptions): Variable {
    this.requireBatch(x);
    const eps = this.options.epsilon ?? 1e-3;
    const moving = this.moving!;
    if (!options.training) return this.affine!.apply(T.mul(T.sub(x, moving.mean), T.rsqrt(T.add(moving.variance, eps))));
    const axes = Array.from({ length: x.ndim - 1 }, (_, i) => i);
    const mean = T.mean(x, axes);
    const centered = T.sub(x, mean);
    const variance = T.mean(T.square(centered), axes);
    const m = this.options.momentum ?? 0.99;
    registerStatisticUpdate(mean, moving.mean, T.add(T.mul(moving.mean, m), T.mul(mean, 1 - m)), this.describe());
    registerStatisticUpdate(variance, moving.variance, T.add(T.mul(moving.variance, m), T.mul(variance, 1 - m)), this.describe());
    return this.affine!.apply(T.mul(centered, T.rsqrt(T.add(variance, eps))));
  }

  override parameters(): SharedVariable[] {
    return this.affine?.parameters() ?? [];
  }

  override stateVariables(): SharedVariable[] {
    return this.moving ? [this.moving.mean, this.moving.variance] : [];
  }

  getConfig(): Record<string, unknown> {
    return { momentum: this.options.momentum ?? 0.99, ...optionsConfig(this, this.options) };
  }
}
