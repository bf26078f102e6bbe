/**
 * Keras's Bidirectional wrapper: a recurrent layer reads the sequence forwards, a copy of it
 * (its own weights) backwards, and their outputs are merged.
 */
import { T, type SharedVariable, type Variable } from '@symgrad/core';
import { deriveSeed } from '../random-stream.js';
import { Layer, type ApplyOptions, type BuildContext, type LayerConfig, type MultiApplyOptions } from './layer.js';
import { Recurrent } from './recurrent.js';

/** How the two directions' outputs combine: side by side on the last axis (the default), or elementwise. */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';
const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave'];

/** The options of a Bidirectional wrapper. */
export interface BidirectionalOptions {
  /** 'concat' by default (outputs of 2·units). */
  readonly mergeMode?: MergeMode;
  readonly name?: string;
}

/**
 * Runs a recurrent layer (SimpleRNN, LSTM, GRU) over the sequence forwards and a copy of it,
 * with its own weights and `goBackwards` flipped, backwards; with `returnSequences` the
 * backward outputs are put back in the sequence's order, so step t of the result holds both
 * directions' outputs at t. Parameters are the two layers', named `<name>_forward/…` and
 * `<name>_backward/…`. A mask (an Embedding's `maskZero`) reaches both directions. In a
 * FunctionalModel it takes an initial state for each direction (`apply([x, fh, fc, bh, bc])`
 * for an LSTM) and, when the wrapped layer has `returnState`, gives both final states after
 * the merged output (`applyAll`: output, the forward state, the backward state), as Keras.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Embedding(10001, 64, { maskZero: true }),
 *   new Bidirectional(new LSTM(32)),    // → [batch, 64]: both directions' last outputs
 *   new Dense(2),
 * ], { inputShape: [100], seed: 1 });
 * ```
 */
export class Bidirectional extends Layer {
  readonly className = 'Bidirectional';
  readonly forward: Recurrent;
  readonly backward: Recurrent;
  readonly mergeMode: MergeMode;

  constructor(layer: Layer, options: BidirectionalOptions = {}) {
    super(options.name);
    if (!(layer instanceof Recurrent)) {
      throw new TypeError(`Bidirectional: wraps a recurrent layer (SimpleRNN, LSTM, GRU), got ${layer instanceof Layer ? layer.describe() : String(layer)}`);
    }
    if (layer.built) throw new Error(`Bidirectional: ${layer.describe()} is already built; wrap a new layer, which the wrapper builds with its copy`);
    const mode = options.mergeMode ?? 'concat';
    if (!MERGE_MODES.includes(mode)) throw new TypeError(`Bidirectional: mergeMode must be one of ${MERGE_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
    this.mergeMode = mode;
    this.forward = layer;
    this.backward = layer.withOptions({ goBackwards: !layer.options.goBackwards });
  }

  /** The sequence, then optionally both directions' initial states (the forward one first). */
  override get inputArity(): readonly [number, number] {
    return [1, 1 + 2 * this.forward.stateCount];
  }

  override get outputCount(): number {
    return this.forward.outputCount === 1 ? 1 : 1 + 2 * this.forward.stateCount;
  }

  protected override outputNames(): string[] {
    return this.outputCount === 1 ? ['output'] : ['output', 'the forward state', 'the backward state'];
  }

  override get outputShapes(): readonly (readonly number[])[] {
    return [this.outputShape, ...(this.outputCount === 1 ? [] : Array.from({ length: 2 * this.forward.stateCount }, () => [this.forward.units]))];
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    return this.buildDirections([inputShape], ctx);
  }

  protected override buildManyLayer(shapes: readonly (readonly number[])[], ctx: BuildContext): readonly number[] {
    const parts = this.forward.stateCount;
    if (shapes.length !== 1 + 2 * parts) throw new Error(`${this.describe()}: takes an initial state for each direction, ${2 * parts} tensors after the sequence, got ${shapes.length - 1}`);
    return this.buildDirections(shapes, ctx);
  }

  /** Builds both directions, each with its part of the initial state's shapes; the merged output's shape. */
  private buildDirections(shapes: readonly (readonly number[])[], ctx: BuildContext): readonly number[] {
    const name = this.name!;
    // Each direction's own name and seed, so their weights differ and are saved apart.
    this.forward.name ??= `${name}_forward`;
    this.backward.name ??= `${name}_backward`;
    const [x, states] = [shapes[0]!, shapes.slice(1)];
    const half = states.length / 2;
    const out = this.forward.buildInputs([x, ...states.slice(0, half)], { name: this.forward.name, seed: deriveSeed(ctx.seed, 0) });
    this.backward.buildInputs([x, ...states.slice(half)], { name: this.backward.name, seed: deriveSeed(ctx.seed, 1) });
    if (this.mergeMode !== 'concat') return out;
    return [...out.slice(0, -1), 2 * out[out.length - 1]!];
  }

  /** Sequences of other lengths, as its directions take them. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    return this.outputShapeForInputs([inputShape]);
  }

  protected override outputShapeForInputs(shapes: readonly (readonly number[])[]): readonly number[] | undefined {
    try {
      // Built directions only check the shapes (and note another length): the context goes unused.
      return this.buildDirections(shapes, { name: this.name!, seed: 0 });
    } catch {
      return undefined;
    }
  }

  protected callLayer(x: Variable, options: ApplyOptions): Variable {
    return this.run([x], { ...(options.training === undefined ? {} : { training: options.training }), masks: [options.mask] })[0]!;
  }

  protected override callManyLayer(xs: readonly Variable[], options: MultiApplyOptions): Variable {
    return this.run(xs, options)[0]!;
  }

  /** The merged output, then (with returnState) the forward state and the backward state. */
  override callOutputs(xs: readonly Variable[], options: MultiApplyOptions = {}): Variable[] {
    return this.run(xs, options);
  }

  /** The output's mask (see `computeMask`); initial states' masks do not count, and states have none. */
  override computeMaskInputs(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): Variable | undefined {
    return this.computeMask(xs[0]!, masks[0]);
  }

  override computeOutputMasks(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): (Variable | undefined)[] {
    return [this.computeMaskInputs(xs, masks), ...Array.from({ length: this.outputCount - 1 }, () => undefined)];
  }

  private run(xs: readonly Variable[], options: MultiApplyOptions): Variable[] {
    const [x, states] = [xs[0]!, xs.slice(1)];
    const half = states.length / 2;
    const direction = (layer: Recurrent, initial: readonly Variable[]) => layer.callOutputs([x, ...initial], { ...options, masks: [options.masks?.[0]] });
    const [f, ...forwardState] = direction(this.forward, states.slice(0, half));
    const [backwardOut, ...backwardState] = direction(this.backward, states.slice(half));
    return [this.merge(f!, backwardOut!), ...forwardState, ...backwardState];
  }

  private merge(f: Variable, backwardOut: Variable): Variable {
    let b = backwardOut;
    if (this.forward.options.returnSequences) {
      // The backward layer's outputs come from the last step first: put them in step order.
      const steps = b.shape[1]!;
      b = T.concat([...Array(steps).keys()].reverse().map((t) => T.slice(b, null, [t, t + 1])), 1);
    }
    switch (this.mergeMode) {
      case 'concat': return T.concat([f, b], -1);
      case 'sum': return T.add(f, b);
      case 'mul': return T.mul(f, b);
      case 'ave': return T.mul(T.add(f, b), 0.5);
    }
  }

  /** The steps' mask goes on with `returnSequences` (in the sequence's order), else none. */
  override computeMask(_x: Variable, mask: Variable | undefined): Variable | undefined {
    return mask && this.forward.options.returnSequences ? mask : undefined;
  }

  override parameters(): SharedVariable[] {
    return [...this.forward.parameters(), ...this.backward.parameters()];
  }

  getConfig(): Record<string, unknown> {
    const { name: _name, ...config } = this.forward.getConfig();
    const layer: LayerConfig = { className: this.forward.className, config };
    return { layer, mergeMode: this.mergeMode, ...(this.name === undefined ? {} : { name: this.name }) };
  }
}
