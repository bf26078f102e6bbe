/**
 * Recurrent layers (SimpleRNN, LSTM, GRU) with Keras's weights and equations, unrolled over
 * the static sequence length: the graph holds one cell per time step, all sharing the layer's
 * weights, so autodiff gives backpropagation through time and the compiler fuses each step's
 * gate arithmetic. The input projections of all steps are one product before the loop. With
 * a mask (an Embedding's `maskZero`), a padded step keeps the previous state.
 */
import { NDArray, shared, T, type SharedVariable, type Variable } from '@symgrad/core';
import { deriveSeed } from '../random-stream.js';
import { activation, type ActivationName } from './activation.js';
import { resolveInitializer, type Initializer } from './dense.js';
import { checkDropoutRate, dropoutMask } from './dropout.js';
import { formatDims, Layer, registerRandomState, sameDims, type ApplyOptions, type BuildContext, type MultiApplyOptions } from './layer.js';

/** The options every recurrent layer takes. */
export interface RecurrentOptions {
  /** The cell's output activation; 'tanh' by default. */
  readonly activation?: ActivationName;
  /** Adds biases; true by default. */
  readonly useBias?: boolean;
  /** The input kernel's; 'glorotUniform' by default. */
  readonly kernelInitializer?: Initializer;
  /** The recurrent kernel's; 'orthogonal' by default (as Keras). */
  readonly recurrentInitializer?: Initializer;
  /** 'zeros' by default. */
  readonly biasInitializer?: Initializer;
  /** Return every step's output [batch, timesteps, units] instead of the last [batch, units]; false by default. */
  readonly returnSequences?: boolean;
  /**
   * Also give the final state (h, and c for an LSTM) after the output (Keras's
   * `return_state`): the layer then gives several tensors, so it is applied with `applyAll`
   * in a FunctionalModel. False by default.
   */
  readonly returnState?: boolean;
  /** Read the sequence from its end; the outputs (and their mask) then come in that order (as Keras). False by default. */
  readonly goBackwards?: boolean;
  /**
   * In training, the fraction of input features dropped (inverted dropout), with one mask per
   * sequence, the same at every step (Gal & Ghahramani's variational dropout, as Keras's
   * `dropout`). 0 by default.
   */
  readonly dropout?: number;
  /**
   * In training, the fraction of the previous state's units dropped where the state enters
   * the recurrent product, one mask per sequence for every step (Keras's
   * `recurrentDropout`); the carried state itself is not dropped. 0 by default.
   */
  readonly recurrentDropout?: number;
  /** Seed of the initializers; derived from the model's seed and the layer's position when omitted. */
  readonly seed?: number;
  readonly name?: string;
}

/** The options of a gated layer (LSTM, GRU). */
export interface GatedRecurrentOptions extends RecurrentOptions {
  /** The gates' activation; 'sigmoid' by default. */
  readonly recurrentActivation?: ActivationName;
}

/** The options of an LSTM. */
export interface LSTMOptions extends GatedRecurrentOptions {
  /** Start the forget gate's bias at 1 (Jozefowicz et al.), as Keras; true by default. */
  readonly unitForgetBias?: boolean;
}

/** The options of a GRU. */
export interface GRUOptions extends GatedRecurrentOptions {
  /**
   * Apply the reset gate after the recurrent product (the cuDNN and PyTorch form, Keras's
   * default), with separate input and recurrent biases (bias [2, 3·units]); false gives the
   * original form (reset before the product, bias [3·units]). True by default.
   */
  readonly resetAfter?: boolean;
}

/** One time step's state: the output h and, for an LSTM, the carry c. */
interface CellState {
  readonly h: Variable;
  readonly c?: Variable;
}

/**
 * The base of the recurrent layers (exported for Bidirectional; not part of the package's API): weights `<layer>/kernel` [features, gates·units],
 * `<layer>/recurrent_kernel` [units, gates·units] and `<layer>/bias`, the gates side by side
 * in Keras's order; per-example inputs [timesteps, features]. In a FunctionalModel it also
 * takes an initial state (`apply([x, h0])`, an LSTM `apply([x, h0, c0])`, each [batch,
 * units]) and, with `returnState`, gives its final state after its output.
 */
export abstract class Recurrent extends Layer {
  readonly units: number;
  protected abstract readonly gates: number;
  private w: { kernel: SharedVariable; recurrent: SharedVariable; bias: SharedVariable | undefined } | undefined;
  /** The Philox state of the dropout masks (a layer with dropout only). */
  private rng: SharedVariable | undefined;
  /** The recurrent dropout mask of the sequence being built (scaled by 1 / keep), read by `recurrentInput`. */
  private stateMask: Variable | undefined;

  constructor(units: number, readonly options: RecurrentOptions & { readonly recurrentActivation?: ActivationName }, className: string) {
    super(options.name);
    if (!Number.isInteger(units) || units <= 0) throw new RangeError(`${className}: units must be a positive integer, got ${units}`);
    for (const [key, name] of [['activation', options.activation], ['recurrentActivation', options.recurrentActivation]] as const) {
      try {
        if (name !== undefined) activation(name);
      } catch (err) {
        throw new TypeError(`${className}: ${key}: ${(err as Error).message}`);
      }
    }
    for (const init of [options.kernelInitializer, options.recurrentInitializer, options.biasInitializer]) if (init !== undefined) resolveInitializer(className, init);
    for (const key of ['dropout', 'recurrentDropout'] as const) if (options[key] !== undefined) checkDropoutRate(className, key, options[key]);
    this.units = units;
  }

  /** A new, unbuilt layer of this kind and units with these options changed (and no name): Bidirectional's backward copy. */
  withOptions(changes: Partial<RecurrentOptions>): Recurrent {
    const { name: _name, ...options } = this.options;
    return new (this.constructor as new (units: number, options: RecurrentOptions) => Recurrent)(this.units, { ...options, ...changes });
  }

  /** The parts of the state: h, and for an LSTM also its carry c. */
  protected get stateNames(): readonly string[] {
    return ['h'];
  }

  /** How many tensors the state has: 1 (h), 2 for an LSTM (h, c). */
  get stateCount(): number {
    return this.stateNames.length;
  }

  /** The sequence, then optionally an initial state (each part [batch, units]). */
  override get inputArity(): readonly [number, number] {
    return [1, 1 + this.stateNames.length];
  }

  override get outputCount(): number {
    return this.options.returnState ? 1 + this.stateNames.length : 1;
  }

  protected override outputNames(): string[] {
    return this.options.returnState ? ['output', ...this.stateNames] : ['output'];
  }

  override get outputShapes(): readonly (readonly number[])[] {
    return [this.outputShape, ...(this.options.returnState ? this.stateNames.map(() => [this.units]) : [])];
  }

  /** The input kernel [features, gates·units] (after build). */
  get kernel(): SharedVariable {
    return this.weights().kernel;
  }

  /** The recurrent kernel [units, gates·units] (after build). */
  get recurrentKernel(): SharedVariable {
    return this.weights().recurrent;
  }

  /** The bias (after build; undefined where `useBias` is false). */
  get bias(): SharedVariable | undefined {
    return this.weights().bias;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    if (inputShape.length !== 2) {
      throw new Error(`${this.describe()} expects per-example inputs [timesteps, features], got ${formatDims(inputShape)}`);
    }
    const [steps, features] = inputShape as [number, number];
    const o = this.options;
    const seed = o.seed ?? ctx.seed;
    const width = this.gates * this.units;
    const init = (which: Initializer | undefined, fallback: Initializer) => resolveInitializer(this.describe(), which ?? fallback);
    const kernel = shared(init(o.kernelInitializer, 'glorotUniform')([features, width], { seed: deriveSeed(seed, 0) }), `${this.name}/kernel`, 'float32');
    const recurrent = shared(init(o.recurrentInitializer, 'orthogonal')([this.units, width], { seed: deriveSeed(seed, 1) }), `${this.name}/recurrent_kernel`, 'float32');
    const bias = (o.useBias ?? true)
      ? shared(this.initialBias(init(o.biasInitializer, 'zeros'), deriveSeed(seed, 2)), `${this.name}/bias`, 'float32')
      : undefined;
    this.w = { kernel, recurrent, bias };
    if ((o.dropout ?? 0) > 0 || (o.recurrentDropout ?? 0) > 0) this.rng = T.random.state(deriveSeed(seed, 3), `${this.name}/rng`);
    return o.returnSequences ? [steps, this.units] : [this.units];
  }

  /** The bias's initial value ([gates·units] unless a layer says otherwise). */
  protected initialBias(init: ReturnType<typeof resolveInitializer>, seed: number) {
    return init([this.gates * this.units], { seed });
  }

  /** The bias added to the input projections (all of it, unless the layer keeps a recurrent part). */
  protected inputBias(bias: SharedVariable): Variable {
    return bias;
  }

  /** One step: the next state from the step's input projection `x` [batch, gates·units] and the previous state (none at the first step). */
  protected abstract step(x: Variable, prev: CellState | undefined): CellState;

  /** Gate `g`'s slice [batch, units] of a [batch, gates·units] tensor (or [units] of a bias [gates·units]). */
  protected gate(z: Variable, g: number): Variable {
    const range: [number, number] = [g * this.units, (g + 1) * this.units];
    return z.ndim === 1 ? T.slice(z, range) : T.slice(z, null, range);
  }

  /** The shared int32[4] Philox state of the dropout masks, `<layer>/rng` (a layer with dropout, after build). */
  get dropoutState(): SharedVariable | undefined {
    return this.rng;
  }

  /** The recurrent product h·U [batch, gates·units]. */
  protected recur(h: Variable): Variable {
    return T.dot(this.recurrentInput(h), this.like(h, this.weights().recurrent));
  }

  /** The previous state as the recurrent product reads it: with recurrent dropout in training, masked. */
  protected recurrentInput(h: Variable): Variable {
    return this.stateMask ? T.mul(h, this.stateMask) : h;
  }

  /**
   * In training with dropout, draws the sequence's masks (inverted: kept units scaled by
   * 1 / keep) one after another from the layer's Philox state; `finish` registers the state's
   * update for `randomStateUpdates`. Undefined when nothing is dropped.
   */
  private dropoutDraws(dtype: 'float32' | 'float64', training: boolean): { draw: (like: Variable, rate: number) => Variable | undefined; finish: () => void } | undefined {
    const rng = this.rng;
    if (!training || !rng) return undefined;
    let state: Variable = rng;
    return {
      draw: (like, rate) => {
        if (rate === 0) return undefined;
        const { values, next } = T.random.uniform(state, like, dtype);
        state = next;
        return dropoutMask(values, rate);
      },
      finish: () => registerRandomState(state, rng, this.describe()),
    };
  }

  /** A weight in the dtype of `x`: float64 inputs (a gradient check, say) compute in float64. */
  protected like(x: Variable, w: SharedVariable | Variable): Variable {
    return x.dtype === 'float64' && w.dtype !== 'float64' ? T.cast(w, 'float64') : w;
  }

  /** With an initial state: the sequence's shape, then [units] for each part of the state. */
  protected override buildManyLayer(shapes: readonly (readonly number[])[], ctx: BuildContext): readonly number[] {
    const names = this.stateNames;
    if (shapes.length !== 1 + names.length) {
      throw new Error(`${this.describe()}: an initial state has ${names.length} part${names.length === 1 ? '' : 's'} (${names.join(', ')}), got ${shapes.length - 1}`);
    }
    shapes.slice(1).forEach((shape, i) => {
      if (shape.length !== 1 || shape[0] !== this.units) throw new Error(`${this.describe()}: the initial state's ${names[i]} must have per-example shape [${this.units}], got ${formatDims(shape)}`);
    });
    return this.buildLayer(shapes[0]!, ctx);
  }

  /** Sequences of other lengths: the weights fit any steps of the built features. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    if (inputShape.length !== 2 || inputShape[1] !== this.inputShape[1]) return undefined;
    return this.options.returnSequences ? [inputShape[0]!, this.units] : [this.units];
  }

  protected override outputShapeForInputs(shapes: readonly (readonly number[])[]): readonly number[] | undefined {
    const same = shapes.slice(1).every((s, i) => sameDims(s, this.inputShapes[i + 1]!));
    return same ? this.outputShapeFor(shapes[0]!) : undefined;
  }

  protected callLayer(x: Variable, options: ApplyOptions): Variable {
    return this.run(x, undefined, options).output;
  }

  protected override callManyLayer(xs: readonly Variable[], options: MultiApplyOptions): Variable {
    return this.runInputs(xs, options).output;
  }

  /** The output and, with `returnState`, the final state's parts. */
  override callOutputs(xs: readonly Variable[], options: MultiApplyOptions = {}): Variable[] {
    if (!this.options.returnState) return super.callOutputs(xs, options);
    const { output, state } = this.runInputs(xs, options);
    return [output, state.h, ...(state.c ? [state.c] : [])];
  }

  /** The output's mask (see `computeMask`); an initial state's masks, if any, do not count, and the final state has none. */
  override computeMaskInputs(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): Variable | undefined {
    return this.computeMask(xs[0]!, masks[0]);
  }

  override computeOutputMasks(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): (Variable | undefined)[] {
    return [this.computeMaskInputs(xs, masks), ...Array.from({ length: this.outputCount - 1 }, () => undefined)];
  }

  /** A call of the functional model's form: the sequence, then the initial state's parts, if any. */
  private runInputs(xs: readonly Variable[], options: MultiApplyOptions): { output: Variable; state: CellState } {
    const [x] = xs as [Variable];
    const mask = options.masks?.[0];
    const run = { ...(options.training === undefined ? {} : { training: options.training }), ...(mask ? { mask } : {}) };
    if (xs.length === 1) return this.run(x, undefined, run);
    const names = this.stateNames;
    if (xs.length !== 1 + names.length) throw new Error(`${this.describe()}: an initial state has ${names.length} part${names.length === 1 ? '' : 's'} (${names.join(', ')}), got ${xs.length - 1}`);
    const parts = xs.slice(1).map((v, i) => {
      if (v.ndim !== 2 || (v.shape[1] !== null && v.shape[1] !== this.units)) throw new Error(`${this.describe()}: the initial state's ${names[i]} must be [batch, ${this.units}], got ${v.describe()}`);
      if (v.dtype !== 'float32' && v.dtype !== 'float64') throw new TypeError(`${this.describe()}: the initial state's ${names[i]} must be floats, got ${v.describe()}`);
      return this.like(x, v);
    });
    return this.run(x, { h: parts[0]!, ...(parts[1] ? { c: parts[1] } : {}) }, run);
  }

  /** The layer over a batch of sequences from an initial state (zero where there is none): its output and final state. */
  private run(x: Variable, initial: CellState | undefined, options: ApplyOptions): { output: Variable; state: CellState } {
    // The steps are unrolled, so they are the batch's own (known), or the one length built for.
    const [steps, features] = this.sequenceShapeOf(x);
    if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${this.describe()}: expects float inputs, got ${x.describe()}`);
    const { kernel, bias } = this.weights();
    const width = this.gates * this.units;
    const draws = this.dropoutDraws(x.dtype === 'float64' ? 'float64' : 'float32', options.training === true);
    // One mask per sequence, the same at every step: [batch, features], then [batch, units].
    const inputMask = draws?.draw(T.slice(x, null, 0), this.options.dropout ?? 0);
    const input = inputMask ? T.mul(x, T.expandDims(inputMask, 1)) : x;
    let projected = T.reshape(T.dot(T.reshape(input, [-1, features]), this.like(x, kernel)), [-1, steps, width]);
    if (bias) projected = T.add(projected, this.like(x, this.inputBias(bias)));
    this.stateMask = draws?.draw(T.slice(projected, null, 0, [0, this.units]), this.options.recurrentDropout ?? 0);
    draws?.finish();
    try {
      return this.unroll(projected, steps, initial, options);
    } finally {
      this.stateMask = undefined;
    }
  }

  /** The steps over the input projections [batch, steps, gates·units]: the output (the last step's or every step's) and the final state. */
  private unroll(projected: Variable, steps: number, initial: CellState | undefined, options: ApplyOptions): { output: Variable; state: CellState } {
    const order = [...Array(steps).keys()];
    if (this.options.goBackwards) order.reverse();
    const mask = options.mask === undefined ? undefined : this.stepMask(options.mask, projected);
    const outputs: Variable[] = [];
    let state: CellState | undefined = initial;
    for (const t of order) {
      const next = this.step(T.slice(projected, null, t), state);
      // A padded step keeps the previous state (zero before the first real step).
      state = mask ? this.keep(next, state, T.slice(mask, null, [t, t + 1])) : next;
      outputs.push(state.h);
    }
    const output = this.options.returnSequences ? T.concat(outputs.map((h) => T.expandDims(h, 1)), 1) : state!.h;
    return { output, state: state! };
  }

  /** The mask of the outputs: the steps' mask (in the outputs' order) with returnSequences, else none. */
  override computeMask(x: Variable, mask: Variable | undefined): Variable | undefined {
    if (!mask || !this.options.returnSequences) return undefined;
    if (!this.options.goBackwards) return mask;
    return T.concat([...Array(this.sequenceShapeOf(x)[0]).keys()].reverse().map((t) => T.slice(mask, null, [t, t + 1])), 1);
  }

  /** m·next + (1 − m)·prev for each part of the state, m [batch, 1] (prev zero where there is none). */
  private keep(next: CellState, prev: CellState | undefined, m: Variable): CellState {
    const mix = (a: Variable, b: Variable | undefined) => (b ? T.add(b, T.mul(m, T.sub(a, b))) : T.mul(m, a));
    return { h: mix(next.h, prev?.h), ...(next.c ? { c: mix(next.c, prev?.c) } : {}) };
  }

  override parameters(): SharedVariable[] {
    if (!this.w) return [];
    return [this.w.kernel, this.w.recurrent, ...(this.w.bias ? [this.w.bias] : [])];
  }

  getConfig(): Record<string, unknown> {
    const o = this.options;
    const named = (key: string, v: Initializer | undefined) => (typeof v === 'string' ? { [key]: v } : {});
    return {
      units: this.units,
      activation: o.activation ?? 'tanh',
      ...this.extraConfig(),
      useBias: o.useBias ?? true,
      returnSequences: o.returnSequences ?? false,
      ...(o.returnState ? { returnState: true } : {}),
      goBackwards: o.goBackwards ?? false,
      ...(o.dropout ? { dropout: o.dropout } : {}),
      ...(o.recurrentDropout ? { recurrentDropout: o.recurrentDropout } : {}),
      ...named('kernelInitializer', o.kernelInitializer),
      ...named('recurrentInitializer', o.recurrentInitializer),
      ...named('biasInitializer', o.biasInitializer),
      ...(o.seed === undefined ? {} : { seed: o.seed }),
      ...(this.name === undefined ? {} : { name: this.name }),
    };
  }

  /** The layer's own options in its config. */
  protected extraConfig(): Record<string, unknown> {
    return {};
  }

  protected act(v: Variable): Variable {
    return activation(this.options.activation ?? 'tanh')(v);
  }

  protected gateAct(v: Variable): Variable {
    return activation(this.options.recurrentActivation ?? 'sigmoid')(v);
  }

  private weights() {
    if (!this.w) throw new Error(`${this.describe()} is not built yet, so it has no weights`);
    return this.w;
  }
}

/**
 * The Elman cell: hₜ = activation(xₜ·W + hₜ₋₁·U + b), h₀ = 0 (or the initial state given).
 *
 * @example
 * ```ts
 * const model = new Sequential([new SimpleRNN(32), new Dense(1)], { inputShape: [20, 8], seed: 1 });
 * ```
 */
export class SimpleRNN extends Recurrent {
  readonly className = 'SimpleRNN';
  protected readonly gates = 1;

  constructor(units: number, options: RecurrentOptions = {}) {
    super(units, options, 'SimpleRNN');
  }

  protected step(x: Variable, prev: CellState | undefined): CellState {
    return { h: this.act(prev ? T.add(x, this.recur(prev.h)) : x) };
  }
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber), Keras's gates i, f, c, o side by side:
 * with z = xₜ·W + hₜ₋₁·U + b, i = σ(z_i), f = σ(z_f), o = σ(z_o), cₜ = f·cₜ₋₁ + i·tanh(z_c),
 * hₜ = o·tanh(cₜ) (σ the recurrent activation, tanh the activation), h₀ = c₀ = 0 (or the
 * initial state given: `apply([x, h0, c0])` in a FunctionalModel).
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Embedding(10000, 64),           // ids [batch, 50] → [batch, 50, 64]
 *   new LSTM(128),                      // → [batch, 128], the last step's output
 *   new Dense(2),
 * ], { inputShape: [50], seed: 1 });
 * ```
 */
export class LSTM extends Recurrent {
  readonly className = 'LSTM';
  protected readonly gates = 4;
  declare readonly options: LSTMOptions;

  constructor(units: number, options: LSTMOptions = {}) {
    super(units, options, 'LSTM');
  }

  protected override get stateNames(): readonly string[] {
    return ['h', 'c'];
  }

  protected override initialBias(init: ReturnType<typeof resolveInitializer>, seed: number) {
    const b = init([4 * this.units], { seed });
    if (!(this.options.unitForgetBias ?? true)) return b;
    const data = Float32Array.from(b.data as ArrayLike<number>);
    data.fill(1, this.units, 2 * this.units);
    return new NDArray('float32', [4 * this.units], data);
  }

  protected override extraConfig(): Record<string, unknown> {
    return { recurrentActivation: this.options.recurrentActivation ?? 'sigmoid', unitForgetBias: this.options.unitForgetBias ?? true };
  }

  protected step(x: Variable, prev: CellState | undefined): CellState {
    const z = prev ? T.add(x, this.recur(prev.h)) : x;
    const i = this.gateAct(this.gate(z, 0));
    const f = this.gateAct(this.gate(z, 1));
    const g = this.act(this.gate(z, 2));
    const o = this.gateAct(this.gate(z, 3));
    const c = prev ? T.add(T.mul(f, prev.c!), T.mul(i, g)) : T.mul(i, g);
    return { h: T.mul(o, this.act(c)), c };
  }
}

/**
 * Gated recurrent unit (Cho et al.), Keras's gates z, r, h side by side: z = σ(x_z + h·U_z),
 * r = σ(x_r + h·U_r), then with `resetAfter` (the default) h̃ = tanh(x_h + r·(h·U_h + b'_h)),
 * else h̃ = tanh(x_h + (r·h)·U_h); hₜ = z·hₜ₋₁ + (1 − z)·h̃, h₀ = 0 (or the initial state given).
 *
 * @example
 * ```ts
 * const model = new Sequential([new GRU(64, { returnSequences: true }), new GRU(32), new Dense(10)], { inputShape: [30, 16], seed: 1 });
 * ```
 */
export class GRU extends Recurrent {
  readonly className = 'GRU';
  protected readonly gates = 3;
  declare readonly options: GRUOptions;

  constructor(units: number, options: GRUOptions = {}) {
    super(units, options, 'GRU');
  }

  private get resetAfter(): boolean {
    return this.options.resetAfter ?? true;
  }

  protected override initialBias(init: ReturnType<typeof resolveInitializer>, seed: number) {
    return init(this.resetAfter ? [2, 3 * this.units] : [3 * this.units], { seed });
  }

  protected override inputBias(bias: SharedVariable): Variable {
    return this.resetAfter ? T.slice(bias, 0) : bias;
  }

  protected override extraConfig(): Record<string, unknown> {
    return { recurrentActivation: this.options.recurrentActivation ?? 'sigmoid', resetAfter: this.resetAfter };
  }

  protected step(x: Variable, prev: CellState | undefined): CellState {
    const bias = this.bias;
    const u = this.units;
    if (this.resetAfter) {
      // The recurrent product with its own bias (b'), whose h part the reset gate scales.
      let rec: Variable | undefined = prev ? this.recur(prev.h) : undefined;
      const recBias = bias ? this.like(x, T.slice(bias, 1)) : undefined;
      if (recBias) rec = rec ? T.add(rec, recBias) : recBias;
      const zr = (g: number) => (rec ? T.add(this.gate(x, g), this.gate(rec, g)) : this.gate(x, g));
      const z = this.gateAct(zr(0));
      const r = this.gateAct(zr(1));
      const cand = this.act(rec ? T.add(this.gate(x, 2), T.mul(r, this.gate(rec, 2))) : this.gate(x, 2));
      return { h: this.blend(z, cand, prev) };
    }
    if (!prev) {
      const z = this.gateAct(this.gate(x, 0));
      return { h: this.blend(z, this.act(this.gate(x, 2)), undefined) };
    }
    const U = this.like(x, this.recurrentKernel);
    const h = this.recurrentInput(prev.h);
    const recZR = T.dot(h, T.slice(U, null, [0, 2 * u]));
    const z = this.gateAct(T.add(this.gate(x, 0), T.slice(recZR, null, [0, u])));
    const r = this.gateAct(T.add(this.gate(x, 1), T.slice(recZR, null, [u, 2 * u])));
    const cand = this.act(T.add(this.gate(x, 2), T.dot(T.mul(r, h), T.slice(U, null, [2 * u, 3 * u]))));
    return { h: this.blend(z, cand, prev) };
  }

  /** z·hₜ₋₁ + (1 − z)·h̃ (the first term 0 at the first step). */
  private blend(z: Variable, cand: Variable, prev: CellState | undefined): Variable {
    const kept = T.mul(T.sub(1, z), cand);
    return prev ? T.add(T.mul(z, prev.h), kept) : kept;
  }
}
