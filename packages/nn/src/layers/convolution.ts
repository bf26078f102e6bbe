/**
 * 2-D convolution over channels-last images, as im2col and one product: the kernel-sized
 * windows (strided slices of the padded input) are joined along the channel axis and
 * multiplied by the kernel reshaped to [kh · kw · channels, filters]. Every backend runs it
 * with its own matmul, and the gradients follow from those of slice, concat and dot.
 */
import { shared, T, type SharedVariable, type Variable } from '@symgrad/core';
import { deriveSeed } from '../random-stream.js';
import { activation, type ActivationName } from './activation.js';
import { resolveInitializer, type Initializer } from './dense.js';
import { formatDims, Layer, type ApplyOptions, type BuildContext } from './layer.js';
import { axisWindows, checkPadding, intPair, windows, type AxisWindows, type Padding } from './spatial.js';

export interface Conv2DOptions {
  /** Steps between windows, one number or [rows, columns]; 1 by default. */
  readonly strides?: number | readonly [number, number];
  /** 'valid' (whole windows only, the default) or 'same' (⌈size / stride⌉ outputs, zero-padded). */
  readonly padding?: Padding;
  /** Applied after the bias; 'linear' (none) by default. */
  readonly activation?: ActivationName;
  readonly useBias?: boolean;
  /** 'glorotUniform' by default (fans count the window: kh · kw · channels in, kh · kw · filters out). */
  readonly kernelInitializer?: Initializer;
  readonly biasInitializer?: Initializer;
  readonly seed?: number;
  readonly name?: string;
}

/**
 * A 2-D convolution with `filters` outputs over inputs of per-example shape [height, width,
 * channels]. Its parameters are `<layer>/kernel` ([kh, kw, channels, filters], Keras's
 * layout) and `<layer>/bias` ([filters]).
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Conv2D(32, 3, { activation: 'relu' }), new MaxPooling2D(2),
 *   new Conv2D(64, 3, { activation: 'relu', padding: 'same' }), new GlobalAveragePooling2D(),
 *   new Dense(10),
 * ], { inputShape: [28, 28, 1] });
 * ```
 */
export class Conv2D extends Layer {
  readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
  readonly options: Conv2DOptions;
  private w: SharedVariable | undefined;
  private b: SharedVariable | undefined;
  private geometry: { rows: AxisWindows; cols: AxisWindows; channels: number } | undefined;

  constructor(filters: number, kernelSize: number | readonly [number, number], options: Conv2DOptions = {}) {
    super(options.name);
    if (!Number.isInteger(filters) || filters <= 0) throw new RangeError(`Conv2D: filters must be a positive integer, got ${String(filters)}`);
    this.filters = filters;
    this.kernelSize = intPair('Conv2D', 'kernelSize', kernelSize);
    this.strides = intPair('Conv2D', 'strides', options.strides ?? 1);
    this.padding = checkPadding('Conv2D', options.padding ?? 'valid');
    if (options.activation !== undefined) activation(options.activation);
    resolveInitializer('Conv2D', options.kernelInitializer ?? 'glorotUniform');
    resolveInitializer('Conv2D', options.biasInitializer ?? 'zeros');
    this.options = { ...options };
  }

  /** The kernel [kh, kw, channels, filters] (after build). */
  get kernel(): SharedVariable {
    if (!this.w) throw new Error(`${this.describe()} is not built yet, so it has no kernel`);
    return this.w;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    if (inputShape.length !== 3) throw new Error(`${this.describe()} expects per-example inputs [height, width, channels], got ${formatDims(inputShape)}`);
    const [h, w, channels] = inputShape as [number, number, number];
    const rows = axisWindows(h, this.kernelSize[0], this.strides[0], this.padding);
    const cols = axisWindows(w, this.kernelSize[1], this.strides[1], this.padding);
    if (rows.out === 0 || cols.out === 0) {
      throw new Error(`${this.describe()}: a ${this.kernelSize.join('×')} kernel does not fit in ${h}×${w} inputs with padding 'valid'; use padding 'same' or a smaller kernel`);
    }
    const seed = this.options.seed ?? ctx.seed;
    const init = resolveInitializer(this.describe(), this.options.kernelInitializer ?? 'glorotUniform');
    this.w = shared(init([...this.kernelSize, channels, this.filters], { seed: deriveSeed(seed, 0) }), `${this.name}/kernel`, 'float32');
    if (this.options.useBias ?? true) {
      const biasInit = resolveInitializer(this.describe(), this.options.biasInitializer ?? 'zeros');
      this.b = shared(biasInit([this.filters], { seed: deriveSeed(seed, 1) }), `${this.name}/bias`, 'float32');
    }
    this.geometry = { rows, cols, channels };
    return [rows.out, cols.out, this.filters];
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    const { rows, cols, channels } = this.geometry!;
    if (x.ndim !== 4) throw new Error(`${this.describe()}: expected a batch of per-example shape ${formatDims(this.inputShape)}, got ${x.describe()}`);
    const patches = T.concat(windows(x, this.kernelSize, this.strides, rows, cols), 3);
    const window = this.kernelSize[0] * this.kernelSize[1] * channels;
    // float64 inputs compute in float64 (a gradient check, say): the float32 parameters are cast.
    const inDtype = (p: SharedVariable): Variable => (x.dtype === 'float64' ? T.cast(p, 'float64') : p);
    const product = T.dot(T.reshape(patches, [-1, window]), T.reshape(inDtype(this.w!), [window, this.filters]));
    const z = this.b ? T.add(product, inDtype(this.b)) : product;
    return T.reshape(activation(this.options.activation ?? 'linear')(z), [-1, rows.out, cols.out, this.filters]);
  }

  override parameters(): SharedVariable[] {
    return this.w ? (this.b ? [this.w, this.b] : [this.w]) : [];
  }

  getConfig(): Record<string, unknown> {
    const { kernelInitializer, biasInitializer } = this.options;
    return {
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      activation: this.options.activation ?? 'linear',
      useBias: this.options.useBias ?? true,
      ...(typeof kernelInitializer === 'string' ? { kernelInitializer } : {}),
      ...(typeof biasInitializer === 'string' ? { biasInitializer } : {}),
      ...(this.options.seed === undefined ? {} : { seed: this.options.seed }),
      ...(this.name === undefined ? {} : { name: this.name }),
    };
  }
}
