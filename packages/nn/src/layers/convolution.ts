/**
 * 2-D convolution over channels-last images, as im2col and one product: the kernel-sized
 * windows (strided slices of the padded input) are joined along the channel axis and
 * multiplied by the kernel reshaped to [kh · kw · channels, filters]. Every backend runs it
 * with its own matmul, and the gradients follow from those of slice, concat and dot.
 */
import { T, type SharedVariable, type Variable } from '@symgrad/core';
import { activation } from './activation.js';
import { checkKernelOptions, kernelAndBias, kernelAndBiasConfig, type DenseOptions } from './dense.js';
import { Layer, type ApplyOptions, type BuildContext } from './layer.js';
import { checkPadding, dilatedSize, imageGeometry, intPair, windows, type ImageGeometry, type Padding } from './spatial.js';

/** Dense's options (the kernel's 'glorotUniform' fans count the window: kh · kw · channels in, kh · kw · filters out), and the windows'. */
export interface Conv2DOptions extends DenseOptions {
  /** Steps between windows, one number or [rows, columns]; 1 by default. */
  readonly strides?: number | readonly [number, number];
  /** 'valid' (whole windows only, the default) or 'same' (⌈size / stride⌉ outputs, zero-padded). */
  readonly padding?: Padding;
  /** Distance between a kernel's taps, one number or [rows, columns]; 1 by default (an atrous convolution above). */
  readonly dilationRate?: number | readonly [number, number];
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
  readonly dilationRate: readonly [number, number];
  readonly options: Conv2DOptions;
  private w: SharedVariable | undefined;
  private b: SharedVariable | undefined;
  private geometry: ImageGeometry | undefined;

  constructor(filters: number, kernelSize: number | readonly [number, number], options: Conv2DOptions = {}) {
    super(options.name);
    if (!Number.isInteger(filters) || filters <= 0) throw new RangeError(`Conv2D: filters must be a positive integer, got ${String(filters)}`);
    this.filters = filters;
    this.kernelSize = intPair('Conv2D', 'kernelSize', kernelSize);
    this.strides = intPair('Conv2D', 'strides', options.strides ?? 1);
    this.padding = checkPadding('Conv2D', options.padding ?? 'valid');
    this.dilationRate = intPair('Conv2D', 'dilationRate', options.dilationRate ?? 1);
    checkKernelOptions('Conv2D', options);
    this.options = { ...options };
  }

  /** The kernel [kh, kw, channels, filters] (after build). */
  get kernel(): SharedVariable {
    if (!this.w) throw new Error(`${this.describe()} is not built yet, so it has no kernel`);
    return this.w;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    const dilated = this.dilationRate.some((r) => r > 1);
    const g = imageGeometry(this.describe(), inputShape, dilated ? 'dilated kernel' : 'kernel', dilatedSize(this.kernelSize, this.dilationRate), this.strides, this.padding);
    ({ w: this.w, b: this.b } = kernelAndBias(this, this.options, [...this.kernelSize, g.channels, this.filters], this.filters, ctx.seed));
    this.geometry = g;
    return [g.rows.out, g.cols.out, this.filters];
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    const { rows, cols, channels } = this.geometry!;
    this.requireBatch(x);
    const patches = T.concat(windows(x, this.kernelSize, this.strides, rows, cols, 0, this.dilationRate), 3);
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
    return {
      filters: this.filters, kernelSize: [...this.kernelSize], strides: [...this.strides], padding: this.padding, dilationRate: [...this.dilationRate],
      ...kernelAndBiasConfig(this, this.options),
    };
  }
}
