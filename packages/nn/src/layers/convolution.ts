/**
 * 1-D and 2-D convolution over channels-last inputs, as im2col and one product: the
 * kernel-sized windows (strided slices of the padded input) are joined along the channel
 * axis and multiplied by the kernel reshaped to [window · channels, filters]. Every backend
 * runs it with its own matmul, and the gradients follow from those of slice, concat and dot.
 * A 1-D convolution is the 2-D one over images one column wide.
 */
import { T, type SharedVariable, type Variable } from '@symgrad/core';
import { activation } from './activation.js';
import { checkKernelOptions, kernelAndBias, kernelAndBiasConfig, type DenseOptions } from './dense.js';
import { Layer, type ApplyOptions, type BuildContext } from './layer.js';
import { axisWindows, checkPadding, dilatedSize, imageGeometry, intPair, windows, type ImageGeometry, type Padding } from './spatial.js';

/** Dense's options (the kernel's 'glorotUniform' fans count the window: kh · kw · channels in, kh · kw · filters out), and the windows'. */
export interface Conv2DOptions extends DenseOptions {
  /** Steps between windows, one number or [rows, columns]; 1 by default. */
  readonly strides?: number | readonly [number, number];
  /** 'valid' (whole windows only, the default) or 'same' (⌈size / stride⌉ outputs, zero-padded). */
  readonly padding?: Padding;
  /** Distance between a kernel's taps, one number or [rows, columns]; 1 by default (an atrous convolution above). */
  readonly dilationRate?: number | readonly [number, number];
  /**
   * Splits channels and filters into this many groups, each group's filters reading only its
   * channels (Keras's `groups`); the kernel is then [kh, kw, channels / groups, filters].
   * groups = channels is a depthwise convolution. 1 by default.
   */
  readonly groups?: number;
}

/**
 * The convolution of a batch of [h, w, c] images `x`: every window of the kernel (taps in
 * row-major order, channels fastest) as one row, times the kernel `w` as [window · c,
 * filters], plus the bias, through the activation: [batch · positions, filters]. With
 * `groups` > 1, group g's filters read only its channels: one product per group, batched,
 * and for one channel per group (a depthwise convolution) a sum over the taps of products,
 * which the compiler fuses into one reduce, instead of a product one column wide per group.
 */
function im2col(x: Variable, w: SharedVariable, b: SharedVariable | undefined, o: DenseOptions, kernel: readonly [number, number], strides: readonly [number, number], dilation: readonly [number, number], g: ImageGeometry, filters: number, groups: number): Variable {
  const taps = kernel[0] * kernel[1];
  const parts = windows(x, kernel, strides, g.rows, g.cols, 0, dilation);
  // float64 inputs compute in float64 (a gradient check, say): the float32 parameters are cast.
  const inDtype = (p: SharedVariable): Variable => (x.dtype === 'float64' ? T.cast(p, 'float64') : p);
  const [perGroup, filtersPerGroup] = [g.channels / groups, filters / groups];
  let product: Variable;
  if (groups === 1) {
    product = T.dot(T.reshape(T.concat(parts, 3), [-1, taps * g.channels]), T.reshape(inDtype(w), [taps * g.channels, filters]));
  } else if (perGroup === 1) {
    const patches = T.reshape(T.concat(parts.map((p) => T.expandDims(p, 3)), 3), [-1, taps, groups, 1]);
    product = T.reshape(T.sum(T.mul(patches, T.reshape(inDtype(w), [taps, groups, filtersPerGroup])), 1), [-1, filters]);
  } else {
    const patches = T.reshape(T.transpose(T.reshape(T.concat(parts, 3), [-1, taps, groups, perGroup]), [2, 0, 1, 3]), [groups, -1, taps * perGroup]);
    const kernels = T.transpose(T.reshape(inDtype(w), [taps * perGroup, groups, filtersPerGroup]), [1, 0, 2]);
    product = T.reshape(T.transpose(T.matmul(patches, kernels), [1, 0, 2]), [-1, filters]);
  }
  const z = b ? T.add(product, inDtype(b)) : product;
  return activation(o.activation ?? 'linear')(z);
}

/** `groups` checked against the channels and filters when the layer builds: both must be multiples of it. */
function checkGroups(layer: Layer, groups: number, channels: number, filters: number): void {
  if (channels % groups !== 0 || filters % groups !== 0) {
    throw new Error(`${layer.describe()}: groups ${groups} must divide both the input channels (${channels}) and the filters (${filters})`);
  }
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
  readonly groups: number;
  readonly options: Conv2DOptions;
  private w: SharedVariable | undefined;
  private b: SharedVariable | undefined;

  constructor(filters: number, kernelSize: number | readonly [number, number], options: Conv2DOptions = {}) {
    super(options.name);
    if (!Number.isInteger(filters) || filters <= 0) throw new RangeError(`Conv2D: filters must be a positive integer, got ${String(filters)}`);
    this.filters = filters;
    this.kernelSize = intPair('Conv2D', 'kernelSize', kernelSize);
    this.strides = intPair('Conv2D', 'strides', options.strides ?? 1);
    this.padding = checkPadding('Conv2D', options.padding ?? 'valid');
    this.dilationRate = intPair('Conv2D', 'dilationRate', options.dilationRate ?? 1);
    this.groups = positiveInt('Conv2D', 'groups', options.groups ?? 1);
    checkKernelOptions('Conv2D', options);
    this.options = { ...options };
  }

  /** The kernel [kh, kw, channels / groups, filters] (after build). */
  get kernel(): SharedVariable {
    if (!this.w) throw new Error(`${this.describe()} is not built yet, so it has no kernel`);
    return this.w;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    const g = this.geometryOf(inputShape);
    checkGroups(this, this.groups, g.channels, this.filters);
    ({ w: this.w, b: this.b } = kernelAndBias(this, this.options, [...this.kernelSize, g.channels / this.groups, this.filters], this.filters, ctx.seed));
    return [g.rows.out, g.cols.out, this.filters];
  }

  /** The windows over images of a per-example shape [h, w, channels]; throws, naming the layer, where the kernel does not fit. */
  private geometryOf(inputShape: readonly number[]): ImageGeometry {
    const dilated = this.dilationRate.some((r) => r > 1);
    return imageGeometry(this.describe(), inputShape, dilated ? 'dilated kernel' : 'kernel', dilatedSize(this.kernelSize, this.dilationRate), this.strides, this.padding);
  }

  /** Images of other sizes with the built channels (a fully convolutional model). */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    if (inputShape.length !== 3 || inputShape[2] !== this.inputShape[2]) return undefined;
    const g = this.geometryOf(inputShape);
    return [g.rows.out, g.cols.out, this.filters];
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    this.requireBatch(x);
    const g = this.geometryOf(this.builtShapeOf(x));
    const y = im2col(x, this.w!, this.b, this.options, this.kernelSize, this.strides, this.dilationRate, g, this.filters, this.groups);
    return T.reshape(y, [-1, g.rows.out, g.cols.out, this.filters]);
  }

  override parameters(): SharedVariable[] {
    return this.w ? (this.b ? [this.w, this.b] : [this.w]) : [];
  }

  getConfig(): Record<string, unknown> {
    return {
      filters: this.filters, kernelSize: [...this.kernelSize], strides: [...this.strides], padding: this.padding, dilationRate: [...this.dilationRate],
      ...(this.groups === 1 ? {} : { groups: this.groups }),
      ...kernelAndBiasConfig(this, this.options),
    };
  }
}

/** Dense's options (the kernel's fans count the window: k · channels in, k · filters out), and the window's. */
export interface Conv1DOptions extends DenseOptions {
  /** Steps between windows; 1 by default. */
  readonly strides?: number;
  /** 'valid' (whole windows only, the default) or 'same' (⌈steps / stride⌉ outputs, zero-padded). */
  readonly padding?: Padding;
  /** Distance between a kernel's taps; 1 by default. */
  readonly dilationRate?: number;
  /** Splits channels and filters into groups, as Conv2D's `groups`; the kernel is then [k, channels / groups, filters]. 1 by default. */
  readonly groups?: number;
}

function positiveInt(who: string, what: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) <= 0) throw new RangeError(`${who}: ${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/**
 * A 1-D convolution with `filters` outputs over sequences of per-example shape [steps,
 * channels] (an Embedding's output, say). Its parameters are `<layer>/kernel` ([k, channels,
 * filters], Keras's layout) and `<layer>/bias` ([filters]).
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Embedding(10000, 32), new Conv1D(64, 5, { activation: 'relu' }), new GlobalMaxPooling1D(), new Dense(2),
 * ], { inputShape: [200] });
 * ```
 */
export class Conv1D extends Layer {
  readonly className = 'Conv1D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding;
  readonly dilationRate: number;
  readonly groups: number;
  readonly options: Conv1DOptions;
  private w: SharedVariable | undefined;
  private b: SharedVariable | undefined;

  constructor(filters: number, kernelSize: number, options: Conv1DOptions = {}) {
    super(options.name);
    this.filters = positiveInt('Conv1D', 'filters', filters);
    this.kernelSize = positiveInt('Conv1D', 'kernelSize', kernelSize);
    this.strides = positiveInt('Conv1D', 'strides', options.strides ?? 1);
    this.padding = checkPadding('Conv1D', options.padding ?? 'valid');
    this.dilationRate = positiveInt('Conv1D', 'dilationRate', options.dilationRate ?? 1);
    this.groups = positiveInt('Conv1D', 'groups', options.groups ?? 1);
    checkKernelOptions('Conv1D', options);
    this.options = { ...options };
  }

  /** The kernel [k, channels / groups, filters] (after build). */
  get kernel(): SharedVariable {
    if (!this.w) throw new Error(`${this.describe()} is not built yet, so it has no kernel`);
    return this.w;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    const { rows, channels } = this.geometryOf(inputShape);
    checkGroups(this, this.groups, channels, this.filters);
    ({ w: this.w, b: this.b } = kernelAndBias(this, this.options, [this.kernelSize, channels / this.groups, this.filters], this.filters, ctx.seed));
    return [rows.out, this.filters];
  }

  /** The windows over sequences of a per-example shape [steps, channels] (as images of one column); throws, naming the layer, where the kernel does not fit. */
  private geometryOf(inputShape: readonly number[]): ImageGeometry {
    if (inputShape.length !== 2) throw new Error(`${this.describe()} expects per-example inputs [steps, channels], got [${inputShape.join(', ')}]`);
    const [steps, channels] = inputShape as [number, number];
    const span = (this.kernelSize - 1) * this.dilationRate + 1;
    const rows = axisWindows(steps, span, this.strides, this.padding);
    if (rows.out === 0) {
      throw new Error(`${this.describe()}: a kernel spanning ${span} steps does not fit in ${steps} steps with padding 'valid'; use padding 'same' or a smaller kernel`);
    }
    return { rows, cols: axisWindows(1, 1, 1, this.padding), channels };
  }

  /** Sequences of other lengths with the built channels. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    if (inputShape.length !== 2 || inputShape[1] !== this.inputShape[1]) return undefined;
    return [this.geometryOf(inputShape).rows.out, this.filters];
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    this.requireBatch(x);
    const [steps, channels] = this.builtShapeOf(x) as [number, number];
    const g = this.geometryOf([steps, channels]);
    const images = T.reshape(x, [-1, steps, 1, channels]);
    const y = im2col(images, this.w!, this.b, this.options, [this.kernelSize, 1], [this.strides, 1], [this.dilationRate, 1], g, this.filters, this.groups);
    return T.reshape(y, [-1, g.rows.out, this.filters]);
  }

  override parameters(): SharedVariable[] {
    return this.w ? (this.b ? [this.w, this.b] : [this.w]) : [];
  }

  getConfig(): Record<string, unknown> {
    return {
      filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dilationRate: this.dilationRate,
      ...(this.groups === 1 ? {} : { groups: this.groups }), ...kernelAndBiasConfig(this, this.options),
    };
  }
}
