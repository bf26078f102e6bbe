/**
 * Activation functions by name, and the layers that apply them (ReLU, Sigmoid, Tanh,
 * Softmax). They are the core ops themselves, so the stabilizing rewrites (log∘softmax,
 * softmax + int-label cross-entropy, log∘sigmoid) see them.
 */
import { T, type Variable } from '@symgrad/core';
import { Layer, type ApplyOptions } from './layer.js';

/** The activations layers accept by name. */
export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';

const ACTIVATIONS: Record<ActivationName, (x: Variable) => Variable> = {
  linear: (x) => x,
  relu: (x) => T.relu(x),
  sigmoid: (x) => T.sigmoid(x),
  tanh: (x) => T.tanh(x),
  softmax: (x) => T.softmax(x, -1),
};

/**
 * The activation function of a name; throws listing the known names.
 *
 * @example
 * ```ts
 * const h = activation('relu')(T.dot(x, w));
 * ```
 */
export function activation(name: ActivationName): (x: Variable) => Variable {
  const f = Object.prototype.hasOwnProperty.call(ACTIVATIONS, name) ? ACTIVATIONS[name] : undefined;
  if (!f) throw new TypeError(`unknown activation ${JSON.stringify(name)}: use one of ${Object.keys(ACTIVATIONS).join(', ')}`);
  return f;
}

abstract class ActivationLayer extends Layer {
  protected override readonly passesMask = true;
  protected abstract readonly fn: ActivationName;
  protected buildLayer(inputShape: readonly number[]): readonly number[] {
    return inputShape;
  }
  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    return activation(this.fn)(x);
  }
  /** Elementwise: any shape. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] {
    return inputShape;
  }
  getConfig(): Record<string, unknown> {
    return this.name === undefined ? {} : { name: this.name };
  }
}

/**
 * max(x, 0) elementwise.
 *
 * @example
 * ```ts
 * new Sequential([new Dense(256), new ReLU(), new Dense(10)], { inputShape: [784] });
 * ```
 */
export class ReLU extends ActivationLayer {
  readonly className = 'ReLU';
  protected readonly fn = 'relu';
  constructor(options: { name?: string } = {}) { super(options.name); }
}

/**
 * 1 / (1 + e^−x) elementwise.
 *
 * @example
 * ```ts
 * new Sequential([new Dense(1), new Sigmoid()], { inputShape: [20] });
 * ```
 */
export class Sigmoid extends ActivationLayer {
  readonly className = 'Sigmoid';
  protected readonly fn = 'sigmoid';
  constructor(options: { name?: string } = {}) { super(options.name); }
}

/**
 * tanh(x) elementwise.
 *
 * @example
 * ```ts
 * new Sequential([new Dense(64), new Tanh()], { inputShape: [20] });
 * ```
 */
export class Tanh extends ActivationLayer {
  readonly className = 'Tanh';
  protected readonly fn = 'tanh';
  constructor(options: { name?: string } = {}) { super(options.name); }
}

/**
 * Softmax over the last axis (class probabilities).
 *
 * @example
 * ```ts
 * new Sequential([new Dense(10), new Softmax()], { inputShape: [784] });
 * ```
 */
export class Softmax extends ActivationLayer {
  readonly className = 'Softmax';
  protected readonly fn = 'softmax';
  constructor(options: { name?: string } = {}) { super(options.name); }
}
