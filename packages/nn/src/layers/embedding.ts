/**
 * The lookup layer of token models: each int32 id picks a row of a trainable table.
 */
import { shared, T, type SharedVariable, type Variable } from '@symgrad/core';
import { deriveSeed } from '../random-stream.js';
import { resolveInitializer, type Initializer } from './dense.js';
import { formatDims, Layer, type ApplyOptions, type BuildContext } from './layer.js';

/** The options of an Embedding layer. */
export interface EmbeddingOptions {
  /** 'uniform' (in [−0.05, 0.05), as Keras) by default. */
  readonly embeddingsInitializer?: Initializer;
  /**
   * Id 0 is padding (Keras's `mask_zero`): the layer gives the layers after it a mask of the
   * other ids, which LSTM, GRU, SimpleRNN and the global 1-D poolings use to skip padded steps.
   * Real ids then start at 1, so inputDim is the vocabulary's size plus one. False by default.
   */
  readonly maskZero?: boolean;
  /** Seed of the initializer; derived from the model's seed and the layer's position when omitted. */
  readonly seed?: number;
  readonly name?: string;
}

/**
 * Maps int32 ids in [0, inputDim) to rows of a trainable table `<layer>/embeddings` of shape
 * [inputDim, outputDim]: a batch of per-example shape [length] becomes [batch, length,
 * outputDim]. It is `T.take` of the table, so its gradient adds each row's gradients back at
 * the ids (repeated ids sum) without a one-hot matrix. With `maskZero`, id 0 marks padding
 * for the recurrent and averaging layers after it. An id outside [−inputDim, inputDim)
 * gives a row of NaN (a negative id counts from the end, as in `T.take`). The model's inputs
 * are then int32: give the Trainer int32 `x`.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Embedding(10000, 32),   // ids [batch, 20] → [batch, 20, 32]
 *   new Flatten(),
 *   new Dense(2),
 * ], { inputShape: [20], seed: 1 });
 * ```
 */
export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly options: EmbeddingOptions;
  private table: SharedVariable | undefined;

  constructor(inputDim: number, outputDim: number, options: EmbeddingOptions = {}) {
    super(options.name);
    if (!Number.isInteger(inputDim) || inputDim <= 0) throw new RangeError(`Embedding: inputDim (the number of ids) must be a positive integer, got ${inputDim}`);
    if (!Number.isInteger(outputDim) || outputDim <= 0) throw new RangeError(`Embedding: outputDim (the width of a row) must be a positive integer, got ${outputDim}`);
    resolveInitializer('Embedding', options.embeddingsInitializer ?? 'uniform');
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.options = { ...options };
  }

  /** The table [inputDim, outputDim] (after build). */
  get embeddings(): SharedVariable {
    if (!this.table) throw new Error(`${this.describe()} is not built yet, so it has no embeddings`);
    return this.table;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    const init = resolveInitializer(this.describe(), this.options.embeddingsInitializer ?? 'uniform');
    this.table = shared(init([this.inputDim, this.outputDim], { seed: deriveSeed(this.options.seed ?? ctx.seed, 0) }), `${this.name}/embeddings`, 'float32');
    return [...inputShape, this.outputDim];
  }

  /** Ids of any shape, one row each. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] {
    return [...inputShape, this.outputDim];
  }

  protected callLayer(ids: Variable, _options: ApplyOptions): Variable {
    this.requireBatch(ids);
    if (ids.dtype !== 'int32') {
      throw new TypeError(`${this.describe()}: expects int32 ids of per-example shape ${formatDims(this.inputShape)}, got ${ids.describe()}: give the model int32 inputs (NDArray.from(ids, 'int32'))`);
    }
    return T.take(this.table!, ids);
  }

  /** With `maskZero`, 1 where an id is not 0, as float32 of the ids' shape; else none. */
  override computeMask(ids: Variable, mask: Variable | undefined): Variable | undefined {
    if (mask !== undefined) super.computeMask(ids, mask);
    return this.options.maskZero ? T.cast(T.ne(ids, 0), 'float32') : undefined;
  }

  override parameters(): SharedVariable[] {
    return this.table ? [this.table] : [];
  }

  getConfig(): Record<string, unknown> {
    const init = this.options.embeddingsInitializer;
    return {
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      ...(typeof init === 'string' ? { embeddingsInitializer: init } : {}),
      ...(this.options.maskZero ? { maskZero: true } : {}),
      ...(this.options.seed === undefined ? {} : { seed: this.options.seed }),
      ...(this.name === undefined ? {} : { name: this.name }),
    };
  }
}
