/**
 * Learned position embeddings: what tells a transformer's attention, which by itself ignores
 * order, where each step is.
 */
import { shared, T, type SharedVariable, type Variable } from '@symgrad/core';
import { deriveSeed } from '../random-stream.js';
import { resolveInitializer, type Initializer } from './dense.js';
import { Layer, type ApplyOptions, type BuildContext } from './layer.js';

/** The options of a PositionEmbedding layer. */
export interface PositionEmbeddingOptions {
  /** The table's; 'glorotUniform' by default (as Keras-NLP). */
  readonly initializer?: Initializer;
  /** Seed of the initializer; derived from the model's seed and the layer's position when omitted. */
  readonly seed?: number;
  readonly name?: string;
}

/**
 * Adds a learned vector per position to sequences [batch, steps, features]: x + P with P
 * `<name>/embeddings` [steps, features] (Keras-NLP's `PositionEmbedding`, added to its input
 * as its `TokenAndPositionEmbedding` does). A mask passes through.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Embedding(5001, 64, { maskZero: true }), new PositionEmbedding(), new TransformerEncoder(4, 128),
 *   new GlobalAveragePooling1D(), new Dense(2),
 * ], { inputShape: [40], seed: 1 });
 * ```
 */
export class PositionEmbedding extends Layer {
  readonly className = 'PositionEmbedding';
  protected override readonly passesMask = true;
  readonly options: PositionEmbeddingOptions;
  private table: SharedVariable | undefined;

  constructor(options: PositionEmbeddingOptions = {}) {
    super(options.name);
    resolveInitializer('PositionEmbedding', options.initializer ?? 'glorotUniform');
    this.options = { ...options };
  }

  /** The position table [steps, features] (after build). */
  get embeddings(): SharedVariable {
    if (!this.table) throw new Error(`${this.describe()} is not built yet, so it has no embeddings`);
    return this.table;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    this.sequenceShape(inputShape);
    const init = resolveInitializer(this.describe(), this.options.initializer ?? 'glorotUniform');
    this.table = shared(init([...inputShape], { seed: deriveSeed(this.options.seed ?? ctx.seed, 0) }), `${this.name}/embeddings`, 'float32');
    return [...inputShape];
  }

  /** Shorter sequences of the built features take the table's first positions (Keras's `sequence_length` is the longest). */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    const [steps, features] = this.inputShape as [number, number];
    if (inputShape.length !== 2 || inputShape[1] !== features) return undefined;
    this.checkSteps(inputShape[0]!, steps);
    return [...inputShape];
  }

  protected callLayer(x: Variable, _options: ApplyOptions): Variable {
    const [steps] = this.sequenceShapeOf(x);
    const built = this.inputShape[0]!;
    this.checkSteps(steps, built);
    const table = steps === built ? this.embeddings : T.slice(this.embeddings, [0, steps]);
    return T.add(x, x.dtype === 'float64' ? T.cast(table, 'float64') : table);
  }

  private checkSteps(steps: number, built: number): void {
    if (steps > built) throw new Error(`${this.describe()} has positions for ${built} steps, not ${steps}: build it for the longest sequences`);
  }

  override parameters(): SharedVariable[] {
    return this.table ? [this.table] : [];
  }

  getConfig(): Record<string, unknown> {
    const o = this.options;
    return {
      ...(typeof o.initializer === 'string' ? { initializer: o.initializer } : {}),
      ...(o.seed === undefined ? {} : { seed: o.seed }),
      ...(this.name === undefined ? {} : { name: this.name }),
    };
  }
}
