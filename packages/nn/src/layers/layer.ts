/**
 * The layer contract: a layer is built once for a per-example input shape (creating its
 * parameters as named shared variables) and then applied symbolically any number of times.
 */
import { T, topoSort, type SharedVariable, type Variable } from '@symgrad/core';
import { applyLayer, type SymbolicTensor } from './symbolic-tensor.js';

/** Options of `apply`: `training` switches layers such as Dropout to their training behaviour. */
export interface ApplyOptions {
  readonly training?: boolean;
  /**
   * Which steps of the input are real (1) and which are padding (0), [batch, steps]: what an
   * Embedding with `maskZero` gives the layers after it. Sequential passes it from layer to
   * layer (`computeMask`); layers that read sequences (LSTM, GRU, SimpleRNN, Bidirectional,
   * GlobalAveragePooling1D, GlobalMaxPooling1D) skip the padded steps.
   */
  readonly mask?: Variable;
}

/**
 * Options of `callInputs`, the call of a layer applied to several inputs in a functional
 * model: `masks[i]` is the steps' mask of input i, if it has one.
 */
export interface MultiApplyOptions {
  readonly training?: boolean;
  readonly masks?: readonly (Variable | undefined)[];
}

/** What a model gives a layer when it builds it: its name and the seed of its random streams. */
export interface BuildContext {
  readonly name: string;
  readonly seed: number;
}

/** A layer's configuration as plain JSON (enough to rebuild it with `layerFromConfig`). */
export interface LayerConfig {
  readonly className: string;
  readonly config: Record<string, unknown>;
}

/**
 * A layer's state that a training graph advances: a random state and the draw that advances
 * it, or a statistic and its next value (BatchNormalization's moving mean).
 */
interface StateUpdate {
  readonly state: SharedVariable;
  readonly next: Variable;
  readonly owner: string;
  readonly random: boolean;
}

/** Keyed by a variable of the layer's output graph: where the graph has it, the update applies. */
const stateUpdatesByMarker = new WeakMap<Variable, StateUpdate[]>();

function registerUpdate(marker: Variable, update: StateUpdate): void {
  stateUpdatesByMarker.set(marker, [...(stateUpdatesByMarker.get(marker) ?? []), update]);
}

/** Records that `next` is the state after a layer's draw from `state`. @internal */
export function registerRandomState(next: Variable, state: SharedVariable, owner: string): void {
  registerUpdate(next, { state, next, owner, random: true });
}

/**
 * Records that a graph computing `marker` (a training statistic, such as a batch mean) moves
 * `state` to `next`. @internal
 */
export function registerStatisticUpdate(marker: Variable, state: SharedVariable, next: Variable, owner: string): void {
  registerUpdate(marker, { state, next, owner, random: false });
}

function collectUpdates(outputs: Variable | readonly Variable[], include: (u: StateUpdate) => boolean): [SharedVariable, Variable][] {
  const list = Array.isArray(outputs) ? outputs : [outputs as Variable];
  const found = new Map<SharedVariable, Variable>();
  for (const node of topoSort(list)) {
    for (const out of node.outputs) {
      for (const u of stateUpdatesByMarker.get(out) ?? []) {
        if (!include(u)) continue;
        if (found.has(u.state)) {
          throw new Error(u.random
            ? `${u.owner} draws more than once in this graph, so its draws would repeat: apply it once per graph or use one layer per application`
            : `${u.owner} is applied in training more than once in this graph, so its statistic '${u.state.name}' would be updated twice: apply it once per graph or use one layer per application`);
        }
        found.set(u.state, u.next);
      }
    }
  }
  return [...found];
}

/**
 * The updates that advance the random states of the layers (Dropout) that the given
 * outputs depend on: pass them to `fn` with your own updates, so every call draws new
 * numbers. A layer drawing more than once in one graph would repeat its numbers, so that
 * is an error naming the layer.
 *
 * @example
 * ```ts
 * const out = model.apply(x, { training: true });
 * const loss = T.mean(T.softmaxCrossEntropy(out, y));
 * const step = fn([x, y], loss, { updates: [...sgd.updates(loss, params), ...randomStateUpdates(loss)] });
 * ```
 */
export function randomStateUpdates(outputs: Variable | readonly Variable[]): [SharedVariable, Variable][] {
  return collectUpdates(outputs, (u) => u.random);
}

/**
 * Every update of layer state that a training graph implies: the random states of the
 * layers that draw (Dropout) and the moving statistics of BatchNormalization layers applied
 * with `{ training: true }`. Pass them to `fn` with the optimizer's updates (the Trainer
 * does); a layer applied twice in training in one graph is an error naming it.
 *
 * @example
 * ```ts
 * const out = model.apply(x, { training: true });
 * const loss = T.mean(T.softmaxCrossEntropy(out, y));
 * const step = fn([x, y], loss, { updates: [...opt.updates(loss, model.parameters()), ...stateUpdates(loss)] });
 * ```
 */
export function stateUpdates(outputs: Variable | readonly Variable[]): [SharedVariable, Variable][] {
  return collectUpdates(outputs, () => true);
}

/** Whether two shapes are the same. @internal */
export function sameDims(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The lower-snake-case name stem of a class name: `Dense` → `dense`, `ReLU` → `relu`. @internal */
export function nameStem(className: string): string {
  return className.replace(/([a-z0-9])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/**
 * Names a model's unnamed layers by kind and position among the layers of that kind
 * (`dense_0`, `dense_1`, `dropout_0`), skipping names already taken and the `reserved` ones
 * (an Input's, a nested model's layers', each with what holds it), after checking that the
 * given names are unique (they name the parameters). @internal
 */
export function nameLayers(layers: readonly Layer[], owner: string, reserved: ReadonlyMap<string, string> = new Map()): void {
  const taken = new Set<string>(reserved.keys());
  for (const l of layers) {
    if (l.name === undefined) continue;
    const holder = reserved.get(l.name);
    if (holder !== undefined) throw new Error(`${owner}: a layer and ${holder} are both named '${l.name}'; names must be unique (they identify the model's tensors)`);
    if (taken.has(l.name)) throw new Error(`${owner}: two layers are named '${l.name}'; layer names must be unique (they name the parameters)`);
    taken.add(l.name);
  }
  const next = new Map<string, number>();
  for (const l of layers) {
    if (l.name !== undefined) continue;
    const stem = nameStem(l.className);
    let k = next.get(stem) ?? 0;
    while (taken.has(`${stem}_${k}`)) k++;
    l.name = `${stem}_${k}`;
    taken.add(l.name);
    next.set(stem, k + 1);
  }
}

/** Formats a shape with `null` for the batch axis: `[null, 256]`. @internal */
export function formatDims(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

/**
 * The base class of layers. Subclasses implement `build` (create parameters for a
 * per-example input shape, return the per-example output shape), `call` (the symbolic
 * computation on a batch) and `getConfig`.
 *
 * @example
 * ```ts
 * class Scale extends Layer {
 *   readonly className = 'Scale';
 *   constructor(private readonly factor: number) { super(); }
 *   protected buildLayer(shape: readonly number[]) { return shape; }
 *   protected callLayer(x: Variable) { return x.mul(this.factor); }
 *   getConfig() { return { factor: this.factor }; }
 * }
 * ```
 */
export abstract class Layer {
  abstract readonly className: string;
  /** The name given at construction, or the one the model assigns when it builds the layer. */
  name: string | undefined;
  private shapes: { input: readonly number[]; output: readonly number[]; inputs: readonly (readonly number[])[] } | undefined;
  /** Per-example shapes besides the first that the layer was built for (see `outputShapeFor`). */
  private readonly otherShapes: (readonly number[])[] = [];

  constructor(name?: string) {
    if (name !== undefined && (typeof name !== 'string' || name === '' || name.includes('/'))) {
      throw new TypeError(`layer name must be a non-empty string without '/', got ${JSON.stringify(name)}`);
    }
    this.name = name;
  }

  /** Whether the layer works on each step alone (on the last axis), so the steps' mask passes through it (Dense, activations, Dropout, LayerNormalization). */
  protected readonly passesMask: boolean = false;

  /** True once `build` has run. */
  get built(): boolean {
    return this.shapes !== undefined;
  }

  /** The per-example input shape (without the batch axis), once built. */
  get inputShape(): readonly number[] {
    return this.requireBuilt().input;
  }

  /** The per-example shape of each input (one for most layers; a merge's several), once built. */
  get inputShapes(): readonly (readonly number[])[] {
    return this.requireBuilt().inputs;
  }

  /** The per-example output shape (without the batch axis), once built. */
  get outputShape(): readonly number[] {
    return this.requireBuilt().output;
  }

  /**
   * Creates the parameters for inputs of per-example shape `inputShape` and returns the
   * per-example output shape. A layer builds once; building again with another shape throws.
   */
  build(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    if (this.shapes) {
      if (!sameDims(inputShape, this.shapes.input)) {
        // A layer whose weights fit other shapes too (one on the last axis alone) is shared between them.
        const other = this.outputShapeFor(inputShape);
        if (other) {
          if (!this.otherShapes.some((o) => sameDims(o, inputShape))) this.otherShapes.push([...inputShape]);
          return other;
        }
        throw new Error(`${this.describe()} was built for inputs of per-example shape ${formatDims(this.shapes.input)}, not ${formatDims(inputShape)}; its weights do not fit inputs of that shape`);
      }
      return this.shapes.output;
    }
    this.name ??= ctx.name;
    const output = this.buildLayer(inputShape, ctx);
    this.shapes = { input: [...inputShape], output: [...output], inputs: [[...inputShape]] };
    return output;
  }

  /**
   * How many inputs the layer takes when applied in a functional model, [least, most]: one
   * for most layers, two or more for merges (Add, Concatenate), one to three for
   * MultiHeadAttention (query, value, key).
   */
  get inputArity(): readonly [number, number] {
    return [1, 1];
  }

  /**
   * Applies the layer to symbolic inputs while wiring a functional model (Keras's
   * `layer(x)`): records the call and returns its output. The layer is built, named and
   * seeded when the model is made, from the shapes of its `Input`s.
   *
   * @example
   * ```ts
   * const x = new Input([16]);
   * const h = new Dense(32, { activation: 'relu' }).apply(x);
   * const y = new Add().apply([x, new Dense(16).apply(h)]);   // a residual connection
   * const model = new FunctionalModel({ inputs: x, outputs: y }, { seed: 1 });
   * ```
   */
  apply(inputs: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor {
    if (this.outputCount > 1) throw new Error(`${this.describe()}.apply: the layer gives ${this.outputCount} tensors (${this.outputNames().join(', ')}); applyAll returns them all`);
    return applyLayer(this, inputs, 'apply')[0]!;
  }

  /**
   * `apply` for a layer that gives several tensors (a recurrent layer with `returnState`:
   * its output and final states): all of them, in order.
   *
   * @example
   * ```ts
   * const [out, h, c] = new LSTM(64, { returnState: true }).applyAll(encoderInput);
   * const decoded = new LSTM(64, { returnSequences: true }).apply([decoderInput, h, c]);   // the decoder starts from the encoder's state
   * ```
   */
  applyAll(inputs: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor[] {
    return applyLayer(this, inputs, 'applyAll');
  }

  /** How many tensors a call gives: one for most layers; a recurrent layer with `returnState` also gives its final states. */
  get outputCount(): number {
    return 1;
  }

  /** The names of a call's outputs, for messages. */
  protected outputNames(): string[] {
    return ['output'];
  }

  /** The per-example shape of each output of a call, once built. */
  get outputShapes(): readonly (readonly number[])[] {
    return [this.outputShape];
  }

  /**
   * Builds the layer for the per-example shapes of its inputs (one for most layers). A layer
   * applied more than once (shared weights) sees the same shapes every time, or others its
   * weights fit (`outputShapeForInputs`: attention over sequences of other lengths).
   */
  buildInputs(shapes: readonly (readonly number[])[], ctx: BuildContext): readonly number[] {
    if (shapes.length === 1) return this.build(shapes[0]!, ctx);
    if (this.shapes) {
      const same = this.shapes.inputs.length === shapes.length && shapes.every((s, i) => sameDims(s, this.shapes!.inputs[i]!));
      if (!same) {
        const other = this.shapes.inputs.length === shapes.length ? this.outputShapeForInputs(shapes) : undefined;
        if (other) {
          if (!this.otherShapes.some((o) => sameDims(o, shapes[0]!))) this.otherShapes.push([...shapes[0]!]);
          return other;
        }
        throw new Error(`${this.describe()} was built for inputs of per-example shapes ${this.shapes.inputs.map(formatDims).join(', ')}, not ${shapes.map(formatDims).join(', ')}; a shared layer sees the same shapes at every call`);
      }
      return this.shapes.output;
    }
    this.name ??= ctx.name;
    const output = this.buildManyLayer(shapes, ctx);
    this.shapes = { input: [...shapes[0]!], output: [...output], inputs: shapes.map((s) => [...s]) };
    return output;
  }

  /** The symbolic output for batches of several inputs (the call of a functional model); one input is `call`. */
  callInputs(xs: readonly Variable[], options: MultiApplyOptions = {}): Variable {
    const mask = options.masks?.[0];
    const training = options.training === undefined ? {} : { training: options.training };
    if (xs.length === 1) return this.call(xs[0]!, { ...training, ...(mask ? { mask } : {}) });
    this.requireBuilt();
    return this.callManyLayer(xs, options);
  }

  /** Every output of a call (a functional model's call): for most layers, the one `callInputs` gives. */
  callOutputs(xs: readonly Variable[], options: MultiApplyOptions = {}): Variable[] {
    return [this.callInputs(xs, options)];
  }

  /** A call's outputs with their masks, as a functional model runs it: `callOutputs`, then `computeOutputMasks`. */
  callWithMasks(xs: readonly Variable[], options: MultiApplyOptions = {}): { outputs: Variable[]; masks: (Variable | undefined)[] } {
    return { outputs: this.callOutputs(xs, options), masks: this.computeOutputMasks(xs, options.masks ?? xs.map(() => undefined)) };
  }

  /** The mask of each output of a call (see `callOutputs`), given the inputs'. */
  computeOutputMasks(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): (Variable | undefined)[] {
    return [this.computeMaskInputs(xs, masks)];
  }

  /** The mask of the output of a call on several inputs, given theirs; one input is `computeMask`. */
  computeMaskInputs(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): Variable | undefined {
    if (xs.length === 1) return this.computeMask(xs[0]!, masks[0]);
    if (masks.every((m) => m === undefined)) return undefined;
    throw new Error(`${this.describe()} does not support masking of several inputs`);
  }

  /** Builds a layer of several inputs (see `inputArity`); layers of one input never get here. */
  protected buildManyLayer(shapes: readonly (readonly number[])[], _ctx: BuildContext): readonly number[] {
    throw new Error(`${this.describe()} takes one input, got ${shapes.length}`);
  }

  /** The call of a layer of several inputs (see `inputArity`). */
  protected callManyLayer(xs: readonly Variable[], _options: MultiApplyOptions): Variable {
    throw new Error(`${this.describe()} takes one input, got ${xs.length}`);
  }

  /** The symbolic output for a batch `x` of shape [batch, …inputShape]. */
  call(x: Variable, options: ApplyOptions = {}): Variable {
    this.requireBuilt();
    // A mask given to a layer that cannot use it is refused here, not silently ignored.
    if (options.mask !== undefined) this.computeMask(x, options.mask);
    return this.callLayer(x, options);
  }

  /** The trainable parameters, as named shared variables (empty before build). */
  parameters(): SharedVariable[] {
    return [];
  }

  /**
   * The mask of this layer's output, given its input and the input's mask (Keras's
   * `compute_mask`): undefined where there is none. By default a layer takes no mask, and one
   * reaching it is an error naming the layer (padded steps would silently count);
   * step-wise layers (`passesMask`) pass it on, layers that read the steps use it and drop it.
   */
  computeMask(_x: Variable, mask: Variable | undefined): Variable | undefined {
    if (mask !== undefined && this.passesMask) return mask;
    if (mask !== undefined) {
      throw new Error(`${this.describe()} does not support masking: the mask of an Embedding with maskZero reaches it; put a layer that reads the mask (LSTM, GRU, SimpleRNN, a global 1-D pooling) before it, or drop maskZero`);
    }
    return undefined;
  }

  /**
   * State that is not trained but belongs to the model, as named shared variables, saved
   * and loaded with the parameters (BatchNormalization's moving statistics); empty by default.
   */
  stateVariables(): SharedVariable[] {
    return [];
  }

  /** The [steps, features] of a layer that reads sequences, from the per-example shape it builds for; throws naming the layer otherwise. */
  protected sequenceShape(inputShape: readonly number[]): [number, number] {
    if (inputShape.length !== 2) throw new Error(`${this.describe()} expects per-example inputs [steps, features], got ${formatDims(inputShape)}`);
    return [inputShape[0]!, inputShape[1]!];
  }

  /** Throws, naming the layer and `x`, unless `x` is a batch of this layer's per-example inputs (one more axis). */
  protected requireBatch(x: Variable): void {
    const shapes = this.builtShapes;
    if (!shapes.some((s) => x.ndim === s.length + 1)) throw new Error(`${this.describe()}: expected a batch of per-example shape ${shapes.map(formatDims).join(' or ')}, got ${x.describe()}`);
  }

  /**
   * The per-example output shape for inputs of another per-example shape than the one the
   * layer was first built for, or undefined where its weights do not fit them (the default).
   * Layers that work on the last axis alone (Dense, Embedding, LayerNormalization,
   * activations, Dropout) take any leading axes, so one layer serves sequences of several
   * lengths (a source's and a target's embedding, tied).
   */
  protected outputShapeFor(_inputShape: readonly number[]): readonly number[] | undefined {
    return undefined;
  }

  /**
   * `outputShapeFor` for a call of several inputs (a query and a memory of other lengths, a
   * sequence and its initial state): the per-example output shape where the weights fit these
   * input shapes, else undefined (the default).
   */
  protected outputShapeForInputs(_shapes: readonly (readonly number[])[]): readonly number[] | undefined {
    return undefined;
  }

  /**
   * The per-example shape of a batch `x` of sequences, [steps, features], for a layer that
   * reads the steps: `x`'s own where its steps are known, else the built one (ids given as
   * T.imatrix); throws, naming the layer, where the features are not those it was built for.
   */
  protected sequenceShapeOf(x: Variable): [number, number] {
    const built = this.inputShape;
    if (x.ndim !== 3 || (x.shape[2] !== null && x.shape[2] !== built[1])) {
      throw new Error(`${this.describe()}: expected a batch of per-example shape ${formatDims([null, built[1]!])} (any steps), got ${x.describe()}`);
    }
    const steps = x.shape[1] ?? this.builtShapeOf(x)[0]!;
    return [steps, built[1]!];
  }

  /** Every per-example input shape the layer was built for: the first, then the others it took. */
  protected get builtShapes(): readonly (readonly number[])[] {
    return [this.inputShape, ...this.otherShapes];
  }

  /**
   * The per-example shape among those the layer was built for that a batch `x` has: its own,
   * where every axis is known, else the one built shape its known axes match; throws, naming
   * the layer, where several match.
   */
  protected builtShapeOf(x: Variable): readonly number[] {
    const perExample = x.shape.slice(1);
    if (perExample.every((d) => d !== null)) return perExample as number[];
    const matches = this.builtShapes.filter((s) => s.length === perExample.length && s.every((d, i) => perExample[i] === null || perExample[i] === d));
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) throw new Error(`${this.describe()}: expected a batch of per-example shape ${this.builtShapes.map(formatDims).join(' or ')}, got ${x.describe()}`);
    throw new Error(`${this.describe()}: ${x.describe()} has unknown axes, and the layer takes several shapes they fit (${matches.map(formatDims).join(', ')}); give its batch static axes (T.tensor('float32', [null, …]))`);
  }

  /**
   * A steps' mask for a batch `x` of sequences (per-example [steps, …]) in `x`'s dtype; throws,
   * naming the layer, unless it is [batch, steps].
   */
  protected stepMask(mask: Variable, x: Variable): Variable {
    const steps = x.shape[1] ?? this.builtShapeOf(x)[0]!;
    if (mask.ndim !== 2 || (mask.shape[1] !== null && mask.shape[1] !== steps)) {
      throw new Error(`${this.describe()}: the mask must be [batch, ${steps}] (one value per step), got ${mask.describe()}`);
    }
    // A mask of unknown steps (ids given as T.imatrix) gets the static steps it must have.
    const sized = mask.shape[1] === null ? T.reshape(mask, [-1, steps]) : mask;
    return sized.dtype === x.dtype ? sized : T.cast(sized, x.dtype);
  }

  /** A readable description: `Dense 'dense_0'`. */
  describe(): string {
    return `${this.className}${this.name === undefined ? '' : ` '${this.name}'`}`;
  }

  /** Options that rebuild this layer (JSON). */
  abstract getConfig(): Record<string, unknown>;

  protected abstract buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[];
  protected abstract callLayer(x: Variable, options: ApplyOptions): Variable;

  private requireBuilt(): { input: readonly number[]; output: readonly number[]; inputs: readonly (readonly number[])[] } {
    if (!this.shapes) throw new Error(`${this.describe()} is not built yet: add it to a model with an inputShape, or apply the model once`);
    return this.shapes;
  }
}
