/**
 * A transformer decoder block (Vaswani et al.; PyTorch's `nn.TransformerDecoderLayer`,
 * Keras-NLP's `TransformerDecoder`): causal self-attention over the target, cross-attention
 * from the target to the encoder's output (the memory), and a two-layer feed-forward
 * network, each wrapped in a residual connection and a layer normalization. It takes two
 * inputs, so it is applied in a FunctionalModel: `decoder.apply([target, memory])`.
 */
import { T, type SharedVariable, type Variable } from '@symgrad/core';
import { deriveSeed } from '../random-stream.js';
import { MultiHeadAttention } from './attention.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { formatDims, Layer, type BuildContext, type MultiApplyOptions } from './layer.js';
import { LayerNormalization } from './normalization.js';
import { headKeyDim, TransformerBlock, type TransformerEncoderOptions } from './transformer.js';

/** The options of a TransformerDecoder: the encoder's, but its self-attention is causal unless `causal: false`. */
export interface TransformerDecoderOptions extends TransformerEncoderOptions {
  /** Each target step attends only to itself and earlier steps in self-attention (what lets a decoder be trained on whole sequences); true by default. */
  readonly causal?: boolean;
}

/**
 * The block's sublayers, named `<name>_self_attention`, `<name>_self_attention_norm`,
 * `<name>_cross_attention`, `<name>_cross_attention_norm`, `<name>_ffn_1`, `<name>_ffn_2`,
 * `<name>_ffn_norm`.
 */
interface DecoderParts {
  readonly selfAttention: MultiHeadAttention;
  readonly selfAttentionNorm: LayerNormalization;
  readonly crossAttention: MultiHeadAttention;
  readonly crossAttentionNorm: LayerNormalization;
  readonly hidden: Dense;
  readonly output: Dense;
  readonly outputNorm: LayerNormalization;
  readonly dropouts: readonly [Dropout, Dropout, Dropout] | undefined;
}

/**
 * One decoder block over a target [batch, steps, features] and a memory [batch,
 * memorySteps, memoryFeatures] → the target's shape: y = norm(x + self(x)), z = norm(y +
 * cross(y, memory)), then norm(z + W₂·act(W₁·z)), with dropout on each sublayer's output
 * (`normFirst`: x + self(norm(x)) and so on, the memory itself not normalized, as PyTorch).
 * The target's mask hides its padded steps from self-attention and passes on; the memory's
 * hides its padded steps from cross-attention.
 *
 * @example
 * ```ts
 * const source = new Input([40], { dtype: 'int32' });
 * const target = new Input([20], { dtype: 'int32' });
 * const memory = new TransformerEncoder(4, 128).apply(new Embedding(5001, 64, { maskZero: true }).apply(source));
 * const h = new TransformerDecoder(4, 128).apply([new Embedding(5001, 64, { maskZero: true }).apply(target), memory]);
 * const logits = new Dense(5001).apply(h);                  // [batch, 20, 5001]: the next token at each step
 * const model = new FunctionalModel({ inputs: [source, target], outputs: logits }, { seed: 1 });
 * ```
 */
export class TransformerDecoder extends TransformerBlock {
  readonly className = 'TransformerDecoder';
  declare readonly options: TransformerDecoderOptions;
  protected readonly causalByDefault = true;
  private parts: DecoderParts | undefined;

  constructor(numHeads: number, ffDim: number, options: TransformerDecoderOptions = {}) {
    super('TransformerDecoder', numHeads, ffDim, options);
  }

  /** The target and the memory. */
  override get inputArity(): readonly [number, number] {
    return [2, 2];
  }

  /** The sublayers (after build). */
  get layers(): DecoderParts {
    if (!this.parts) throw new Error(`${this.describe()} is not built yet, so it has no sublayers`);
    return this.parts;
  }

  protected buildLayer(inputShape: readonly number[]): readonly number[] {
    throw new Error(`${this.describe()} reads a target and a memory, got one input of per-example shape ${formatDims(inputShape)}: apply it to [target, memory] in a FunctionalModel`);
  }

  protected override buildManyLayer(shapes: readonly (readonly number[])[], ctx: BuildContext): readonly number[] {
    const [target, memory] = shapes as [readonly number[], readonly number[]];
    const [steps, features] = this.sequenceShape(target);
    this.sequenceShape(memory);
    const keyDim = headKeyDim(this, features, this.numHeads, this.options.keyDim);
    const o = this.options;
    const seed = o.seed ?? ctx.seed;
    const rate = o.dropout ?? 0;
    const name = this.name!;
    const norm = (part: string) => new LayerNormalization({ epsilon: o.epsilon ?? 1e-5, name: `${name}_${part}` });
    const parts: DecoderParts = {
      selfAttention: new MultiHeadAttention(this.numHeads, keyDim, { dropout: rate, causal: o.causal ?? true, name: `${name}_self_attention` }),
      selfAttentionNorm: norm('self_attention_norm'),
      crossAttention: new MultiHeadAttention(this.numHeads, keyDim, { dropout: rate, name: `${name}_cross_attention` }),
      crossAttentionNorm: norm('cross_attention_norm'),
      hidden: new Dense(this.ffDim, { activation: o.activation ?? 'relu', name: `${name}_ffn_1` }),
      output: new Dense(features, { name: `${name}_ffn_2` }),
      outputNorm: norm('ffn_norm'),
      dropouts: rate > 0
        ? [new Dropout(rate, { name: `${name}_self_attention_dropout` }), new Dropout(rate, { name: `${name}_cross_attention_dropout` }), new Dropout(rate, { name: `${name}_ffn_dropout` })]
        : undefined,
    };
    const built = (l: Layer, i: number) => ({ name: l.name!, seed: deriveSeed(seed, i) });
    parts.selfAttention.build(target, built(parts.selfAttention, 0));
    parts.selfAttentionNorm.build(target, built(parts.selfAttentionNorm, 1));
    parts.crossAttention.buildInputs([target, memory], built(parts.crossAttention, 2));
    parts.crossAttentionNorm.build(target, built(parts.crossAttentionNorm, 3));
    parts.hidden.build(target, built(parts.hidden, 4));
    parts.output.build([steps, this.ffDim], built(parts.output, 5));
    parts.outputNorm.build(target, built(parts.outputNorm, 6));
    parts.dropouts?.forEach((d, i) => d.build(target, built(d, 7 + i)));
    this.parts = parts;
    return [...target];
  }

  /** A target and a memory of other lengths: every sublayer's weights fit any steps of the built features. */
  protected override outputShapeForInputs(shapes: readonly (readonly number[])[]): readonly number[] | undefined {
    const built = this.inputShapes;
    return shapes.length === 2 && shapes.every((s, i) => s.length === 2 && s[1] === built[i]![1]) ? [...shapes[0]!] : undefined;
  }

  protected callLayer(): Variable {
    throw new Error(`${this.describe()} reads a target and a memory: apply it to [target, memory] in a FunctionalModel, or use callInputs`);
  }

  protected override callManyLayer(xs: readonly Variable[], options: MultiApplyOptions): Variable {
    const [x, memory] = xs as [Variable, Variable];
    const [targetMask, memoryMask] = [options.masks?.[0], options.masks?.[1]];
    const p = this.layers;
    const training = { training: options.training === true };
    const drop = (i: 0 | 1 | 2, v: Variable) => (p.dropouts ? p.dropouts[i].call(v, training) : v);
    const self = (v: Variable) => drop(0, p.selfAttention.call(v, { ...training, ...(targetMask ? { mask: targetMask } : {}) }));
    const cross = (v: Variable) => drop(1, p.crossAttention.callInputs([v, memory], { ...training, masks: [targetMask, memoryMask] }));
    const feed = (v: Variable) => drop(2, p.output.call(p.hidden.call(v)));
    if (this.options.normFirst) {
      const y = T.add(x, self(p.selfAttentionNorm.call(x)));
      const z = T.add(y, cross(p.crossAttentionNorm.call(y)));
      return T.add(z, feed(p.outputNorm.call(z)));
    }
    const y = p.selfAttentionNorm.call(T.add(x, self(x)));
    const z = p.crossAttentionNorm.call(T.add(y, cross(y)));
    return p.outputNorm.call(T.add(z, feed(z)));
  }

  /** The output keeps the target's mask. */
  override computeMaskInputs(_xs: readonly Variable[], masks: readonly (Variable | undefined)[]): Variable | undefined {
    return masks[0];
  }

  override parameters(): SharedVariable[] {
    if (!this.parts) return [];
    const p = this.parts;
    return [p.selfAttention, p.selfAttentionNorm, p.crossAttention, p.crossAttentionNorm, p.hidden, p.output, p.outputNorm].flatMap((l) => l.parameters());
  }
}
