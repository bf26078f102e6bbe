/**
 * Pooling over channels-last images: the maximum or mean of each window, from the same
 * strided slices as the convolution, and the global mean or maximum over the image.
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

abstract class Pooling2D extends Layer {
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
  protected geometry: ImageGeometry | undefined;

  constructor(who: string, poolSize: number | readonly [number, number], options: Pooling2DOptions) {
    super(options.name);
    this.poolSize = intPair(who, 'poolSize', poolSize);
    this.strides = intPair(who, 'strides', options.strides ?? this.poolSize);
    this.padding = checkPadding(who, options.padding ?? 'valid');
  }

  protected buildLayer(inputShape: readonly number[]): readonly number[] {
    this.geometry = imageGeometry(this.describe(), inputShape, 'pool', this.poolSize, this.strides, this.padding);
    return [this.geometry.rows.out, this.geometry.cols.out, this.geometry.channels];
  }

  /** The pool-sized windows of a batch, padded with `value` for 'same'. */
  protected windowsOf(x: Variable, value: number): Variable[] {
    this.requireBatch(x);
    return windows(x, this.poolSize, this.strides, this.geometry!.rows, this.geometry!.cols, value);
  }

  getConfig(): Record<string, unknown> {
    return { poolSize: [...this.poolSize], strides: [...this.strides], padding: this.padding, ...(this.name === undefined ? {} : { name: this.name }) };
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
export class MaxPooling2D extends Pooling2D {
  readonly className = 'MaxPooling2D';

  constructor(poolSize: number | readonly [number, number] = 2, options: Pooling2DOptions = {}) {
    super('MaxPooling2D', poolSize, options);
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    return this.windowsOf(x, -Infinity).reduce((a, b) => T.maximum(a, b));
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
export class AveragePooling2D extends Pooling2D {
  readonly className = 'AveragePooling2D';

  constructor(poolSize: number | readonly [number, number] = 2, options: Pooling2DOptions = {}) {
    super('AveragePooling2D', poolSize, options);
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    const sum = this.windowsOf(x, 0).reduce((a, b) => T.add(a, b));
    const { rows, cols } = this.geometry!;
    // How many elements of each window lie inside the image: the pool size, except at padded edges.
    const inside = (a: AxisWindows, size: number, k: number, s: number, o: number): number => Math.min(o * s - a.before + k, size) - Math.max(o * s - a.before, 0);
    const [h, w] = this.inputShape as [number, number];
    const counts = new Float64Array(rows.out * cols.out);
    for (let r = 0; r < rows.out; r++) {
      for (let c = 0; c < cols.out; c++) counts[r * cols.out + c] = inside(rows, h, this.poolSize[0], this.strides[0], r) * inside(cols, w, this.poolSize[1], this.strides[1], c);
    }
    return T.div(sum, T.constant(new NDArray('float64', [rows.out, cols.out, 1], counts).astype(x.dtype)));
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
 * The mean over the steps of every feature: [batch, steps, features] → [batch, features]; with
 * an Embedding before it, a bag of words.
 *
 * @example
 * ```ts
 * new Sequential([new Embedding(10000, 16), new GlobalAveragePooling1D(), new Dense(2)], { inputShape: [200] });
 * ```
 */
export class GlobalAveragePooling1D extends GlobalPooling {
  readonly className = 'GlobalAveragePooling1D';
  protected readonly positions = 'steps';
  protected readonly reduce = (x: Variable, axes: number[]) => T.mean(x, axes);
}

/**
 * The maximum over the steps of every feature: [batch, steps, features] → [batch, features].
 *
 * @example
 * ```ts
 * new Sequential([new Embedding(10000, 16), new GlobalMaxPooling1D(), new Dense(2)], { inputShape: [200] });
 * ```
 */
export class GlobalMaxPooling1D extends GlobalPooling {
  readonly className = 'GlobalMaxPooling1D';
  protected readonly positions = 'steps';
  protected readonly reduce = (x: Variable, axes: number[]) => T.max(x, axes);
}
