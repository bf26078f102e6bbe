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
import { formatDims, Layer, registerRandomState, type ApplyOptions, type BuildContext, type MultiApplyOptions } from './layer.js';

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

  /** One input (self-attention), or query and value, or query, value and key (cross-attention). */
  override get inputArity(): readonly [number, number] {
    return [1, 3];
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    return this.buildProjections(inputShape, inputShape, inputShape, ctx);
  }

  protected override buildManyLayer(shapes: readonly (readonly number[])[], ctx: BuildContext): readonly number[] {
    const [query, value] = shapes as [readonly number[], readonly number[]];
    const key = shapes[2] ?? value;
    const [valueSteps] = this.sequenceShape(value);
    const [keySteps] = this.sequenceShape(key);
    if (keySteps !== valueSteps) throw new Error(`${this.describe()}: the key and the value must have the same steps, got key ${formatDims(key)} and value ${formatDims(value)}`);
    return this.buildProjections(query, key, value, ctx);
  }

  /** The projections for queries, keys and values of per-example shapes [steps, features]; the output has the query's shape. */
  private buildProjections(query: readonly number[], key: readonly number[], value: readonly number[], ctx: BuildContext): readonly number[] {
    const [, features] = this.sequenceShape(query);
    const [, keyFeatures] = this.sequenceShape(key);
    const [, valueFeatures] = this.sequenceShape(value);
    const [h, k, v] = [this.numHeads, this.keyDim, this.valueDim];
    const seed = this.options.seed ?? ctx.seed;
    const kernelInit = resolveInitializer(this.describe(), this.options.kernelInitializer ?? 'glorotUniform');
    const biasInit = resolveInitializer(this.describe(), this.options.biasInitializer ?? 'zeros');
    const param = (part: string, what: 'kernel' | 'bias', shape: number[], n: number) =>
      shared((what === 'kernel' ? kernelInit : biasInit)(shape, { seed: deriveSeed(seed, n) }), `${this.name}/${part}/${what}`, 'float32');
    const useBias = this.options.useBias ?? true;
    this.w = {
      query: param('query', 'kernel', [features, h, k], 0),
      key: param('key', 'kernel', [keyFeatures, h, k], 1),
      value: param('value', 'kernel', [valueFeatures, h, v], 2),
      output: param('attention_output', 'kernel', [h, v, features], 3),
      biases: useBias
        ? { query: param('query', 'bias', [h, k], 4), key: param('key', 'bias', [h, k], 5), value: param('value', 'bias', [h, v], 6), output: param('attention_output', 'bias', [features], 7) }
        : undefined,
    };
    if ((this.options.dropout ?? 0) > 0) this.rng = T.random.state(deriveSeed(seed, 8), `${this.name}/rng`);
    return [...query];
  }

  protected callLayer(x: Variable, options: ApplyOptions): Variable {
    return this.attend([x, x, x], [options.mask, options.mask], options.training === true);
  }

  protected override callManyLayer(xs: readonly Variable[], options: MultiApplyOptions): Variable {
    const [query, value] = xs as [Variable, Variable];
    return this.attend([query, xs[2] ?? value, value], [options.masks?.[0], options.masks?.[2] ?? options.masks?.[1]], options.training === true);
  }

  /** The output's mask is the query's: padded queries stay padded. */
  override computeMaskInputs(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): Variable | undefined {
    return xs.length === 1 ? this.computeMask(xs[0]!, masks[0]) : masks[0];
  }

  /**
   * Attention of `query` to `key` with `value` ([batch, steps, features] each): the key's
   * mask hides padded keys; the query's only passes on.
   */
  private attend([query, key, value]: readonly [Variable, Variable, Variable], [, keyMask]: readonly [Variable | undefined, Variable | undefined], training: boolean): Variable {
    const s = this.inputShapes;
    const expected = [['query', query, s[0]!], ['key', key, s[2] ?? s[1] ?? s[0]!], ['value', value, s[1] ?? s[0]!]] as const;
    // Self-attention has one input; cross-attention's messages say which role is wrong.
    for (const [role, x, shape] of expected.slice(0, s.length === 1 ? 1 : 3)) {
      if (x.ndim !== 3 || (x.shape[2] !== null && x.shape[2] !== shape[1])) {
        throw new Error(`${this.describe()}: expected ${s.length === 1 ? 'a batch' : `the ${role} as a batch`} of per-example shape ${formatDims([null, shape[1]!])} (any steps), got ${x.describe()}`);
      }
      if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${this.describe()}: expects float inputs, got ${x.describe()}${s.length === 1 ? '' : ` as the ${role}`}`);
    }
    // Each batch's own steps; unknown ones (ids given as T.imatrix) are the one length built for.
    const sized = expected.map(([, x, shape]) => [this.stepsOf(x, shape), shape[1]!] as const);
    const [queries, features] = sized[0];
    const keys = sized[1][0];
    if (keys !== sized[2][0]) throw new Error(`${this.describe()}: the key and the value must have the same steps, got key ${key.describe()} and value ${value.describe()}`);
    const [h, k, v] = [this.numHeads, this.keyDim, this.valueDim];
    const w = this.weights;
    // float64 inputs compute in float64 (a gradient check, say): the float32 parameters are cast.
    const like = (p: SharedVariable): Variable => (query.dtype === 'float64' ? T.cast(p, 'float64') : p);
    // [batch·steps, features] · [features, heads·dim] → [batch, heads, steps, dim].
    const project = (x: Variable, shape: readonly number[], kernel: SharedVariable, bias: SharedVariable | undefined, dim: number): Variable => {
      const [steps, inFeatures] = shape as [number, number];
      let y = T.dot(T.reshape(x, [-1, inFeatures]), T.reshape(like(kernel), [inFeatures, h * dim]));
      if (bias) y = T.add(y, T.reshape(like(bias), [h * dim]));
      return T.transpose(T.reshape(y, [-1, steps, h, dim]), [0, 2, 1, 3]);
    };
    const q = project(query, sized[0], w.query, w.biases?.query, k);
    const kk = project(key, sized[1], w.key, w.biases?.key, k);
    const vv = project(value, sized[2], w.value, w.biases?.value, v);
    let scores = T.mul(T.matmul(q, kk, { transB: true }), 1 / Math.sqrt(k));
    const visible = this.visiblePairs(key, queries, keys, keyMask);
    if (visible) scores = T.where(visible, scores, MASKED);
    let weights = T.softmax(scores, -1);
    const rate = this.options.dropout ?? 0;
    if (training && this.rng && rate > 0) {
      const { values, next } = T.random.uniform(this.rng, weights, query.dtype === 'float64' ? 'float64' : 'float32');
      registerRandomState(next, this.rng, this.describe());
      weights = T.mul(weights, dropoutMask(values, rate));
    }
    // [batch, heads, queries, valueDim] → [batch·queries, heads·valueDim] · [heads·valueDim, features].
    const heads = T.reshape(T.transpose(T.matmul(weights, vv), [0, 2, 1, 3]), [-1, h * v]);
    let out = T.dot(heads, T.reshape(like(w.output), [h * v, features]));
    if (w.biases) out = T.add(out, like(w.biases.output));
    return T.reshape(out, [-1, queries, features]);
  }

  /** The steps of a batch: its own where known, else those built for (`built`), while the layer has taken one length only. */
  private stepsOf(x: Variable, built: readonly number[]): number {
    if (x.shape[1] !== null) return x.shape[1]!;
    if (this.builtShapes.length === 1) return built[0]!;
    throw new Error(`${this.describe()}: ${x.describe()} has unknown steps, and the layer takes sequences of several lengths; give its batch static steps (T.tensor('float32', [null, steps, features]))`);
  }

  /** Sequences of other lengths: the projections fit any steps of the built features. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    return inputShape.length === 2 && inputShape[1] === this.inputShape[1] ? [...inputShape] : undefined;
  }

  protected override outputShapeForInputs(shapes: readonly (readonly number[])[]): readonly number[] | undefined {
    const built = this.inputShapes;
    const fits = shapes.every((s, i) => s.length === 2 && s[1] === built[i]![1]);
    const [value, key] = [shapes[1]!, shapes[2] ?? shapes[1]!];
    return fits && key[0] === value[0] ? [...shapes[0]!] : undefined;
  }

  /**
   * Which pairs of [batch, heads, queries, keys] count, or undefined for all: not the padded
   * keys (a mask [batch, keys]) and, causal, not the later steps. The others' scores are
   * replaced (not offset) by a large negative, so their weights are exactly 0, and a query
   * that sees no key at all averages the values with a zero gradient to its scores.
   */
  private visiblePairs(key: Variable, queries: number, keys: number, mask: Variable | undefined): Variable | undefined {
    // 1 where a pair counts, 0 where not; their product is both conditions.
    const parts: Variable[] = [];
    if (mask) parts.push(T.reshape(this.keyMask(mask, key, keys), [-1, 1, 1, keys]));
    if (this.options.causal) {
      const earlier = new NDArray(key.dtype, [1, 1, queries, keys]);
      for (let i = 0; i < queries; i++) for (let j = 0; j <= Math.min(i, keys - 1); j++) earlier.data[i * keys + j] = 1;
      parts.push(constant(earlier));
    }
    return parts.length === 0 ? undefined : T.gt(parts.reduce((a, b) => T.mul(a, b)), 0.5);
  }

  /** The keys' mask [batch, keys] in the keys' dtype; throws, naming the layer, for any other shape. */
  private keyMask(mask: Variable, key: Variable, keys: number): Variable {
    if (mask.ndim !== 2 || (mask.shape[1] !== null && mask.shape[1] !== keys)) {
      throw new Error(`${this.describe()}: the mask of the keys must be [batch, ${keys}] (one value per step), got ${mask.describe()}`);
    }
    const sized = mask.shape[1] === null ? T.reshape(mask, [-1, keys]) : mask;
    return sized.dtype === key.dtype ? sized : T.cast(sized, key.dtype);
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
