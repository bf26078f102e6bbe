/**
 * Sequential models: a list of layers applied in order. The model is symbolic: `apply`
 * returns a Variable, which losses, `grad` and `fn` use like any other.
 */
import { kindOf, type SharedVariable, type Variable } from '@symgrad/core';
import { deriveSeed } from '../random-stream.js';
import { formatDims, nameLayers, sameDims, type ApplyOptions, type Layer, type LayerConfig, type MultiApplyOptions } from './layer.js';
import { ModelLayer, nestedLayerNames } from './model-layer.js';
import { SymbolicTensor } from './symbolic-tensor.js';
import { countElements, readModelConfig, renderSummary, type Model, type ModelConfigEnvelope } from './model.js';
import { layerFromConfig } from './registry.js';

/** A model that can stand in a Sequential's list: anything with a layer view (a FunctionalModel). */
export interface FunctionalModelLike {
  asLayer(): Layer;
}

export interface SequentialOptions {
  /**
   * The per-example input shape (without the batch axis), e.g. [784]. Builds the model at
   * once; with an unknown axis (`[null]`, ids of any length) the first batch builds it, and it
   * runs on other lengths after.
   */
  readonly inputShape?: readonly (number | null)[];
  /** Seed from which each layer's initializer and dropout seeds are derived; 0 by default. */
  readonly seed?: number;
  readonly name?: string;
}

/** A Sequential model's saved configuration (JSON). */
export type SequentialConfig = ModelConfigEnvelope<'Sequential', {
  readonly name: string;
  readonly inputShape: readonly number[] | null;
  readonly seed: number;
  readonly layers: readonly LayerConfig[];
}>;

/**
 * Layers applied one after the other. Layers without a name are named by kind and position
 * among layers of that kind (`dense_0`, `dense_1`, `dropout_0`), and parameters after their
 * layer (`dense_0/kernel`), so the names are stable for save and load.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Dense(256, { activation: 'relu', kernelInitializer: 'heNormal' }),
 *   new Dense(10),
 * ], { inputShape: [784], seed: 1 });
 * const x = T.matrix('x');
 * const logits = model.apply(x);              // Variable [null, 10]
 * console.log(model.summary());
 * ```
 */
export class Sequential implements Model {
  readonly layers: readonly Layer[];
  readonly name: string;
  readonly seed: number;
  private shapes: { input: readonly number[]; output: readonly number[] } | undefined;
  /** An `inputShape` with unknown axes (`[null]`: sequences of any length), which the first batch fills in. */
  private readonly declared: readonly (number | null)[] | undefined;
  private layerView: ModelLayer | undefined;

  constructor(layers: readonly (Layer | Sequential | FunctionalModelLike)[], options: SequentialOptions = {}) {
    if (!Array.isArray(layers)) throw new TypeError(`Sequential: expected an array of layers, got ${kindOf(layers)}`);
    // A model in the list (a pretrained base, say) is its layer view.
    const asLayers = layers.map((l) => (typeof (l as Partial<{ asLayer(): Layer }>)?.asLayer === 'function' ? (l as unknown as { asLayer(): Layer }).asLayer() : l));
    asLayers.forEach((l, i) => {
      if (typeof l !== 'object' || l === null || typeof (l as Layer).build !== 'function') {
        throw new TypeError(`Sequential: element ${i} is not a layer`);
      }
    });
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new TypeError(`Sequential: seed must be a safe integer, got ${seed}`);
    this.layers = asLayers;
    this.name = options.name ?? 'sequential';
    this.seed = seed;
    nameLayers(this.layers, this.describe(), nestedLayerNames(this.layers));
    const open = Array.isArray(options.inputShape) && options.inputShape.includes(null);
    this.declared = open ? [...options.inputShape!] : undefined;
    if (options.inputShape !== undefined && !open) this.build(options.inputShape as number[]);
  }

  /** True once every layer has its parameters. */
  get built(): boolean {
    return this.shapes !== undefined;
  }

  /** The per-example input shape. */
  get inputShape(): readonly number[] {
    return this.requireBuilt().input;
  }

  /** The per-example output shape. */
  get outputShape(): readonly number[] {
    return this.requireBuilt().output;
  }

  /**
   * Builds every layer for a per-example input shape (done by the constructor when
   * `inputShape` is given, or by the first `apply`).
   */
  build(inputShape: readonly number[]): void {
    if (!Array.isArray(inputShape) || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new RangeError(`${this.describe()}: inputShape must be an array of positive integers (without the batch axis), got ${Array.isArray(inputShape) ? formatDims(inputShape) : String(inputShape)}`);
    }
    const d = this.declared;
    if (!this.shapes && d && (inputShape.length !== d.length || inputShape.some((n, i) => d[i] !== null && d[i] !== n))) {
      throw new Error(`${this.describe()}: per-example inputs ${formatDims(inputShape)} do not fill in its inputShape ${formatDims(d)}`);
    }
    if (this.shapes) {
      if (!sameDims(inputShape, this.shapes.input)) {
        throw new Error(`${this.describe()} is built for per-example inputs ${formatDims(this.shapes.input)}, not ${formatDims(inputShape)}`);
      }
      return;
    }
    const multiple = this.layers.find((l) => l.outputCount > 1);
    if (multiple) throw new Error(`${this.describe()}: ${multiple.describe()} gives ${multiple.outputCount} tensors (returnState), but each layer of a Sequential gives one; use it in a FunctionalModel with applyAll`);
    let shape: readonly number[] = [...inputShape];
    this.layers.forEach((layer, i) => {
      shape = layer.build(shape, { name: layer.name!, seed: deriveSeed(this.seed, i) });
    });
    this.shapes = { input: [...inputShape], output: [...shape] };
  }

  /**
   * The model's symbolic output for a batch `x` of shape [batch, …inputShape]. With
   * `{ training: true }` layers such as Dropout act as in training (see `hostFeeds`).
   * Applied to a SymbolicTensor while wiring a functional model, the whole model is one call
   * of that model (its weights shared by every call).
   */
  apply(x: SymbolicTensor): SymbolicTensor;
  apply(x: Variable, options?: ApplyOptions): Variable;
  apply(x: Variable | SymbolicTensor, options: ApplyOptions = {}): Variable | SymbolicTensor {
    if (x instanceof SymbolicTensor) return this.asLayer().apply(x);
    return this.runWithMasks([x], { ...(options.training === undefined ? {} : { training: options.training }), masks: [options.mask] }).outputs[0]!;
  }

  /** The model as a layer of functional models (what `apply` on a SymbolicTensor calls): one layer per model, so its weights are shared. */
  asLayer(): ModelLayer {
    return (this.layerView ??= new ModelLayer(this));
  }

  /** Its layers' names, nested models' included. @internal */
  innerLayerNames(): string[] {
    return this.layers.flatMap((l) => [l.name!, ...(l instanceof ModelLayer ? l.model.innerLayerNames() : [])]);
  }

  /** One input. @internal */
  get inputCount(): number {
    return 1;
  }

  /** One output. @internal */
  get outputCount(): number {
    return 1;
  }

  /** [inputShape], once built. @internal */
  get inputShapes(): readonly (readonly number[])[] {
    return [this.inputShape];
  }

  /** [outputShape], once built. @internal */
  get outputShapes(): readonly (readonly number[])[] {
    return [this.outputShape];
  }

  /**
   * The per-example output shapes for inputs of another per-example shape than the built one
   * (sequences of another length), where every layer's weights fit them; throws naming the
   * first layer they do not fit.
   *
   * @example
   * ```ts
   * const model = new Sequential([new LSTM(32, { returnSequences: true }), new Dense(4)], { inputShape: [40, 8] });
   * model.outputShapesFor([[100, 8]]); // [[100, 4]]
   * ```
   */
  outputShapesFor(shapes: readonly (readonly number[])[], what?: string): readonly (readonly number[])[] {
    this.requireBuilt();
    if (shapes.length !== 1) throw new Error(`${this.describe()} takes one input, got ${shapes.length}`);
    let shape = shapes[0]!;
    for (const layer of this.layers) {
      try {
        // A built layer only checks the shape (and notes it): the context goes unused.
        shape = layer.build(shape, { name: layer.name!, seed: 0 });
      } catch (err) {
        const given = what ?? `inputs of per-example shape ${formatDims(shapes[0]!)}`;
        throw new Error(`${this.describe()}: cannot take ${given} (built for ${formatDims(this.inputShape)}): ${(err as Error).message}`, { cause: err });
      }
    }
    return [shape];
  }

  /** Builds for the one per-example shape given, or checks it against the built one. @internal */
  buildFor(shapes: readonly (readonly number[])[]): void {
    if (shapes.length !== 1) throw new Error(`${this.describe()} takes one input, got ${shapes.length}`);
    // Built: inputs of another shape are checked against every layer (sequences of another length).
    if (this.shapes && !sameDims(shapes[0]!, this.shapes.input) && shapes[0]!.length === this.shapes.input.length) this.outputShapesFor(shapes);
    else this.build(shapes[0]!);
  }

  /** The output and its mask for one batch (see `apply`). @internal */
  runWithMasks(inputs: readonly Variable[], options: MultiApplyOptions): { outputs: Variable[]; masks: (Variable | undefined)[] } {
    const x = inputs[0]!;
    if (Array.isArray(x)) throw new TypeError(`${this.describe()}.apply: a Sequential model takes one input, got an array of ${x.length}; a model of several inputs is a FunctionalModel`);
    if (typeof x !== 'object' || x === null || !('ndim' in x)) throw new TypeError(`${this.describe()}.apply: x must be a symbolic variable`);
    const perExample = x.shape.slice(1);
    if (!this.shapes && this.declared) {
      const d = this.declared;
      const filled = perExample.map((n, i) => n ?? d[i] ?? null);
      if (x.ndim !== d.length + 1 || filled.some((n, i) => n === null || (d[i] !== null && d[i] !== n))) {
        throw new Error(`${this.describe()}: its inputShape ${formatDims(d)} has unknown axes, so it is built by its first batch, which must fill them in; got ${x.describe()} (give it static axes, or call model.build([…]) first)`);
      }
      this.build(filled as number[]);
    }
    if (!this.shapes) {
      if (x.ndim < 2 || perExample.some((d) => d === null)) {
        throw new Error(`${this.describe()}: cannot infer the input shape from ${x.describe()}; give the model an inputShape, e.g. new Sequential(layers, { inputShape: [784] })`);
      }
      this.build(perExample as number[]);
    }
    const want = this.shapes!.input;
    const other = x.ndim === want.length + 1 && perExample.every((d) => d !== null) && !sameDims(perExample as number[], want);
    // A batch of another known shape (longer sequences) runs where every layer's weights fit it.
    if (other) this.outputShapesFor([perExample as number[]], x.describe());
    else if (x.ndim !== want.length + 1 || perExample.some((d, i) => d !== null && d !== want[i])) {
      throw new Error(`${this.describe()}: expected input of shape ${formatDims([null, ...want])}, got ${x.describe()}`);
    }
    let h = x;
    let mask = options.masks?.[0];
    const rest = options.training === undefined ? {} : { training: options.training };
    for (const layer of this.layers) {
      const next = layer.call(h, { ...rest, ...(mask ? { mask } : {}) });
      mask = layer.computeMask(h, mask);
      h = next;
    }
    return { outputs: [h], masks: [mask] };
  }

  parameters(): SharedVariable[] {
    this.requireBuilt();
    return this.layers.flatMap((l) => l.parameters());
  }

  /** The layers' untrained state (BatchNormalization's moving statistics), saved with the parameters. */
  stateVariables(): SharedVariable[] {
    this.requireBuilt();
    return this.layers.flatMap((l) => l.stateVariables());
  }

  /** The number of scalar parameters (trainable; `stateVariables()` hold the rest). */
  countParameters(): number {
    return countElements(this.parameters());
  }

  /**
   * A table of layers with their output shapes and parameter counts (state such as moving
   * statistics included, as Keras counts them), and the totals.
   *
   * @example
   * ```ts
   * console.log(model.summary());
   * // Model: sequential
   * // Layer (type)       Output shape   Params
   * // dense_0 (Dense)    [null, 256]    200,960
   * // …
   * ```
   */
  summary(): string {
    this.requireBuilt();
    const rows = this.layers.map((l) => [
      `${l.name} (${l.className})`,
      formatDims([null, ...l.outputShape]),
      countElements([...l.parameters(), ...l.stateVariables()]).toLocaleString('en-US'),
    ]);
    return renderSummary(this.name, ['Layer (type)', 'Output shape', 'Params'], rows, this.countParameters(), countElements(this.stateVariables()));
  }

  /** The configuration as JSON-ready data; `Sequential.fromConfig` rebuilds the model (weights are saved separately). */
  toConfig(): SequentialConfig {
    return {
      format: 'symgrad-nn/model',
      version: 1,
      className: 'Sequential',
      config: {
        name: this.name,
        inputShape: this.shapes ? [...this.shapes.input] : null,
        seed: this.seed,
        layers: this.layers.map((l) => ({ className: l.className, config: l.getConfig() })),
      },
    };
  }

  /**
   * Rebuilds a model from `toConfig()` output (or its JSON text). Checks the structure and
   * throws a clear Error for anything malformed.
   *
   * @example
   * ```ts
   * const copy = Sequential.fromConfig(JSON.stringify(model.toConfig()));
   * ```
   */
  static fromConfig(config: SequentialConfig | string): Sequential {
    const o = readModelConfig('Sequential.fromConfig', config);
    if (o.className !== 'Sequential') throw new Error(`Sequential.fromConfig: unsupported model class ${JSON.stringify(o.className)}`);
    const body = o.config as Partial<SequentialConfig['config']> | null;
    if (typeof body !== 'object' || body === null || !Array.isArray(body.layers)) throw new Error('Sequential.fromConfig: config.layers must be an array');
    const layers = body.layers.map((l) => layerFromConfig(l));
    return new Sequential(layers, {
      ...(typeof body.name === 'string' ? { name: body.name } : {}),
      ...(typeof body.seed === 'number' ? { seed: body.seed } : {}),
      ...(Array.isArray(body.inputShape) ? { inputShape: body.inputShape } : {}),
    });
  }

  /** `Sequential 'name'`. */
  describe(): string {
    return `Sequential '${this.name}'`;
  }

  private requireBuilt(): { input: readonly number[]; output: readonly number[] } {
    if (!this.shapes && this.declared) throw new Error(`${this.describe()} is not built yet: its inputShape ${formatDims(this.declared)} has unknown axes; apply it to a batch, or give the shape with model.build([…])`);
    if (!this.shapes) throw new Error(`${this.describe()} is not built yet: give it an inputShape (new Sequential(layers, { inputShape: [784] })) or apply it to an input once`);
    return this.shapes;
  }
}
