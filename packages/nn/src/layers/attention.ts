/**
 * Multi-head self-attention (Vaswani et al.) with Keras's weights: each step of a sequence
 * attends to every step (or, causal, to the steps up to it) through `numHeads` heads of
 * scaled dot products. The heads are batched products over [batch, heads] and one softmax,
 * so every backend runs them with its own matmul.
 */
import { constant, NDArray, shared, T, type SharedVariable, type Variable } from '@symgrad/core';
import { deriveSeed } from '../random-stream.js';
import { resolveInitializer, type Initializer } from './dense.js';
import { checkDropoutRate, dropoutMask } from './dropout.js';
import { formatDims, Layer, registerRandomState, type ApplyOptions, type BuildContext } from './layer.js';

/** The options of a MultiHeadAttention layer. */
export interface MultiHeadAttentionOptions {
  /** Size of each head's values; `keyDim` by default. */
  readonly valueDim?: number;
  /** In training, the fraction of attention weights dropped (inverted dropout); 0 by default. */
  readonly dropout?: number;
  /** Each step attends only to itself and the steps before it (a decoder's self-attention); false by default. */
  readonly causal?: boolean;
  /** Adds biases to the projections; true by default. */
  readonly useBias?: boolean;
  /** The projections' kernels'; 'glorotUniform' by default (as Keras). */
  readonly kernelInitializer?: Initializer;
  /** 'zeros' by default. */
  readonly biasInitializer?: Initializer;
  /** Seed of the initializers and the dropout masks; derived from the model's seed and the layer's position when omitted. */
  readonly seed?: number;
  readonly name?: string;
}

/** The parameters: query, key and value kernels [features, heads, dim], the output kernel [heads, valueDim, features], and their biases. */
interface AttentionWeights {
  readonly query: SharedVariable;
  readonly key: SharedVariable;
  readonly value: SharedVariable;
  readonly output: SharedVariable;
  readonly biases: { readonly query: SharedVariable; readonly key: SharedVariable; readonly value: SharedVariable; readonly output: SharedVariable } | undefined;
}

/** The score of a masked pair (Keras's large negative): its weight underflows to exactly 0. */
const MASKED = -1e9;

/**
 * Self-attention over sequences [batch, steps, features] → [batch, steps, features]: per head
 * h, softmax(Q_h·K_hᵀ / √keyDim)·V_h with Q, K, V projections of the input, then the heads'
 * outputs projected back to the features (Keras's `MultiHeadAttention` called with the same
 * query, key and value). With an Embedding's `maskZero` mask, padded steps receive no
 * attention, and the mask passes on. Parameters `<name>/query/kernel` [features, heads,
 * keyDim], `<name>/key/kernel`, `<name>/value/kernel` [features, heads, valueDim],
 * `<name>/attention_output/kernel` [heads, valueDim, features] and their biases.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Embedding(5001, 64, { maskZero: true }),
 *   new MultiHeadAttention(4, 16),          // [batch, 40, 64] → [batch, 40, 64]
 *   new LayerNormalization(),
 *   new GlobalAveragePooling1D(),           // the mean over the real steps
 *   new Dense(2),
 * ], { inputShape: [40], seed: 1 });
 * ```
 */
export class MultiHeadAttention extends Layer {
  readonly className = 'MultiHeadAttention';
  protected override readonly passesMask = true;
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly options: MultiHeadAttentionOptions;
  private w: AttentionWeights | undefined;
  private rng: SharedVariable | undefined;

  constructor(numHeads: number, keyDim: number, options: MultiHeadAttentionOptions = {}) {
    super(options.name);
    const positive = (what: string, v: unknown): number => {
      if (!Number.isInteger(v) || (v as number) <= 0) throw new RangeError(`MultiHeadAttention: ${what} must be a positive integer, got ${JSON.stringify(v)}`);
      return v as number;
    };
    this.numHeads = positive('numHeads', numHeads);
    this.keyDim = positive('keyDim', keyDim);
    this.valueDim = positive('valueDim', options.valueDim ?? keyDim);
    checkDropoutRate('MultiHeadAttention', 'dropout', options.dropout ?? 0);
    for (const init of [options.kernelInitializer, options.biasInitializer]) if (init !== undefined) resolveInitializer('MultiHeadAttention', init);
    this.options = { ...options };
  }

  /** The parameters by role (after build). */
  get weights(): AttentionWeights {
    if (!this.w) throw new Error(`${this.describe()} is not built yet, so it has no weights`);
    return this.w;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    const [, features] = this.sequenceShape(inputShape);
    const [h, k, v] = [this.numHeads, this.keyDim, this.valueDim];
    const seed = this.options.seed ?? ctx.seed;
    const kernelInit = resolveInitializer(this.describe(), this.options.kernelInitializer ?? 'glorotUniform');
    const biasInit = resolveInitializer(this.describe(), this.options.biasInitializer ?? 'zeros');
    const param = (part: string, what: 'kernel' | 'bias', shape: number[], n: number) =>
      shared((what === 'kernel' ? kernelInit : biasInit)(shape, { seed: deriveSeed(seed, n) }), `${this.name}/${part}/${what}`, 'float32');
    const useBias = this.options.useBias ?? true;
    this.w = {
      query: param('query', 'kernel', [features, h, k], 0),
      key: param('key', 'kernel', [features, h, k], 1),
      value: param('value', 'kernel', [features, h, v], 2),
      output: param('attention_output', 'kernel', [h, v, features], 3),
      biases: useBias
        ? { query: param('query', 'bias', [h, k], 4), key: param('key', 'bias', [h, k], 5), value: param('value', 'bias', [h, v], 6), output: param('attention_output', 'bias', [features], 7) }
        : undefined,
    };
    if ((this.options.dropout ?? 0) > 0) this.rng = T.random.state(deriveSeed(seed, 8), `${this.name}/rng`);
    return [...inputShape];
  }

  protected callLayer(x: Variable, options: ApplyOptions): Variable {
    this.requireBatch(x);
    const [steps, features] = this.inputShape as [number, number];
    if (x.shape.slice(1).some((d, i) => d !== null && d !== this.inputShape[i])) {
      throw new Error(`${this.describe()}: expected a batch of per-example shape ${formatDims(this.inputShape)}, got ${x.describe()}`);
    }
    if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${this.describe()}: expects float inputs, got ${x.describe()}`);
    const [h, k, v] = [this.numHeads, this.keyDim, this.valueDim];
    const w = this.weights;
    // float64 inputs compute in float64 (a gradient check, say): the float32 parameters are cast.
    const like = (p: SharedVariable): Variable => (x.dtype === 'float64' ? T.cast(p, 'float64') : p);
    const rows = T.reshape(x, [-1, features]);
    // [batch·steps, features] · [features, heads·dim] → [batch, heads, steps, dim].
    const project = (kernel: SharedVariable, bias: SharedVariable | undefined, dim: number): Variable => {
      let y = T.dot(rows, T.reshape(like(kernel), [features, h * dim]));
      if (bias) y = T.add(y, T.reshape(like(bias), [h * dim]));
      return T.transpose(T.reshape(y, [-1, steps, h, dim]), [0, 2, 1, 3]);
    };
    const q = project(w.query, w.biases?.query, k);
    const key = project(w.key, w.biases?.key, k);
    const value = project(w.value, w.biases?.value, v);
    let scores = T.mul(T.matmul(q, key, { transB: true }), 1 / Math.sqrt(k));
    const visible = this.visiblePairs(x, steps, options.mask);
    if (visible) scores = T.where(visible, scores, MASKED);
    let weights = T.softmax(scores, -1);
    const rate = this.options.dropout ?? 0;
    if (options.training === true && this.rng && rate > 0) {
      const { values, next } = T.random.uniform(this.rng, weights, x.dtype === 'float64' ? 'float64' : 'float32');
      registerRandomState(next, this.rng, this.describe());
      weights = T.mul(weights, dropoutMask(values, rate));
    }
    // [batch, heads, steps, valueDim] → [batch·steps, heads·valueDim] · [heads·valueDim, features].
    const heads = T.reshape(T.transpose(T.matmul(weights, value), [0, 2, 1, 3]), [-1, h * v]);
    let out = T.dot(heads, T.reshape(like(w.output), [h * v, features]));
    if (w.biases) out = T.add(out, like(w.biases.output));
    return T.reshape(out, [-1, steps, features]);
  }

  /**
   * Which pairs of [batch, heads, queries, keys] count, or undefined for all: not the padded
   * keys (a mask [batch, steps]) and, causal, not the later steps. The others' scores are
   * replaced (not offset) by a large negative, so their weights are exactly 0, and a query
   * that sees no key at all averages the values with a zero gradient to its scores.
   */
  private visiblePairs(x: Variable, steps: number, mask: Variable | undefined): Variable | undefined {
    // 1 where a pair counts, 0 where not; their product is both conditions.
    const parts: Variable[] = [];
    if (mask) parts.push(T.reshape(this.stepMask(mask, x), [-1, 1, 1, steps]));
    if (this.options.causal) {
      const earlier = new NDArray(x.dtype, [1, 1, steps, steps]);
      for (let i = 0; i < steps; i++) for (let j = 0; j <= i; j++) earlier.data[i * steps + j] = 1;
      parts.push(constant(earlier));
    }
    return parts.length === 0 ? undefined : T.gt(parts.reduce((a, b) => T.mul(a, b)), 0.5);
  }

  override parameters(): SharedVariable[] {
    if (!this.w) return [];
    const b = this.w.biases;
    return [this.w.query, ...(b ? [b.query] : []), this.w.key, ...(b ? [b.key] : []), this.w.value, ...(b ? [b.value] : []), this.w.output, ...(b ? [b.output] : [])];
  }

  /** The dropout masks' Philox state `<name>/rng` (with dropout, after build). */
  get dropoutState(): SharedVariable | undefined {
    return this.rng;
  }

  getConfig(): Record<string, unknown> {
    const o = this.options;
    return {
      numHeads: this.numHeads, keyDim: this.keyDim, valueDim: this.valueDim,
      ...(o.dropout ? { dropout: o.dropout } : {}),
      causal: o.causal ?? false,
      useBias: o.useBias ?? true,
      ...(typeof o.kernelInitializer === 'string' ? { kernelInitializer: o.kernelInitializer } : {}),
      ...(typeof o.biasInitializer === 'string' ? { biasInitializer: o.biasInitializer } : {}),
      ...(o.seed === undefined ? {} : { seed: o.seed }),
      ...(this.name === undefined ? {} : { name: this.name }),
    };
  }
}
