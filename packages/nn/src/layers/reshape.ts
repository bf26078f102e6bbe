/**
 * Reshaping each example: [batch, …] → [batch, …targetShape], e.g. flat MNIST rows into
 * [28, 28, 1] images for a convolution.
 */
import { T, type Variable } from '@symgrad/core';
import { formatDims, Layer, type ApplyOptions } from './layer.js';

/**
 * Gives each example the per-example shape `targetShape` (the same number of elements; one
 * dimension may be -1, inferred), like Keras's Reshape; a view, so it costs no kernel.
 *
 * @example
 * ```ts
 * new Sequential([new Reshape([28, 28, 1]), new Conv2D(16, 3), new Flatten(), new Dense(10)], { inputShape: [784] });
 * ```
 */
export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly targetShape: readonly number[];

  constructor(targetShape: readonly number[], options: { name?: string } = {}) {
    super(options.name);
    if (!Array.isArray(targetShape) || targetShape.length === 0 || targetShape.some((d) => !Number.isInteger(d) || (d <= 0 && d !== -1)) || targetShape.filter((d) => d === -1).length > 1) {
      throw new RangeError(`Reshape: targetShape must be a non-empty array of positive integers with at most one -1, got ${JSON.stringify(targetShape)}`);
    }
    this.targetShape = [...targetShape];
  }

  protected buildLayer(inputShape: readonly number[]): readonly number[] {
    const size = inputShape.reduce((a, b) => a * b, 1);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const inferred = this.targetShape.includes(-1) ? size / known : known === size ? -1 : NaN;
    if (!Number.isInteger(inferred)) {
      throw new Error(`${this.describe()}: cannot reshape per-example inputs ${formatDims(inputShape)} (${size} elements) to ${formatDims(this.targetShape)}`);
    }
    return this.targetShape.map((d) => (d === -1 ? inferred : d));
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    this.requireBatch(x);
    return T.reshape(x, [-1, ...this.outputShape]);
  }

  getConfig(): Record<string, unknown> {
    return { targetShape: [...this.targetShape], ...(this.name === undefined ? {} : { name: this.name }) };
  }
}
