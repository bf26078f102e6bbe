/**
 * Pooling over channels-last images and sequences: the maximum or mean of each window, from
 * the same strided slices as the convolution, and the global mean or maximum over all
 * positions.
 */
import { NDArray, T, type Variable } from '@symgrad/core';
import { formatDims, Layer, type ApplyOptions } from './layer.js';
import { checkPadding, imageGeometry, intPair, windows, type AxisWindows, type ImageGeometry, type Padding } from './spatial.js';

export interface Pooling2DOptions {
  /** Steps between windows; the pool size by default. */
  readonly strides?: number | readonly [number, number];
  /** 'valid' (whole windows, the default) or 'same' (⌈size / stride⌉ outputs; padding never counts). */
  readonly padding?: Padding;
  readonly name?: string;
}

/** The options of a 1-D pooling layer. */
export interface Pooling1DOptions {
  /** Steps between windows; the pool size by default. */
  readonly strides?: number;
  /** 'valid' (whole windows, the default) or 'same' (⌈steps / stride⌉ outputs; padding never counts). */
  readonly padding?: Padding;
  readonly name?: string;
}

function positiveInt(who: string, what: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) <= 0) throw new RangeError(`${who}: ${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/**
 * Windowed pooling over images [h, w, c], or over sequences [steps, c] seen as one-column
 * images (the 1-D layers: windows [pool, 1]).
 */
abstract class WindowPooling extends Layer {
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;

  constructor(who: string, poolSize: number | readonly [number, number], options: Pooling2DOptions, private readonly sequences = false) {
    super(options.name);
    if (sequences) {
      const p = positiveInt(who, 'poolSize', poolSize);
      this.poolSize = [p, 1];
      this.strides = [positiveInt(who, 'strides', options.strides ?? p), 1];
    } else {
      this.poolSize = intPair(who, 'poolSize', poolSize);
      this.strides = intPair(who, 'strides', options.strides ?? this.poolSize);
    }
    this.padding = checkPadding(who, options.padding ?? 'valid');
  }

  /** A per-example input as an image: a sequence [steps, c] is [steps, 1, c]. */
  private imageOf(s: readonly number[]): [number, number, number] {
    return (this.sequences ? [s[0]!, 1, s[1]!] : s) as [number, number, number];
  }

  protected buildLayer(inputShape: readonly number[]): readonly number[] {
    const { rows, cols, channels } = this.geometryOf(inputShape);
    return this.sequences ? [rows.out, channels] : [rows.out, cols.out, channels];
  }

  /** The windows over inputs of a per-example shape; throws, naming the layer, where the pool does not fit. */
  private geometryOf(inputShape: readonly number[]): ImageGeometry {
    if (this.sequences && inputShape.length !== 2) throw new Error(`${this.describe()} expects per-example inputs [steps, channels], got ${formatDims(inputShape)}`);
    if (this.sequences && this.padding === 'valid' && this.poolSize[0] > inputShape[0]!) {
      throw new Error(`${this.describe()}: a pool of ${this.poolSize[0]} steps does not fit in ${inputShape[0]} steps with padding 'valid'; use padding 'same' or a smaller pool`);
    }
    return imageGeometry(this.describe(), this.imageOf(inputShape), 'pool', this.poolSize, this.strides, this.padding);
  }

  /** Inputs of other sizes (sequences, images) with the built channels. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    const built = this.inputShape;
    if (inputShape.length !== built.length || inputShape.at(-1) !== built.at(-1)) return undefined;
    return this.buildLayer(inputShape);
  }

  /** The pool-sized windows of a batch, padded with `value` for 'same', and their geometry. */
  protected windowsOf(x: Variable, value: number): { windows: Variable[]; geometry: ImageGeometry; image: [number, number, number] } {
    this.requireBatch(x);
    const shape = this.builtShapeOf(x);
    const image = this.imageOf(shape);
    const geometry = this.geometryOf(shape);
    const images = this.sequences ? T.reshape(x, [-1, ...image]) : x;
    return { windows: windows(images, this.poolSize, this.strides, geometry.rows, geometry.cols, value), geometry, image };
  }

  /** The maximum of each window of a batch (padding, with 'same', never wins), as the layer's output. */
  protected maxPool(x: Variable): Variable {
    const { windows: w, geometry } = this.windowsOf(x, -Infinity);
    return this.output(w.reduce((a, b) => T.maximum(a, b)), geometry);
  }

  /** The mean of each window of a batch over its elements inside the input (the pool size, except at padded edges), as the layer's output. */
  protected meanPool(x: Variable): Variable {
    const { windows: ws, geometry, image } = this.windowsOf(x, 0);
    const sum = ws.reduce((a, b) => T.add(a, b));
    const { rows, cols } = geometry;
    const [h, w] = image;
    const inside = (a: AxisWindows, size: number, k: number, s: number, o: number): number => Math.min(o * s - a.before + k, size) - Math.max(o * s - a.before, 0);
    const counts = new Float64Array(rows.out * cols.out);
    for (let r = 0; r < rows.out; r++) {
      for (let c = 0; c < cols.out; c++) counts[r * cols.out + c] = inside(rows, h, this.poolSize[0], this.strides[0], r) * inside(cols, w, this.poolSize[1], this.strides[1], c);
    }
    return this.output(T.div(sum, T.constant(new NDArray('float64', [rows.out, cols.out, 1], counts).astype(x.dtype))), geometry);
  }

  /** A pooled batch of images as the layer's output (sequences lose the column axis). */
  private output(y: Variable, g: ImageGeometry): Variable {
    return this.sequences ? T.reshape(y, [-1, g.rows.out, g.channels]) : y;
  }

  getConfig(): Record<string, unknown> {
    const [poolSize, strides] = this.sequences ? [this.poolSize[0], this.strides[0]] : [[...this.poolSize], [...this.strides]];
    return { poolSize, strides, padding: this.padding, ...(this.name === undefined ? {} : { name: this.name }) };
  }
}

/**
 * The maximum of each `poolSize` window of every channel (padding, with 'same', never wins).
 *
 * @example
 * ```ts
 * new Sequential([new Conv2D(16, 3), new MaxPooling2D(2), new Flatten(), new Dense(10)], { inputShape: [28, 28, 1] });
 * ```
 */
export class MaxPooling2D extends WindowPooling {
  readonly className = 'MaxPooling2D';

  constructor(poolSize: number | readonly [number, number] = 2, options: Pooling2DOptions = {}) {
    super('MaxPooling2D', poolSize, options);
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    return this.maxPool(x);
  }
}

/**
 * The mean of each `poolSize` window of every channel; with 'same', the mean of the window's
 * elements inside the image.
 *
 * @example
 * ```ts
 * new AveragePooling2D(2, { padding: 'same' }); // [28, 28, c] → [14, 14, c]
 * ```
 */
export class AveragePooling2D extends WindowPooling {
  readonly className = 'AveragePooling2D';

  constructor(poolSize: number | readonly [number, number] = 2, options: Pooling2DOptions = {}) {
    super('AveragePooling2D', poolSize, options);
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    return this.meanPool(x);
  }
}

/**
 * The maximum of each `poolSize` window of steps, per channel: [batch, steps, c] →
 * [batch, ⌊(steps − pool) / strides⌋ + 1, c] ('valid').
 *
 * @example
 * ```ts
 * new Sequential([new Embedding(1000, 16), new Conv1D(32, 3), new MaxPooling1D(2), new Flatten(), new Dense(2)], { inputShape: [40] });
 * ```
 */
export class MaxPooling1D extends WindowPooling {
  readonly className = 'MaxPooling1D';

  constructor(poolSize = 2, options: Pooling1DOptions = {}) {
    super('MaxPooling1D', poolSize, options, true);
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    return this.maxPool(x);
  }
}

/**
 * The mean of each `poolSize` window of steps, per channel; with 'same', over the window's
 * steps inside the sequence.
 *
 * @example
 * ```ts
 * new AveragePooling1D(3, { strides: 1, padding: 'same' }); // [steps, c] → [steps, c], a moving average
 * ```
 */
export class AveragePooling1D extends WindowPooling {
  readonly className = 'AveragePooling1D';

  constructor(poolSize = 2, options: Pooling1DOptions = {}) {
    super('AveragePooling1D', poolSize, options, true);
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    return this.meanPool(x);
  }
}

/**
 * A reduction over every position of each channel, channels last: [batch, …positions, c] →
 * [batch, c]. The 1-D forms pool a sequence ([batch, steps, features], e.g. an Embedding's
 * output), the 2-D forms an image.
 */
abstract class GlobalPooling extends Layer {
  protected abstract readonly positions: string;
  protected abstract readonly reduce: (x: Variable, axes: number[]) => Variable;

  constructor(options: { name?: string } = {}) {
    super(options.name);
  }

  /** Inputs of other sizes with the built channels: the pool covers them all. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    const built = this.inputShape;
    return inputShape.length === built.length && inputShape.at(-1) === built.at(-1) ? [built.at(-1)!] : undefined;
  }

  protected buildLayer(inputShape: readonly number[]): readonly number[] {
    const rank = this.positions.split(', ').length;
    if (inputShape.length !== rank + 1) throw new Error(`${this.describe()} expects per-example inputs [${this.positions}, channels], got ${formatDims(inputShape)}`);
    return [inputShape[rank]!];
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    this.requireBatch(x);
    return this.reduce(x, Array.from({ length: x.ndim - 2 }, (_, i) => i + 1));
  }

  getConfig(): Record<string, unknown> {
    return this.name === undefined ? {} : { name: this.name };
  }
}

/**
 * The mean over the image of every channel: [batch, h, w, c] → [batch, c].
 *
 * @example
 * ```ts
 * new Sequential([new Conv2D(32, 3), new GlobalAveragePooling2D(), new Dense(10)], { inputShape: [32, 32, 3] });
 * ```
 */
export class GlobalAveragePooling2D extends GlobalPooling {
  readonly className = 'GlobalAveragePooling2D';
  protected readonly positions = 'height, width';
  protected readonly reduce = (x: Variable, axes: number[]) => T.mean(x, axes);
}

/**
 * The maximum over the image of every channel: [batch, h, w, c] → [batch, c].
 *
 * @example
 * ```ts
 * new Sequential([new Conv2D(32, 3), new GlobalMaxPooling2D(), new Dense(10)], { inputShape: [32, 32, 3] });
 * ```
 */
export class GlobalMaxPooling2D extends GlobalPooling {
  readonly className = 'GlobalMaxPooling2D';
  protected readonly positions = 'height, width';
  protected readonly reduce = (x: Variable, axes: number[]) => T.max(x, axes);
}

/**
 * The global poolings over steps: with a mask (an Embedding's `maskZero`) they pool the real
 * steps only, 0 where a sequence has none, and give no mask on.
 */
abstract class GlobalPooling1D extends GlobalPooling {
  protected readonly positions = 'steps';
  /** The pooled [batch, features] of x [batch, steps, features] over the steps where `real` [batch, steps, 1] is 1. */
  protected abstract maskedReduce(x: Variable, real: Variable): Variable;

  protected override callLayer(x: Variable, options: ApplyOptions): Variable {
    if (options.mask === undefined) return super.callLayer(x, options);
    this.requireBatch(x);
    return this.maskedReduce(x, T.expandDims(this.stepMask(options.mask, x), 2));
  }

  override computeMask(): undefined {
    return undefined;
  }
}

/**
 * The mean over the steps of every feature: [batch, steps, features] → [batch, features]; with
 * an Embedding before it, a bag of words.
 *
 * @example
 * ```ts
 * new Sequential([new Embedding(10000, 16), new GlobalAveragePooling1D(), new Dense(2)], { inputShape: [200] });
 * ```
 */
export class GlobalAveragePooling1D extends GlobalPooling1D {
  readonly className = 'GlobalAveragePooling1D';
  protected readonly reduce = (x: Variable, axes: number[]) => T.mean(x, axes);
  protected maskedReduce(x: Variable, real: Variable): Variable {
    return T.div(T.sum(T.mul(x, real), 1), T.maximum(T.sum(real, 1), 1));
  }
}

/**
 * The maximum over the steps of every feature: [batch, steps, features] → [batch, features];
 * with a mask, over the real steps.
 *
 * @example
 * ```ts
 * new Sequential([new Embedding(10000, 16), new GlobalMaxPooling1D(), new Dense(2)], { inputShape: [200] });
 * ```
 */
export class GlobalMaxPooling1D extends GlobalPooling1D {
  readonly className = 'GlobalMaxPooling1D';
  protected readonly reduce = (x: Variable, axes: number[]) => T.max(x, axes);
  protected maskedReduce(x: Variable, real: Variable): Variable {
    const max = T.max(T.where(T.gt(real, 0), x, -Infinity), 1);
    return T.where(T.gt(T.sum(real, 1), 0), max, 0);
  }
}
