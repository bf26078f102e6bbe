/**
 * A transformer encoder block (Vaswani et al.; PyTorch's `nn.TransformerEncoderLayer`,
 * Keras-NLP's `TransformerEncoder`): self-attention and a two-layer feed-forward network,
 * each wrapped in a residual connection and a layer normalization. Its parts are the
 * package's own layers, so it runs and differentiates wherever they do.
 */
import { T, type SharedVariable, type Variable } from '@symgrad/core';
import { deriveSeed } from '../random-stream.js';
import { activation, type ActivationName } from './activation.js';
import { MultiHeadAttention } from './attention.js';
import { Dense } from './dense.js';
import { checkDropoutRate, Dropout } from './dropout.js';
import { Layer, type ApplyOptions, type BuildContext } from './layer.js';
import { LayerNormalization } from './normalization.js';

/** The options of a TransformerEncoder. */
export interface TransformerEncoderOptions {
  /** Each head's key size; features / numHeads by default (which must then divide). */
  readonly keyDim?: number;
  /** In training, the fraction dropped of the attention weights and of each sublayer's output before its residual sum; 0 by default (PyTorch's 0.1 is `dropout: 0.1`). */
  readonly dropout?: number;
  /** The feed-forward network's hidden activation; 'relu' by default. */
  readonly activation?: ActivationName;
  /** Normalize before each sublayer (x + f(norm(x)), "pre-norm") instead of after (norm(x + f(x)), the default, as the paper and PyTorch). */
  readonly normFirst?: boolean;
  /** The layer normalizations' epsilon; 1e-5 by default (PyTorch's). */
  readonly epsilon?: number;
  /** Causal self-attention (each step sees itself and earlier steps): a decoder-only block. False by default. */
  readonly causal?: boolean;
  /** Seed of the initializers and dropout masks; derived from the model's seed and the layer's position when omitted. */
  readonly seed?: number;
  readonly name?: string;
}

/**
 * What the transformer blocks share: heads, the feed-forward width and the options, checked
 * when made, and their configuration. @internal
 */
export abstract class TransformerBlock extends Layer {
  readonly numHeads: number;
  readonly ffDim: number;
  readonly options: TransformerEncoderOptions;
  /** `causal` when the options leave it out. */
  protected abstract readonly causalByDefault: boolean;

  constructor(className: string, numHeads: number, ffDim: number, options: TransformerEncoderOptions) {
    super(options.name);
    checkTransformerOptions(className, numHeads, ffDim, options);
    this.numHeads = numHeads;
    this.ffDim = ffDim;
    this.options = { ...options };
  }

  /** The numbers and options with their defaults filled in. */
  getConfig(): Record<string, unknown> {
    const o = this.options;
    return {
      numHeads: this.numHeads, ffDim: this.ffDim,
      ...(o.keyDim === undefined ? {} : { keyDim: o.keyDim }),
      dropout: o.dropout ?? 0,
      activation: o.activation ?? 'relu',
      normFirst: o.normFirst ?? false,
      epsilon: o.epsilon ?? 1e-5,
      causal: o.causal ?? this.causalByDefault,
      ...(o.seed === undefined ? {} : { seed: o.seed }),
      ...(this.name === undefined ? {} : { name: this.name }),
    };
  }
}

/** Checks the numbers and names a transformer block is given, naming the block's class. @internal */
function checkTransformerOptions(className: string, numHeads: number, ffDim: number, options: TransformerEncoderOptions): void {
  for (const [what, v] of [['numHeads', numHeads], ['ffDim', ffDim], ...(options.keyDim === undefined ? [] : [['keyDim', options.keyDim]])] as const) {
    if (!Number.isInteger(v) || (v as number) <= 0) throw new RangeError(`${className}: ${what} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  checkDropoutRate(className, 'dropout', options.dropout ?? 0);
  if (options.activation !== undefined) {
    try {
      activation(options.activation);
    } catch (err) {
      throw new TypeError(`${className}: activation: ${(err as Error).message}`);
    }
  }
}

/** Each head's key size: the one given, or the features split evenly over the heads. @internal */
export function headKeyDim(block: Layer, features: number, numHeads: number, keyDim: number | undefined): number {
  const k = keyDim ?? features / numHeads;
  if (!Number.isInteger(k)) throw new Error(`${block.describe()}: ${numHeads} heads do not divide ${features} features; give keyDim, each head's key size`);
  return k;
}

/** The block's sublayers, named `<name>_attention`, `<name>_attention_norm`, `<name>_ffn_1`, `<name>_ffn_2`, `<name>_ffn_norm`. */
interface Parts {
  readonly attention: MultiHeadAttention;
  readonly attentionNorm: LayerNormalization;
  readonly hidden: Dense;
  readonly output: Dense;
  readonly outputNorm: LayerNormalization;
  readonly dropouts: readonly [Dropout, Dropout] | undefined;
}

/**
 * One encoder block over sequences [batch, steps, features] → the same shape:
 * y = norm(x + dropout(attention(x))), then norm(y + dropout(W₂·act(W₁·y))) (with
 * `normFirst`, x + dropout(attention(norm(x))) and so on). A mask (an Embedding's
 * `maskZero`) keeps padded steps out of the attention and passes on.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Embedding(5001, 64, { maskZero: true }),
 *   new PositionEmbedding(),
 *   new TransformerEncoder(4, 128, { dropout: 0.1 }),
 *   new TransformerEncoder(4, 128, { dropout: 0.1 }),
 *   new GlobalAveragePooling1D(),
 *   new Dense(2),
 * ], { inputShape: [40], seed: 1 });
 * ```
 */
export class TransformerEncoder extends TransformerBlock {
  readonly className = 'TransformerEncoder';
  protected override readonly passesMask = true;
  protected readonly causalByDefault = false;
  private parts: Parts | undefined;

  constructor(numHeads: number, ffDim: number, options: TransformerEncoderOptions = {}) {
    super('TransformerEncoder', numHeads, ffDim, options);
  }

  /** The sublayers (after build). */
  get layers(): Parts {
    if (!this.parts) throw new Error(`${this.describe()} is not built yet, so it has no sublayers`);
    return this.parts;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    const [, features] = this.sequenceShape(inputShape);
    const keyDim = headKeyDim(this, features, this.numHeads, this.options.keyDim);
    const o = this.options;
    const seed = o.seed ?? ctx.seed;
    const rate = o.dropout ?? 0;
    const name = this.name!;
    const parts: Parts = {
      attention: new MultiHeadAttention(this.numHeads, keyDim, { dropout: rate, causal: o.causal ?? false, name: `${name}_attention` }),
      attentionNorm: new LayerNormalization({ epsilon: o.epsilon ?? 1e-5, name: `${name}_attention_norm` }),
      hidden: new Dense(this.ffDim, { activation: o.activation ?? 'relu', name: `${name}_ffn_1` }),
      output: new Dense(features, { name: `${name}_ffn_2` }),
      outputNorm: new LayerNormalization({ epsilon: o.epsilon ?? 1e-5, name: `${name}_ffn_norm` }),
      dropouts: rate > 0 ? [new Dropout(rate, { name: `${name}_attention_dropout` }), new Dropout(rate, { name: `${name}_ffn_dropout` })] : undefined,
    };
    const sub: Layer[] = [parts.attention, parts.attentionNorm, parts.hidden, parts.output, parts.outputNorm, ...(parts.dropouts ?? [])];
    const shapes = [inputShape, inputShape, inputShape, [inputShape[0]!, this.ffDim], inputShape, inputShape, inputShape];
    sub.forEach((l, i) => l.build(shapes[i]!, { name: l.name!, seed: deriveSeed(seed, i) }));
    this.parts = parts;
    return [...inputShape];
  }

  /** Sequences of other lengths: every sublayer's weights fit any steps of the built features. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    return inputShape.length === 2 && inputShape[1] === this.inputShape[1] ? [...inputShape] : undefined;
  }

  protected callLayer(x: Variable, options: ApplyOptions): Variable {
    const p = this.layers;
    const training = { training: options.training === true };
    const drop = (i: 0 | 1, v: Variable) => (p.dropouts ? p.dropouts[i].call(v, training) : v);
    const attend = (v: Variable) => drop(0, p.attention.call(v, { ...training, ...(options.mask ? { mask: options.mask } : {}) }));
    const feed = (v: Variable) => drop(1, p.output.call(p.hidden.call(v)));
    if (this.options.normFirst) {
      const y = T.add(x, attend(p.attentionNorm.call(x)));
      return T.add(y, feed(p.outputNorm.call(y)));
    }
    const y = p.attentionNorm.call(T.add(x, attend(x)));
    return p.outputNorm.call(T.add(y, feed(y)));
  }

  override parameters(): SharedVariable[] {
    if (!this.parts) return [];
    const p = this.parts;
    return [p.attention, p.attentionNorm, p.hidden, p.output, p.outputNorm].flatMap((l) => l.parameters());
  }

}
