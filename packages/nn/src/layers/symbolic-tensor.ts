/**
 * The wiring of functional models (Keras's functional API): an `Input` stands for a batch of
 * a model's inputs, and `layer.apply(t)` records a call of a layer on symbolic tensors. No
 * layer is built here: a `FunctionalModel` builds, names and seeds its layers from the
 * `Input` shapes when it is made, so names and initial weights do not depend on what else
 * the program has created.
 */
import { captureCallSite, kindOf, Variable } from '@symgrad/core';
import { formatDims, type Layer } from './layer.js';

/** The dtypes a model input may have: floats, or int32 ids (an Embedding's). */
export type InputDType = 'float32' | 'float64' | 'int32';

/**
 * A tensor of a functional model while it is wired: an `Input`, or the output of a layer's
 * call on other symbolic tensors. It holds no data and no shape beyond its `Input`s'; the
 * model computes shapes when it is made (`model.shapeOf(t)`).
 *
 * @example
 * ```ts
 * const x = new Input([16]);
 * const h: SymbolicTensor = new Dense(8).apply(x);   // h.layer is the Dense, h.inputs is [x]
 * const model = new FunctionalModel({ inputs: x, outputs: h });
 * model.shapeOf(h);                                    // [8]
 * ```
 */
export class SymbolicTensor {
  /** The layer call that gives this tensor, or undefined for an `Input`. */
  readonly call: LayerCall | undefined;
  /** Which of the call's outputs this is (0 but for layers of several outputs, such as a recurrent layer with `returnState`). */
  readonly index: number;

  protected constructor(call: LayerCall | undefined, index: number) {
    this.call = call;
    this.index = index;
  }

  /** The layer whose call gives this tensor, or undefined for an `Input`. */
  get layer(): Layer | undefined {
    return this.call?.layer;
  }

  /** The tensors the layer was applied to (empty for an `Input`). */
  get inputs(): readonly SymbolicTensor[] {
    return this.call?.inputs ?? [];
  }

  /** `the output of Dense 'dense_0'` (`output 1 of …` for a later output), for messages. */
  describe(): string {
    return `${this.index === 0 ? 'the output' : `output ${this.index}`} of ${this.layer!.describe()}`;
  }

  /** @internal */
  static ofCall(call: LayerCall, index: number): SymbolicTensor {
    return new SymbolicTensor(call, index);
  }
}

/** One call of a layer while a functional model is wired: the layer, what it reads, what it gives, and where the user made it. */
export interface LayerCall {
  readonly layer: Layer;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** Where the user applied the layer (file:line:col), for errors at build time. */
  readonly callSite: string | undefined;
}

/** The options of an `Input`. */
export interface InputOptions {
  /** 'float32' by default; 'int32' for token ids. */
  readonly dtype?: InputDType;
  /** The input's name (unique in its model); `input_<i>` by position in the model's inputs when omitted. */
  readonly name?: string;
}

/**
 * A batch of one of a functional model's inputs, of per-example `shape` (no batch axis):
 * Keras's `Input(shape=…)`. An axis may be `null` (sequences of any length): the model is then
 * built by its first batch (or `model.build(shapes)`), and runs on other lengths after.
 *
 * @example
 * ```ts
 * const tokens = new Input([40], { dtype: 'int32', name: 'tokens' });
 * const h = new Embedding(5000, 32).apply(tokens);
 * const text = new Input([null], { dtype: 'int32' });   // any length
 * ```
 */
export class Input extends SymbolicTensor {
  readonly shape: readonly (number | null)[];
  readonly dtype: InputDType;
  /** The given name, or the one the model assigns by position. */
  name: string | undefined;

  constructor(shape: readonly (number | null)[], options: InputOptions = {}) {
    super(undefined, 0);
    if (!Array.isArray(shape) || shape.some((d) => d !== null && (!Number.isInteger(d) || d <= 0))) {
      throw new RangeError(`Input: shape must be an array of positive integers or null (an axis of any size), without the batch axis, got ${Array.isArray(shape) ? formatDims(shape) : kindOf(shape)}`);
    }
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') throw new TypeError(`Input: dtype must be 'float32', 'float64' or 'int32', got ${JSON.stringify(dtype)}`);
    const name = options.name;
    if (name !== undefined && (typeof name !== 'string' || name === '' || name.includes('/'))) {
      throw new TypeError(`Input: name must be a non-empty string without '/', got ${JSON.stringify(name)}`);
    }
    this.shape = [...shape];
    this.dtype = dtype;
    this.name = name;
  }

  override describe(): string {
    return `Input${this.name === undefined ? '' : ` '${this.name}'`} ${formatDims([null, ...this.shape])} ${this.dtype}`;
  }
}

/** What a value given where a SymbolicTensor belongs is: a core Variable by its description, anything else by kind. @internal */
export function describeNonTensor(v: unknown): string {
  return v instanceof Variable ? `the Variable ${v.describe()}` : kindOf(v);
}

/** Records a call of `layer` on symbolic tensors and returns its outputs (see `Layer.apply`, `Layer.applyAll`). @internal */
export function applyLayer(layer: Layer, given: SymbolicTensor | readonly SymbolicTensor[], who: string): SymbolicTensor[] {
  const inputs = Array.isArray(given) ? [...(given as readonly SymbolicTensor[])] : [given as SymbolicTensor];
  inputs.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor)) {
      throw new TypeError(`${layer.describe()}.${who}: input ${i} must be an Input or another layer's output (a SymbolicTensor), got ${describeNonTensor(t)}; to compute on a symbolic Variable use a model's apply or the layer's call`);
    }
  });
  const [least, most] = layer.inputArity;
  if (inputs.length < least || inputs.length > most) {
    const want = least === most ? `${least}` : most === Infinity ? `at least ${least}` : `${least} to ${most}`;
    throw new Error(`${layer.describe()}.${who}: takes ${want} input${want === '1' ? '' : 's'}, got ${inputs.length}${inputs.length > 1 ? ` (${inputs.map((t) => t.describe()).join(', ')})` : ''}`);
  }
  const outputs: SymbolicTensor[] = [];
  const call: LayerCall = { layer, inputs, outputs, callSite: captureCallSite() };
  for (let i = 0; i < layer.outputCount; i++) outputs.push(SymbolicTensor.ofCall(call, i));
  return outputs;
}
