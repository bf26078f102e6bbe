/**
 * The fully connected layer: y = activation(x · W + b), W of shape [in, out].
 */
import { shared, T, type NDArray, type SharedVariable, type Variable } from '@symgrad/core';
import { glorotNormal, glorotUniform, heNormal, heUniform, orthogonal, uniform, zeros } from '../initializers.js';
import { deriveSeed } from '../random-stream.js';
import { activation, type ActivationName } from './activation.js';
import { formatDims, Layer, type ApplyOptions, type BuildContext } from './layer.js';

/** Initializers by name (`uniform`: in [−0.05, 0.05), Keras's 'uniform'; `orthogonal` needs a matrix), or a function of a shape and a seed. */
export type InitializerName = 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'orthogonal' | 'uniform' | 'zeros';
export type Initializer = InitializerName | ((shape: readonly number[], options: { seed: number }) => NDArray);

const INITIALIZERS: Record<InitializerName, (shape: readonly number[], options: { seed: number }) => NDArray> = {
  glorotUniform, glorotNormal, heUniform, heNormal, orthogonal, uniform: (shape, { seed }) => uniform(shape, { low: -0.05, high: 0.05, seed }), zeros: (shape) => zeros(shape),
};

/** The initializer function of a name or function, naming the layer `who` for an unknown name. @internal */
export function resolveInitializer(who: string, init: Initializer): (shape: readonly number[], options: { seed: number }) => NDArray {
  if (typeof init === 'function') return init;
  const f = Object.prototype.hasOwnProperty.call(INITIALIZERS, init) ? INITIALIZERS[init] : undefined;
  if (!f) throw new TypeError(`${who}: unknown initializer ${JSON.stringify(init)}: use one of ${Object.keys(INITIALIZERS).join(', ')}, or a function (shape, { seed }) => NDArray`);
  return f;
}

/** The options of a layer with a kernel and an optional bias (Dense, Conv2D). */
export interface DenseOptions {
  /** Applied after the affine map; 'linear' (none) by default. */
  readonly activation?: ActivationName;
  /** Adds a bias vector b; true by default. */
  readonly useBias?: boolean;
  /** 'glorotUniform' by default (as Keras); 'heNormal' suits relu layers. */
  readonly kernelInitializer?: Initializer;
  /** 'zeros' by default. */
  readonly biasInitializer?: Initializer;
  /** Seed of the initializers; derived from the model's seed and the layer's position when omitted. */
  readonly seed?: number;
  readonly name?: string;
}

/** A kernel of `kernelShape` and, unless `useBias` is false, a bias of `units`, named after the layer. @internal */
export function kernelAndBias(layer: Layer, o: DenseOptions, kernelShape: readonly number[], units: number, ctxSeed: number): { w: SharedVariable; b: SharedVariable | undefined } {
  const seed = o.seed ?? ctxSeed;
  const kernelInit = resolveInitializer(layer.describe(), o.kernelInitializer ?? 'glorotUniform');
  const w = shared(kernelInit(kernelShape, { seed: deriveSeed(seed, 0) }), `${layer.name}/kernel`, 'float32');
  if (!(o.useBias ?? true)) return { w, b: undefined };
  const biasInit = resolveInitializer(layer.describe(), o.biasInitializer ?? 'zeros');
  return { w, b: shared(biasInit([units], { seed: deriveSeed(seed, 1) }), `${layer.name}/bias`, 'float32') };
}

/** The JSON config of those options. A custom initializer function is not JSON: it only matters before training, and the weights are saved separately, so the config leaves it out. @internal */
export function kernelAndBiasConfig(layer: Layer, o: DenseOptions): Record<string, unknown> {
  const { kernelInitializer, biasInitializer } = o;
  return {
    activation: o.activation ?? 'linear',
    useBias: o.useBias ?? true,
    ...(typeof kernelInitializer === 'string' ? { kernelInitializer } : {}),
    ...(typeof biasInitializer === 'string' ? { biasInitializer } : {}),
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    ...(layer.name === undefined ? {} : { name: layer.name }),
  };
}

/** Checks the options' activation and initializer names, naming the layer class. @internal */
export function checkKernelOptions(who: string, o: DenseOptions): void {
  if (o.activation !== undefined) activation(o.activation);
  resolveInitializer(who, o.kernelInitializer ?? 'glorotUniform');
  resolveInitializer(who, o.biasInitializer ?? 'zeros');
}

/**
 * A fully connected layer with `units` outputs. Its parameters are shared variables named
 * `<layer>/kernel` ([in, units]) and `<layer>/bias` ([units]). Inputs of more axes
 * ([batch, …, in], a sequence's steps, say) are mapped on their last axis to [batch, …, units],
 * as Keras's Dense and PyTorch's Linear do.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Dense(256, { activation: 'relu', kernelInitializer: 'heNormal' }),
 *   new Dense(10),
 * ], { inputShape: [784], seed: 1 });
 * ```
 */
export class Dense extends Layer {
  protected override readonly passesMask = true;
  readonly className = 'Dense';
  readonly units: number;
  readonly options: DenseOptions;
  private w: SharedVariable | undefined;
  private b: SharedVariable | undefined;

  constructor(units: number, options: DenseOptions = {}) {
    super(options.name);
    if (!Number.isInteger(units) || units <= 0) throw new RangeError(`Dense: units must be a positive integer, got ${units}`);
    checkKernelOptions('Dense', options);
    this.units = units;
    this.options = { ...options };
  }

  /** The weight matrix [in, units] (after build). */
  get kernel(): SharedVariable {
    if (!this.w) throw new Error(`${this.describe()} is not built yet, so it has no kernel`);
    return this.w;
  }

  /** The bias vector [units], or undefined with `useBias: false`. */
  get bias(): SharedVariable | undefined {
    if (!this.w) throw new Error(`${this.describe()} is not built yet, so it has no bias`);
    return this.b;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    if (inputShape.length === 0) {
      throw new Error(`${this.describe()} expects inputs of shape [batch, …, features], got per-example shape ${formatDims(inputShape)}: reshape scalars to [1]`);
    }
    const features = inputShape[inputShape.length - 1]!;
    ({ w: this.w, b: this.b } = kernelAndBias(this, this.options, [features, this.units], this.units, ctx.seed));
    return [...inputShape.slice(0, -1), this.units];
  }

  /** Any leading axes, the same features. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    const features = this.inputShape[this.inputShape.length - 1];
    return inputShape.length > 0 && inputShape[inputShape.length - 1] === features ? [...inputShape.slice(0, -1), this.units] : undefined;
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    const lead = this.builtShapeOf(x).slice(0, -1);
    // float64 inputs compute in float64 (a gradient check, say): the float32 parameters are cast.
    const like = (p: SharedVariable): Variable => (x.dtype === 'float64' && p.dtype !== 'float64' ? T.cast(p, 'float64') : p);
    const w = like(this.w!);
    // Extra axes fold into the rows of one product.
    const z = lead.length === 0 ? T.dot(x, w) : T.reshape(T.dot(T.reshape(x, [-1, this.w!.shape[0]!]), w), [-1, ...lead, this.units]);
    const affine = this.b ? T.add(z, like(this.b)) : z;
    return activation(this.options.activation ?? 'linear')(affine);
  }

  override parameters(): SharedVariable[] {
    return this.w ? (this.b ? [this.w, this.b] : [this.w]) : [];
  }

  getConfig(): Record<string, unknown> {
    return { units: this.units, ...kernelAndBiasConfig(this, this.options) };
  }
}

/**
 * Collapses every axis after the batch axis into one: [batch, 28, 28] → [batch, 784].
 *
 * @example
 * ```ts
 * new Sequential([new Flatten(), new Dense(10)], { inputShape: [28, 28] });
 * ```
 */
export class Flatten extends Layer {
  readonly className = 'Flatten';
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  protected buildLayer(inputShape: readonly number[]): readonly number[] {
    return [inputShape.reduce((a, b) => a * b, 1)];
  }
  /** Any shape flattens (the next layer's weights may not fit it). */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    return this.buildLayer(inputShape);
  }
  protected callLayer(x: Variable): Variable {
    return x.ndim === 2 ? x : T.reshape(x, [-1, ...this.buildLayer(this.builtShapeOf(x))]);
  }
  getConfig(): Record<string, unknown> {
    return this.name === undefined ? {} : { name: this.name };
  }
}
