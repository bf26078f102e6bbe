/**
 * Functional models (Keras's functional API): any directed acyclic graph of layer calls
 * from one or more `Input`s to one or more outputs — residual connections, several inputs
 * (a decoder's target and the encoder's memory), a layer shared by several branches. The
 * model builds, names and seeds its layers from its Inputs' shapes as a Sequential does, so
 * a chain of layers gets the same names and initial weights in both.
 */
import { atSite, kindOf, T, type SharedVariable, type Variable } from '@symgrad/core';
import { deriveSeed } from '../random-stream.js';
import { formatDims, nameLayers, sameDims, type ApplyOptions, type Layer, type LayerConfig, type MultiApplyOptions } from './layer.js';
import { checkModelInputShapes, ModelLayer, nestedLayerNames } from './model-layer.js';
import { countElements, readModelConfig, renderSummary, type Model, type ModelConfigEnvelope } from './model.js';
import { layerFromConfig } from './registry.js';
import { describeNonTensor, Input, SymbolicTensor, type InputDType, type LayerCall } from './symbolic-tensor.js';

/** A tensor of a saved functional model: [layer or input name, call index], and the output's index where a call gives several. */
export type TensorRef = readonly [string, number] | readonly [string, number, number];

/** A functional model's saved configuration (JSON). */
export type FunctionalModelConfig = ModelConfigEnvelope<'FunctionalModel', {
  readonly name: string;
  readonly seed: number;
  readonly inputs: readonly { readonly name: string; readonly shape: readonly (number | null)[]; readonly dtype: InputDType }[];
  /** The shapes a model of Inputs with unknown axes was built for, so a loaded model has its weights. */
  readonly buildShapes?: readonly (readonly number[])[];
  /** Each layer with the inputs of each of its calls, in the order the model calls them. */
  readonly layers: readonly (LayerConfig & { readonly calls: readonly (readonly TensorRef[])[] })[];
  readonly outputs: readonly TensorRef[];
}>;

export interface FunctionalModelOptions {
  /** Seed from which each layer's initializer and dropout seeds are derived; 0 by default. */
  readonly seed?: number;
  readonly name?: string;
}

/** The model's wiring: its Inputs and the tensors it returns. */
export interface FunctionalModelSpec {
  readonly inputs: Input | readonly Input[];
  readonly outputs: SymbolicTensor | readonly SymbolicTensor[];
}

const asList = <T>(v: T | readonly T[]): T[] => (Array.isArray(v) ? [...(v as readonly T[])] : [v as T]);

/**
 * A model wired from `Input`s through layer calls (`layer.apply`). Unnamed layers are named
 * by kind and position (`dense_0`, …) in the order the model computes them, and unnamed
 * Inputs `input_0`, `input_1`, … by their position in `inputs`. It is a `Model`: the Trainer,
 * `saveWeights` and `modelToJSON` take it as they take a Sequential; with several inputs,
 * `apply` and the data's `x` take one batch per input, in the order of `inputs`.
 *
 * @example
 * ```ts
 * const x = new Input([64], { name: 'features' });
 * const h = new Dense(64, { activation: 'relu' }).apply(x);
 * const y = new LayerNormalization().apply(new Add().apply([x, new Dense(64).apply(h)]));
 * const model = new FunctionalModel({ inputs: x, outputs: new Dense(10).apply(y) }, { seed: 1 });
 * const logits = model.apply(T.matrix('x'));          // Variable [null, 10]
 * console.log(model.summary());
 * ```
 */
export class FunctionalModel implements Model {
  readonly name: string;
  readonly seed: number;
  readonly inputs: readonly Input[];
  readonly outputs: readonly SymbolicTensor[];
  /** The distinct layers, in the order the model first calls them. */
  readonly layers: readonly Layer[];
  /** The layer calls in an order that computes each after its inputs. */
  private readonly calls: readonly LayerCall[];
  private readonly shapes = new Map<SymbolicTensor, readonly number[]>();
  /** The per-example input shapes it was built for; undefined until then (Inputs with unknown axes build at the first batch). */
  private built: readonly (readonly number[])[] | undefined;
  private layerView: ModelLayer | undefined;

  constructor(spec: FunctionalModelSpec, options: FunctionalModelOptions = {}) {
    this.name = options.name ?? 'model';
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new TypeError(`${this.describe()}: seed must be a safe integer, got ${seed}`);
    this.seed = seed;
    if (typeof spec !== 'object' || spec === null) throw new TypeError(`${this.describe()}: expected { inputs, outputs }, got ${kindOf(spec)}`);
    const inputs = asList(spec.inputs);
    const outputs = asList(spec.outputs);
    if (inputs.length === 0) throw new Error(`${this.describe()}: inputs is empty; give the model's Input(s)`);
    if (outputs.length === 0) throw new Error(`${this.describe()}: outputs is empty; give the tensors the model returns`);
    inputs.forEach((t, i) => {
      if (!(t instanceof Input)) throw new TypeError(`${this.describe()}: inputs[${i}] must be an Input, got ${(t as unknown) instanceof SymbolicTensor ? (t as SymbolicTensor).describe() : kindOf(t)}`);
      if (inputs.indexOf(t) !== i) throw new Error(`${this.describe()}: ${t.describe()} is listed twice in inputs`);
    });
    outputs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) throw new TypeError(`${this.describe()}: outputs[${i}] must be an Input or a layer's output (layer.apply(…)), got ${describeNonTensor(t)}`);
    });
    this.inputs = inputs;
    this.outputs = outputs;
    this.nameInputs();
    this.calls = this.orderCalls();
    const layers: Layer[] = [];
    for (const c of this.calls) if (!layers.includes(c.layer)) layers.push(c.layer);
    this.layers = layers;
    const reserved = nestedLayerNames(layers);
    for (const t of inputs) reserved.set(t.name!, 'an Input');
    nameLayers(layers, this.describe(), reserved);
    if (inputs.every((t) => t.shape.every((d) => d !== null))) this.buildAt(inputs.map((t) => t.shape as number[]));
  }

  /**
   * Builds a model whose Inputs have unknown axes (`new Input([null, 8])`) for per-example
   * input shapes that fill them in (Keras's `model.build`); its first batch does this by
   * itself. A built model checks the shapes, as `outputShapesFor` does.
   *
   * @example
   * ```ts
   * const ids = new Input([null], { dtype: 'int32' });
   * const model = new FunctionalModel({ inputs: ids, outputs: new LSTM(8).apply(new Embedding(100, 4).apply(ids)) });
   * model.build([[40]]);
   * console.log(model.summary());
   * ```
   */
  build(shapes: readonly (readonly number[])[]): void {
    if (!Array.isArray(shapes) || shapes.length !== this.inputs.length) {
      throw new Error(`${this.describe()}.build: give one per-example shape per input (${this.inputs.length}), got ${JSON.stringify(shapes)}`);
    }
    this.inputs.forEach((t, i) => {
      const s = shapes[i];
      const fits = Array.isArray(s) && s.length === t.shape.length && s.every((d, j) => Number.isInteger(d) && d > 0 && (t.shape[j] === null || t.shape[j] === d));
      if (!fits) throw new Error(`${this.describe()}.build: ${t.describe()} cannot take per-example shape ${Array.isArray(s) ? formatDims(s) : JSON.stringify(s)}`);
    });
    if (this.built) this.outputShapesFor(shapes);
    else this.buildAt(shapes);
  }

  /** The per-example input shapes, in the order of `inputs` (those it was built for). */
  get inputShapes(): readonly (readonly number[])[] {
    return this.requireBuilt();
  }

  /** The shapes it was built for; throws, naming the Inputs of unknown axes, before. */
  private requireBuilt(): readonly (readonly number[])[] {
    if (this.built) return this.built;
    const open = this.inputs.filter((t) => t.shape.includes(null)).map((t) => t.describe()).join(', ');
    throw new Error(`${this.describe()} is not built yet: ${open} ${open.includes(', Input') ? 'have' : 'has'} unknown axes; apply it to a batch, or give the shapes with model.build([[…]])`);
  }

  /** The per-example shape of the (first) output. */
  get outputShape(): readonly number[] {
    return this.shapeOf(this.outputs[0]!);
  }

  /** The per-example shape of any tensor of the model (without the batch axis). */
  shapeOf(t: SymbolicTensor): readonly number[] {
    this.requireBuilt();
    const shape = this.shapes.get(t);
    if (!shape) throw new Error(`${this.describe()}.shapeOf: ${t instanceof SymbolicTensor ? t.describe() : kindOf(t)} is not a tensor of this model`);
    return shape;
  }

  /**
   * The model's symbolic output for batches of its inputs (one Variable, or one per input in
   * the order of `inputs`). With `{ training: true }` layers such as Dropout act as in
   * training. A model of several outputs returns them with `applyOutputs`. Applied to
   * SymbolicTensors while wiring another functional model, the whole model is one call of
   * that model (its weights shared by every call; `asLayer().applyAll` for several outputs).
   */
  apply(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor;
  apply(x: Variable | readonly Variable[], options?: ApplyOptions): Variable;
  apply(x: Variable | SymbolicTensor | readonly (Variable | SymbolicTensor)[], options: ApplyOptions = {}): Variable | SymbolicTensor {
    if (asList(x).some((t) => t instanceof SymbolicTensor)) return this.asLayer().apply(x as SymbolicTensor | readonly SymbolicTensor[]);
    if (this.outputs.length !== 1) throw new Error(`${this.describe()}.apply: the model has ${this.outputs.length} outputs; applyOutputs returns them all`);
    return this.applyOutputs(x as Variable | readonly Variable[], options)[0]!;
  }

  /** Every output of the model, in the order of `outputs`, for batches of its inputs. */
  applyOutputs(x: Variable | readonly Variable[], options: ApplyOptions = {}): Variable[] {
    const xs = asList(x);
    if (options.mask !== undefined && xs.length !== 1) throw new Error(`${this.describe()}.apply: a mask can be given to a model of one input only`);
    const training = options.training === undefined ? {} : { training: options.training };
    return this.runWithMasks(xs, { ...training, masks: xs.map(() => options.mask) }).outputs;
  }

  /** The model as a layer of other functional models (what `apply` on SymbolicTensors calls): one layer per model, so its weights are shared. */
  asLayer(): ModelLayer {
    return (this.layerView ??= new ModelLayer(this));
  }

  /** Its layers' names, nested models' included. @internal */
  innerLayerNames(): string[] {
    return this.layers.flatMap((l) => [l.name!, ...(l instanceof ModelLayer ? l.model.innerLayerNames() : [])]);
  }

  /** The number of Inputs. @internal */
  get inputCount(): number {
    return this.inputs.length;
  }

  /** The number of outputs. @internal */
  get outputCount(): number {
    return this.outputs.length;
  }

  /** The per-example shape of every output. */
  get outputShapes(): readonly (readonly number[])[] {
    return this.outputs.map((t) => this.shapeOf(t));
  }

  /**
   * The per-example shape of every output for inputs of other per-example shapes than the
   * Inputs' (sequences of other lengths), where every layer's weights fit them; throws naming
   * the first call they do not fit, with its call site.
   *
   * @example
   * ```ts
   * const x = new Input([40, 8]);
   * const model = new FunctionalModel({ inputs: x, outputs: new LSTM(16).apply(x) });
   * model.outputShapesFor([[100, 8]]); // [[16]]
   * ```
   */
  outputShapesFor(shapes: readonly (readonly number[])[], what?: string): readonly (readonly number[])[] {
    this.requireBuilt();
    if (shapes.length !== this.inputs.length) throw new Error(`${this.describe()} takes ${this.inputs.length} input${this.inputs.length === 1 ? '' : 's'}, got ${shapes.length} shapes`);
    const known = new Map<SymbolicTensor, readonly number[]>();
    this.inputs.forEach((t, i) => known.set(t, shapes[i]!));
    for (const c of this.calls) {
      const layer = c.layer;
      try {
        // Built layers only check the shapes (and note them): the context goes unused.
        const first = layer.buildInputs(c.inputs.map((t) => known.get(t)!), { name: layer.name!, seed: 0 });
        c.outputs.forEach((t, i) => known.set(t, i === 0 ? first : layer.outputShapes[i]!));
      } catch (err) {
        const given = what ?? `inputs of per-example shape${shapes.length === 1 ? '' : 's'} ${shapes.map(formatDims).join(', ')}`;
        throw new Error(`${this.describe()}: cannot take ${given} (built for ${this.built!.map(formatDims).join(', ')}): ${(err as Error).message}${atSite(c.callSite)}`, { cause: err });
      }
    }
    return this.outputs.map((t) => known.get(t)!);
  }

  /** Checks per-example input shapes against the Inputs' (a functional model is built when made). @internal */
  buildFor(shapes: readonly (readonly number[])[]): void {
    // Inputs of other shapes (and rank) are checked against every layer (sequences of other lengths).
    const ranks = shapes.length === this.inputs.length && shapes.every((s, i) => s.length === this.inputs[i]!.shape.length);
    if (ranks && !this.built) this.build(shapes);
    else if (ranks) this.outputShapesFor(shapes);
    else checkModelInputShapes(this.describe(), this.inputs.map((t) => t.shape), shapes);
  }

  /** Every output and its mask for batches of the inputs, with a mask per input. @internal */
  runWithMasks(xs: readonly Variable[], options: MultiApplyOptions): { outputs: Variable[]; masks: (Variable | undefined)[] } {
    if (xs.length !== this.inputs.length) {
      throw new Error(`${this.describe()}.apply: the model takes ${this.inputs.length} input${this.inputs.length === 1 ? '' : 's'} (${this.inputs.map((t) => t.name).join(', ')}), got ${xs.length}`);
    }
    if (!this.built) this.buildFromBatches(xs);
    const values = new Map<SymbolicTensor, { v: Variable; mask: Variable | undefined }>();
    this.inputs.forEach((t, i) => values.set(t, { v: this.checkInput(t, i, xs[i]), mask: options.masks?.[i] }));
    // Batches of other known shapes (longer sequences) run where every layer's weights fit them.
    const given = this.inputs.map((t) => values.get(t)!.v.shape.slice(1) as number[]);
    if (given.some((s, i) => !sameDims(s, this.built![i]!))) this.outputShapesFor(given, xs.map((x) => x.describe()).join(', '));
    const training = options.training === undefined ? {} : { training: options.training };
    for (const c of this.calls) {
      const ins = c.inputs.map((t) => values.get(t)!);
      const { outputs, masks } = c.layer.callWithMasks(ins.map((e) => e.v), { ...training, masks: ins.map((e) => e.mask) });
      c.outputs.forEach((t, i) => values.set(t, { v: outputs[i]!, mask: masks[i] }));
    }
    return { outputs: this.outputs.map((t) => values.get(t)!.v), masks: this.outputs.map((t) => values.get(t)!.mask) };
  }

  parameters(): SharedVariable[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  /** The layers' untrained state (BatchNormalization's moving statistics), saved with the parameters. */
  stateVariables(): SharedVariable[] {
    return this.layers.flatMap((l) => l.stateVariables());
  }

  /** The number of scalar parameters (trainable; `stateVariables()` hold the rest). */
  countParameters(): number {
    return countElements(this.parameters());
  }

  /**
   * A table of the Inputs and layer calls with their output shapes, parameter counts and the
   * tensors each call reads (`dense_0`, or `dense_0[1]` for a shared layer's second call).
   *
   * @example
   * ```ts
   * console.log(model.summary());
   * // Model: model
   * // Layer (type)       Output shape   Params   Connected to
   * // features (Input)   [null, 64]          0
   * // dense_0 (Dense)    [null, 64]      4,160   features
   * // …
   * ```
   */
  summary(): string {
    const seen = new Set<Layer>();
    const rows = [
      ...this.inputs.map((t) => [`${t.name} (Input)`, formatDims([null, ...t.shape]), '0', '']),
      ...this.calls.map((c) => {
        const first = !seen.has(c.layer);
        seen.add(c.layer);
        const params = first ? countElements([...c.layer.parameters(), ...c.layer.stateVariables()]).toLocaleString('en-US') : 'shared';
        return [`${this.refName(c.outputs[0]!)} (${c.layer.className})`, c.outputs.map((t) => formatDims([null, ...this.shapeOf(t)])).join(', '), params, c.inputs.map((t) => this.refName(t)).join(', ')];
      }),
    ];
    return renderSummary(this.name, ['Layer (type)', 'Output shape', 'Params', 'Connected to'], rows, this.countParameters(), countElements(this.stateVariables()));
  }

  /** The configuration as JSON-ready data; `FunctionalModel.fromConfig` rebuilds the model (weights are saved separately). */
  toConfig(): FunctionalModelConfig {
    return {
      format: 'symgrad-nn/model',
      version: 1,
      className: 'FunctionalModel',
      config: {
        name: this.name,
        seed: this.seed,
        inputs: this.inputs.map((t) => ({ name: t.name!, shape: [...t.shape], dtype: t.dtype })),
        ...(this.built && this.inputs.some((t) => t.shape.includes(null)) ? { buildShapes: this.built.map((s) => [...s]) } : {}),
        layers: this.layers.map((l) => ({
          className: l.className,
          config: l.getConfig(),
          calls: this.calls.filter((c) => c.layer === l).map((c) => c.inputs.map((t) => this.ref(t))),
        })),
        outputs: this.outputs.map((t) => this.ref(t)),
      },
    };
  }

  /**
   * Rebuilds a model from `toConfig()` output (or its JSON text), with fresh weights. Checks
   * the structure and throws a clear Error for anything malformed.
   *
   * @example
   * ```ts
   * const copy = FunctionalModel.fromConfig(JSON.stringify(model.toConfig()));
   * ```
   */
  static fromConfig(config: FunctionalModelConfig | string): FunctionalModel {
    const who = 'FunctionalModel.fromConfig';
    const o = readModelConfig(who, config);
    if (o.className !== 'FunctionalModel') throw new Error(`${who}: unsupported model class ${JSON.stringify(o.className)}`);
    const body = o.config as Partial<FunctionalModelConfig['config']> | null;
    if (typeof body !== 'object' || body === null || !Array.isArray(body.inputs) || !Array.isArray(body.layers) || !Array.isArray(body.outputs)) {
      throw new Error(`${who}: config must have inputs, layers and outputs arrays`);
    }
    const tensors = new Map<string, SymbolicTensor>();
    const key = (ref: unknown): string => {
      const ok = Array.isArray(ref) && (ref.length === 2 || ref.length === 3) && typeof ref[0] === 'string' && ref.slice(1).every((i) => Number.isInteger(i));
      if (!ok) throw new Error(`${who}: a tensor reference must be [name, call index] or [name, call index, output index], got ${JSON.stringify(ref)}`);
      return `${ref[0]}#${ref[1]}#${ref[2] ?? 0}`;
    };
    const inputs = body.inputs.map((spec) => {
      const t = new Input(spec?.shape, { ...(spec?.dtype === undefined ? {} : { dtype: spec.dtype }), ...(spec?.name === undefined ? {} : { name: spec.name }) });
      tensors.set(`${t.name}#0#0`, t);
      return t;
    });
    // A shared layer's later calls may read layers listed after it: apply calls as their inputs appear.
    const pending = body.layers.map((spec) => {
      if (!Array.isArray(spec?.calls)) throw new Error(`${who}: layer ${JSON.stringify(spec?.config?.['name'] ?? spec?.className)} has no calls array`);
      return { layer: layerFromConfig(spec), calls: spec.calls, next: 0 };
    });
    for (let progress = true; progress;) {
      progress = false;
      for (const p of pending) {
        while (p.next < p.calls.length) {
          const refs = p.calls[p.next]!;
          if (!Array.isArray(refs)) throw new Error(`${who}: each call of ${p.layer.describe()} must be an array of tensor references`);
          const ins = refs.map((r) => tensors.get(key(r)));
          if (ins.some((t) => t === undefined)) break;
          p.layer.applyAll(ins as SymbolicTensor[]).forEach((t, i) => tensors.set(`${p.layer.name}#${p.next}#${i}`, t));
          p.next++;
          progress = true;
        }
      }
    }
    const stuck = pending.find((p) => p.next < p.calls.length);
    if (stuck) throw new Error(`${who}: call ${stuck.next} of ${stuck.layer.describe()} reads ${JSON.stringify(stuck.calls[stuck.next])}, which no input or layer call gives`);
    const outputs = body.outputs.map((r) => {
      const t = tensors.get(key(r));
      if (!t) throw new Error(`${who}: output ${JSON.stringify(r)} is no input or layer call of the configuration`);
      return t;
    });
    const model = new FunctionalModel({ inputs, outputs }, {
      ...(typeof body.name === 'string' ? { name: body.name } : {}),
      ...(typeof body.seed === 'number' ? { seed: body.seed } : {}),
    });
    if (body.buildShapes !== undefined) model.build(body.buildShapes);
    return model;
  }

  /** `FunctionalModel 'name'`. */
  describe(): string {
    return `FunctionalModel '${this.name}'`;
  }

  private nameInputs(): void {
    const taken = new Set<string>();
    for (const t of this.inputs) {
      if (t.name === undefined) continue;
      if (taken.has(t.name)) throw new Error(`${this.describe()}: two Inputs are named '${t.name}'`);
      taken.add(t.name);
    }
    let k = 0;
    for (const t of this.inputs) {
      if (t.name !== undefined) continue;
      while (taken.has(`input_${k}`)) k++;
      t.name = `input_${k}`;
      taken.add(t.name);
    }
  }

  /** The calls the outputs depend on, each after its inputs (a depth-first walk from the outputs, inputs in order). */
  private orderCalls(): LayerCall[] {
    const order: LayerCall[] = [];
    const seen = new Set<LayerCall>();
    // The call giving a tensor, or undefined for one of the model's Inputs.
    const callOf = (t: SymbolicTensor): LayerCall | undefined => {
      if (t instanceof Input) {
        if (!this.inputs.includes(t)) throw new Error(`${this.describe()}: the outputs depend on ${t.describe()}, which is not among the model's inputs (${this.inputs.map((i) => i.describe()).join(', ')})`);
        return undefined;
      }
      return t.call!;
    };
    for (const out of this.outputs) {
      const root = callOf(out);
      if (!root || seen.has(root)) continue;
      // An explicit stack: deep models (hundreds of calls) must not overflow the call stack.
      // A tensor's inputs exist before it, so the graph has no cycles to guard against.
      seen.add(root);
      const stack: { c: LayerCall; next: number }[] = [{ c: root, next: 0 }];
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        if (top.next < top.c.inputs.length) {
          const child = callOf(top.c.inputs[top.next++]!);
          if (child && !seen.has(child)) {
            seen.add(child);
            stack.push({ c: child, next: 0 });
          }
          continue;
        }
        order.push(top.c);
        stack.pop();
      }
    }
    return order;
  }

  /** Parameter names identify tensors in saved files, so two layers (nested models' included) must not share one. */
  private checkVariableNames(): void {
    const owner = new Map<string, Layer>();
    for (const l of this.layers) {
      for (const v of [...l.parameters(), ...l.stateVariables()]) {
        const other = owner.get(v.name ?? '');
        if (other && other !== l) {
          throw new Error(`${this.describe()}: ${other.describe()} and ${l.describe()} both have a variable named '${v.name}' (nested models whose layers have the same names); name the layers of one of them (new Dense(8, { name: 'head_dense' }))`);
        }
        owner.set(v.name ?? '', l);
      }
    }
  }

  /** Builds a model of Inputs with unknown axes for the shapes of its first batches, which must fill them in. */
  private buildFromBatches(xs: readonly Variable[]): void {
    const shapes = this.inputs.map((t, i) => {
      const x = xs[i];
      if (typeof x !== 'object' || x === null || !('ndim' in x)) throw new TypeError(`${this.describe()}.apply: the batch of ${t.describe()} must be a symbolic variable, got ${kindOf(x)}`);
      const perExample = x.shape.slice(1).map((d, j) => d ?? t.shape[j] ?? null);
      if (x.ndim !== t.shape.length + 1 || perExample.some((d) => d === null)) {
        throw new Error(`${this.describe()}: ${t.describe()} has unknown axes, so the model is built by its first batch, which must fill them in; got ${x.describe()} (give it static axes: T.tensor('int32', [null, 40]), or call model.build([[40]]) first)`);
      }
      return perExample as number[];
    });
    this.build(shapes);
  }

  /** Builds every layer for per-example input shapes (the Inputs', or shapes filling in their unknown axes). */
  private buildAt(inputShapes: readonly (readonly number[])[]): void {
    this.inputs.forEach((t, i) => this.shapes.set(t, inputShapes[i]!));
    for (const c of this.calls) {
      const layer = c.layer;
      const shapes = c.inputs.map((t) => this.shapes.get(t)!);
      try {
        const first = layer.buildInputs(shapes, { name: layer.name!, seed: deriveSeed(this.seed, this.layers.indexOf(layer)) });
        c.outputs.forEach((t, i) => this.shapes.set(t, i === 0 ? first : layer.outputShapes[i]!));
      } catch (err) {
        const message = `${this.describe()}: ${(err as Error).message}${atSite(c.callSite)}`;
        throw err instanceof TypeError ? new TypeError(message, { cause: err }) : err instanceof RangeError ? new RangeError(message, { cause: err }) : new Error(message, { cause: err });
      }
    }
    this.built = inputShapes.map((s) => [...s]);
    this.checkVariableNames();
  }

  /** A user's batch for Input `t`, checked against its shape and dtype. */
  private checkInput(t: Input, index: number, x: Variable | undefined): Variable {
    if (typeof x !== 'object' || x === null || !('ndim' in x)) throw new TypeError(`${this.describe()}.apply: the batch of ${t.describe()} must be a symbolic variable, got ${kindOf(x)}`);
    const perExample = x.shape.slice(1);
    const other = x.ndim === t.shape.length + 1 && perExample.every((d) => d !== null);
    if (!other && (x.ndim !== t.shape.length + 1 || perExample.some((d, i) => d !== null && d !== t.shape[i]))) {
      throw new Error(`${this.describe()}: ${t.describe()} expects batches of shape ${formatDims([null, ...t.shape])}, got ${x.describe()}`);
    }
    const isInt = x.dtype === 'int32';
    if ((t.dtype === 'int32') !== isInt) throw new TypeError(`${this.describe()}: ${t.describe()} expects ${t.dtype === 'int32' ? 'int32 ids' : 'floats'}, got ${x.describe()}`);
    // The static axes it was built for, so layers called on several shapes see which one this is (a view, no copy).
    return perExample.some((d) => d === null) ? T.reshape(x, [-1, ...perExample.map((d, j) => d ?? this.built![index]![j]!)]) : x;
  }

  /** `dense_0`, `dense_0[1]` for a shared layer's second call, `lstm_0.2` for a call's third output. */
  private refName(t: SymbolicTensor): string {
    const [name, call, output] = this.ref(t);
    return `${name}${call === 0 ? '' : `[${call}]`}${output === undefined ? '' : `.${output}`}`;
  }

  private ref(t: SymbolicTensor): TensorRef {
    if (t instanceof Input) return [t.name!, 0];
    const call = this.calls.filter((c) => c.layer === t.layer).indexOf(t.call!);
    return t.index === 0 ? [t.layer!.name!, call] : [t.layer!.name!, call, t.index];
  }
}
