/**
 * Keras's Bidirectional wrapper: a recurrent layer reads the sequence forwards, a copy of it
 * (its own weights) backwards, and their outputs are merged.
 */
import { T, type SharedVariable, type Variable } from '@symgrad/core';
import { deriveSeed } from '../random-stream.js';
import { Layer, type ApplyOptions, type BuildContext, type LayerConfig } from './layer.js';
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
 * `<name>_backward/…`. A mask (an Embedding's `maskZero`) reaches both directions.
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
    if (layer.options.returnState) throw new Error(`Bidirectional: ${layer.describe()} has returnState, which Bidirectional does not give; wrap it without returnState`);
    const mode = options.mergeMode ?? 'concat';
    if (!MERGE_MODES.includes(mode)) throw new TypeError(`Bidirectional: mergeMode must be one of ${MERGE_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
    this.mergeMode = mode;
    this.forward = layer;
    this.backward = layer.withOptions({ goBackwards: !layer.options.goBackwards });
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    const name = this.name!;
    // Each direction's own name and seed, so their weights differ and are saved apart.
    this.forward.name ??= `${name}_forward`;
    this.backward.name ??= `${name}_backward`;
    const out = this.forward.build(inputShape, { name: this.forward.name, seed: deriveSeed(ctx.seed, 0) });
    this.backward.build(inputShape, { name: this.backward.name, seed: deriveSeed(ctx.seed, 1) });
    if (this.mergeMode !== 'concat') return out;
    return [...out.slice(0, -1), 2 * out[out.length - 1]!];
  }

  protected callLayer(x: Variable, options: ApplyOptions): Variable {
    const f = this.forward.call(x, options);
    let b = this.backward.call(x, options);
    if (this.forward.options.returnSequences) {
      // The backward layer's outputs come from the last step first: put them in step order.
      const steps = this.inputShape[0]!;
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
