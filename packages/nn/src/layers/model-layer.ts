/**
 * A model used as a layer of a functional model (Keras's `model(x)`): `encoder.apply(x)` on
 * symbolic tensors wires the whole model in as one call, its weights shared by every call.
 */
import type { SharedVariable, Variable } from '@symgrad/core';
import { formatDims, Layer, sameDims, type ApplyOptions, type BuildContext, type MultiApplyOptions } from './layer.js';

/** What a model gives to be a layer: its shapes, and a run that returns its outputs' masks too. @internal */
export interface NestableModel {
  readonly name: string;
  readonly inputCount: number;
  readonly outputCount: number;
  /** Builds the model for these per-example input shapes if it is not built, else checks them. */
  buildFor(shapes: readonly (readonly number[])[]): void;
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShapes: readonly (readonly number[])[];
  /** The output shapes for inputs of other shapes (sequences of other lengths) where its layers' weights fit them; throws otherwise. */
  outputShapesFor(shapes: readonly (readonly number[])[]): readonly (readonly number[])[];
  runWithMasks(xs: readonly Variable[], options: MultiApplyOptions): { outputs: Variable[]; masks: (Variable | undefined)[] };
  parameters(): SharedVariable[];
  stateVariables(): SharedVariable[];
  toConfig(): { readonly className: string; readonly config: unknown };
  /** The names of its layers, nested models' included: a model holding it must not give them to its own layers. */
  innerLayerNames(): string[];
  describe(): string;
}

/**
 * The layer a model becomes inside a functional model: named as the model, with its
 * parameters, its configuration (the model's) and one call per application.
 *
 * @example
 * ```ts
 * const encoder = new Sequential([new Dense(16, { activation: 'relu' })], { inputShape: [8], name: 'encoder' });
 * const [a, b] = [new Input([8]), new Input([8])];
 * const same = new Add().apply([encoder.apply(a), encoder.apply(b)]);   // one encoder, two calls
 * ```
 */
export class ModelLayer extends Layer {
  readonly className: string;
  readonly model: NestableModel;
  private lastRun: { xs: readonly Variable[]; masks: readonly (Variable | undefined)[]; result: { outputs: Variable[]; masks: (Variable | undefined)[] } } | undefined;

  constructor(model: NestableModel) {
    super(model.name);
    this.model = model;
    this.className = model.toConfig().className;
  }

  override get inputArity(): readonly [number, number] {
    return [this.model.inputCount, this.model.inputCount];
  }

  override get outputCount(): number {
    return this.model.outputCount;
  }

  protected override outputNames(): string[] {
    return this.model.outputShapes.map((_, i) => `output ${i}`);
  }

  override get outputShapes(): readonly (readonly number[])[] {
    return this.model.outputShapes;
  }

  protected buildLayer(inputShape: readonly number[], _ctx: BuildContext): readonly number[] {
    return this.buildManyLayer([inputShape], _ctx);
  }

  protected override buildManyLayer(shapes: readonly (readonly number[])[], _ctx: BuildContext): readonly number[] {
    this.model.buildFor(shapes);
    return this.model.outputShapesFor(shapes)[0]!;
  }

  /** Inputs of other shapes, where the model's layers take them (sequences of other lengths). */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] | undefined {
    return this.model.outputShapesFor([inputShape])[0];
  }

  protected override outputShapeForInputs(shapes: readonly (readonly number[])[]): readonly number[] | undefined {
    return this.model.outputShapesFor(shapes)[0];
  }

  protected callLayer(x: Variable, options: ApplyOptions): Variable {
    return this.run([x], { ...(options.training === undefined ? {} : { training: options.training }), masks: [options.mask] }).outputs[0]!;
  }

  protected override callManyLayer(xs: readonly Variable[], options: MultiApplyOptions): Variable {
    return this.run(xs, options).outputs[0]!;
  }

  override callOutputs(xs: readonly Variable[], options: MultiApplyOptions = {}): Variable[] {
    return this.run(xs, options).outputs;
  }

  override callWithMasks(xs: readonly Variable[], options: MultiApplyOptions = {}): { outputs: Variable[]; masks: (Variable | undefined)[] } {
    return this.run(xs, options);
  }

  /** The model's output mask (a Sequential nested in a Sequential computes it apart from the output). */
  override computeMask(x: Variable, mask: Variable | undefined): Variable | undefined {
    return this.masksOf([x], [mask])[0];
  }

  override computeMaskInputs(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): Variable | undefined {
    return this.masksOf(xs, masks)[0];
  }

  override computeOutputMasks(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): (Variable | undefined)[] {
    return this.masksOf(xs, masks);
  }

  override parameters(): SharedVariable[] {
    return this.model.parameters();
  }

  override stateVariables(): SharedVariable[] {
    return this.model.stateVariables();
  }

  /** The model's own configuration, which `layerFromConfig` turns back into the model. */
  getConfig(): Record<string, unknown> {
    return this.model.toConfig().config as Record<string, unknown>;
  }

  /**
   * The output masks for these inputs and masks: those of the last run when it had them (a
   * Sequential asks for the mask right after the call), so the model's graph is not built twice.
   */
  private masksOf(xs: readonly Variable[], masks: readonly (Variable | undefined)[]): (Variable | undefined)[] {
    const last = this.lastRun;
    const same = last !== undefined && last.xs.length === xs.length && xs.every((x, i) => x === last.xs[i] && masks[i] === last.masks[i]);
    return same ? last.result.masks : this.run(xs, { masks }).masks;
  }

  private run(xs: readonly Variable[], options: MultiApplyOptions): { outputs: Variable[]; masks: (Variable | undefined)[] } {
    if (xs.length !== this.model.inputCount) throw new Error(`${this.describe()}: the model takes ${this.model.inputCount} input${this.model.inputCount === 1 ? '' : 's'}, got ${xs.length}`);
    const result = this.model.runWithMasks(xs, options);
    this.lastRun = { xs: [...xs], masks: xs.map((_, i) => options.masks?.[i]), result };
    return result;
  }
}

/**
 * The names a model's own layers must not take, with what holds them: those of the layers of
 * the models among `layers` (nested models), whose parameters are named after them. @internal
 */
export function nestedLayerNames(layers: readonly Layer[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of layers) {
    if (l instanceof ModelLayer) for (const name of l.model.innerLayerNames()) out.set(name, `a layer of ${l.model.describe()}`);
  }
  return out;
}

/** Throws unless `shapes` are the per-example shapes `want` a built model takes. @internal */
export function checkModelInputShapes(who: string, want: readonly (readonly (number | null)[])[], shapes: readonly (readonly number[])[]): void {
  const same = want.length === shapes.length && want.every((w, i) => sameDims(w, shapes[i]!));
  if (!same) throw new Error(`${who} takes per-example inputs ${want.map(formatDims).join(', ')}, got ${shapes.map(formatDims).join(', ')}`);
}
