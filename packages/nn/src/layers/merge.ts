/**
 * Layers that merge several tensors of a functional model into one (Keras's merging
 * layers): elementwise sums, differences, products, means, maxima and minima of tensors of
 * one shape, and concatenation along an axis. Masks merge too: an elementwise merge keeps a
 * step where every masked input keeps it; a concatenation along the steps joins the masks.
 */
import { constant, NDArray, T, type Variable } from '@symgrad/core';
import { formatDims, Layer, sameDims, type BuildContext, type MultiApplyOptions } from './layer.js';

/** The common part of the merging layers: two or more inputs, no parameters. */
abstract class Merge extends Layer {
  override get inputArity(): readonly [number, number] {
    return [2, Infinity];
  }

  protected buildLayer(inputShape: readonly number[]): readonly number[] {
    throw new Error(`${this.describe()} merges two or more inputs, got one of per-example shape ${formatDims(inputShape)}: apply it to a list of tensors in a FunctionalModel`);
  }

  protected callLayer(): Variable {
    throw new Error(`${this.describe()} merges two or more inputs: apply it to a list of tensors in a FunctionalModel`);
  }

  protected override callManyLayer(xs: readonly Variable[], _options: MultiApplyOptions): Variable {
    const want = this.inputShapes;
    xs.forEach((x, i) => {
      const shape = want[i]!;
      if (x.ndim !== shape.length + 1 || x.shape.slice(1).some((d, j) => d !== null && d !== shape[j])) {
        throw new Error(`${this.describe()}: input ${i} must be a batch of per-example shape ${formatDims(shape)}, got ${x.describe()}`);
      }
    });
    return this.merge(xs);
  }

  override computeMaskInputs(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): Variable | undefined {
    const given = masks.filter((m): m is Variable => m !== undefined);
    if (given.length === 0) return undefined;
    // A step counts where every input that has a mask keeps it (masks hold 1 and 0).
    return given.reduce((a, b) => T.mul(a, T.cast(b, a.dtype)));
  }

  getConfig(): Record<string, unknown> {
    return this.name === undefined ? {} : { name: this.name };
  }

  protected abstract merge(xs: readonly Variable[]): Variable;
}

/** An elementwise merge: every input has the same per-example shape, which the output has. */
abstract class ElementwiseMerge extends Merge {
  protected override buildManyLayer(shapes: readonly (readonly number[])[], _ctx: BuildContext): readonly number[] {
    const first = shapes[0]!;
    shapes.forEach((s, i) => {
      if (!sameDims(s, first)) {
        throw new Error(`${this.describe()}: inputs must have one per-example shape, got ${shapes.map(formatDims).join(', ')} (input ${i} differs from input 0)`);
      }
    });
    return first;
  }
}

/**
 * The elementwise sum of its inputs (a residual connection: `new Add().apply([x, f(x)])`).
 *
 * @example
 * ```ts
 * const y = new Add().apply([x, new Dense(64).apply(x)]);
 * ```
 */
export class Add extends ElementwiseMerge {
  readonly className = 'Add';
  constructor(options: { name?: string } = {}) { super(options.name); }
  protected merge(xs: readonly Variable[]): Variable {
    return xs.reduce((a, b) => T.add(a, b));
  }
}

/**
 * The first input minus the second (exactly two inputs).
 *
 * @example
 * ```ts
 * const d = new Subtract().apply([a, b]);
 * ```
 */
export class Subtract extends ElementwiseMerge {
  readonly className = 'Subtract';
  constructor(options: { name?: string } = {}) { super(options.name); }
  override get inputArity(): readonly [number, number] {
    return [2, 2];
  }
  protected merge(xs: readonly Variable[]): Variable {
    return T.sub(xs[0]!, xs[1]!);
  }
}

/**
 * The elementwise product of its inputs (a gate: `new Multiply().apply([x, sigmoid(g)])`).
 *
 * @example
 * ```ts
 * const gated = new Multiply().apply([h, new Dense(64, { activation: 'sigmoid' }).apply(h)]);
 * ```
 */
export class Multiply extends ElementwiseMerge {
  readonly className = 'Multiply';
  constructor(options: { name?: string } = {}) { super(options.name); }
  protected merge(xs: readonly Variable[]): Variable {
    return xs.reduce((a, b) => T.mul(a, b));
  }
}

/**
 * The elementwise mean of its inputs.
 *
 * @example
 * ```ts
 * const ensemble = new Average().apply([a, b, c]);
 * ```
 */
export class Average extends ElementwiseMerge {
  readonly className = 'Average';
  constructor(options: { name?: string } = {}) { super(options.name); }
  protected merge(xs: readonly Variable[]): Variable {
    return T.mul(xs.reduce((a, b) => T.add(a, b)), 1 / xs.length);
  }
}

/**
 * The elementwise maximum of its inputs.
 *
 * @example
 * ```ts
 * const m = new Maximum().apply([a, b]);
 * ```
 */
export class Maximum extends ElementwiseMerge {
  readonly className = 'Maximum';
  constructor(options: { name?: string } = {}) { super(options.name); }
  protected merge(xs: readonly Variable[]): Variable {
    return xs.reduce((a, b) => T.maximum(a, b));
  }
}

/**
 * The elementwise minimum of its inputs.
 *
 * @example
 * ```ts
 * const m = new Minimum().apply([a, b]);
 * ```
 */
export class Minimum extends ElementwiseMerge {
  readonly className = 'Minimum';
  constructor(options: { name?: string } = {}) { super(options.name); }
  protected merge(xs: readonly Variable[]): Variable {
    return xs.reduce((a, b) => T.minimum(a, b));
  }
}

/** The options of a Concatenate layer. */
export interface ConcatenateOptions {
  /** The axis of the batched tensors to join along (Keras's: 0 is the batch axis, which cannot be joined); -1, the last, by default. */
  readonly axis?: number;
  readonly name?: string;
}

/**
 * Its inputs side by side along one axis (the features by default); the other axes must
 * agree. Joining sequences along the steps (axis 1) joins their masks as well.
 *
 * @example
 * ```ts
 * const both = new Concatenate().apply([a, b]);              // [batch, 32] and [batch, 16] → [batch, 48]
 * const longer = new Concatenate({ axis: 1 }).apply([s, t]); // sequences joined along the steps
 * ```
 */
export class Concatenate extends Merge {
  readonly className = 'Concatenate';
  readonly axis: number;

  constructor(options: ConcatenateOptions = {}) {
    super(options.name);
    const axis = options.axis ?? -1;
    if (!Number.isInteger(axis) || axis === 0) throw new RangeError(`Concatenate: axis must be a nonzero integer (axis 0 is the batch), got ${JSON.stringify(axis)}`);
    this.axis = axis;
  }

  protected override buildManyLayer(shapes: readonly (readonly number[])[], _ctx: BuildContext): readonly number[] {
    const first = shapes[0]!;
    const rank = first.length + 1;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    if (axis < 1 || axis >= rank) throw new RangeError(`${this.describe()}: axis ${this.axis} is out of range for batches of per-example shape ${formatDims(first)} (rank ${rank})`);
    shapes.forEach((s, i) => {
      if (s.length !== first.length || s.some((d, j) => j !== axis - 1 && d !== first[j])) {
        throw new Error(`${this.describe()}: inputs must agree on every axis but ${axis}, got ${shapes.map(formatDims).join(', ')} (input ${i} differs from input 0)`);
      }
    });
    return first.map((d, j) => (j === axis - 1 ? shapes.reduce((n, s) => n + s[j]!, 0) : d));
  }

  protected merge(xs: readonly Variable[]): Variable {
    return T.concat(xs, this.resolvedAxis());
  }

  override computeMaskInputs(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): Variable | undefined {
    if (masks.every((m) => m === undefined) || this.resolvedAxis() !== 1) return super.computeMaskInputs(xs, masks);
    // Joined along the steps: each input's steps keep their mask; an input without one counts every step.
    return T.concat(xs.map((x, i) => {
      const m = masks[i];
      if (m !== undefined) return T.cast(m, 'float32');
      const steps = this.inputShapes[i]![0]!;
      const firstOfEachStep = T.slice(x, null, null, ...Array.from({ length: x.ndim - 2 }, () => [0, 1] as [number, number]));
      return T.broadcastLike(constant(NDArray.from(1, 'float32')), T.reshape(T.cast(firstOfEachStep, 'float32'), [-1, steps]));
    }), 1);
  }

  override getConfig(): Record<string, unknown> {
    return { axis: this.axis, ...super.getConfig() };
  }

  private resolvedAxis(): number {
    return this.axis < 0 ? this.axis + this.inputShape.length + 1 : this.axis;
  }
}
