import type { DType } from './dtype.js';
import type { OpName, OpProps } from './op.js';
import { formatType, type Dim, type TensorType } from './type.js';
import type { NDArray } from '../host/ndarray.js';

let nextId = 1;

/** What a variable is: a function input, a constant, a shared variable, or an op's result. */
export type VariableKind = 'input' | 'constant' | 'shared' | 'result';

/**
 * A symbolic tensor. Inputs, constants and shared variables have no owner; results are
 * outputs of an `Apply` node. Operations are available as functions in `T` and as methods.
 *
 * @example
 * ```ts
 * const x = T.matrix('x');
 * const y = x.mul(2).add(1).sum();
 * ```
 */
export class Variable {
  readonly id: number;
  readonly type: TensorType;
  readonly kind: VariableKind;
  readonly owner: Apply | undefined;
  readonly outputIndex: number;
  /** Where the user built this variable, for error messages. */
  readonly callSite: string | undefined;
  name: string | undefined;

  constructor(type: TensorType, kind: VariableKind, opts: { name?: string; owner?: Apply; outputIndex?: number; callSite?: string } = {}) {
    this.id = nextId++;
    this.type = type;
    this.kind = kind;
    this.name = opts.name;
    this.owner = opts.owner;
    this.outputIndex = opts.outputIndex ?? 0;
    this.callSite = opts.callSite;
  }

  get dtype(): DType {
    return this.type.dtype;
  }

  get shape(): readonly Dim[] {
    return this.type.shape;
  }

  get ndim(): number {
    return this.type.shape.length;
  }

  /** A readable label: the name, or the op that made it, with the type. */
  describe(): string {
    return `${this.label()} (${formatType(this.type)})`;
  }

  label(): string {
    if (this.name !== undefined) return `'${this.name}'`;
    if (this.owner) return `<${this.owner.op} output>`;
    if (this.kind === 'constant') return '<constant>';
    return `<unnamed ${this.kind}>`;
  }

  toString(): string {
    return `Variable(${this.describe()})`;
  }
}

/**
 * A constant with a host value, embedded in every function that uses it. Rewrites test
 * for it to read `value` (constant folding, neutral elements).
 *
 * @example
 * ```ts
 * const c = T.constant([1, 2, 3]);
 * if (c instanceof ConstantVariable) c.value.toArray(); // [1, 2, 3]
 * ```
 */
export class ConstantVariable extends Variable {
  readonly value: NDArray;

  constructor(value: NDArray, name?: string) {
    super({ dtype: value.dtype, shape: [...value.shape] }, 'constant', name === undefined ? {} : { name });
    this.value = value;
  }
}

/**
 * One application of an op to input variables, producing output variables: the node a
 * result variable's `owner` points to, and what rewrites and lowering rules match on.
 *
 * @example
 * ```ts
 * const y = T.exp(T.matrix('x'));
 * const node = y.owner!;
 * node.op; // 'exp'
 * node.inputs[0]!.name; // 'x'
 * node.outputs[0] === y; // true
 * ```
 */
export class Apply<N extends OpName = OpName> {
  readonly op: N;
  readonly props: OpProps[N];
  readonly inputs: readonly Variable[];
  outputs: Variable[] = [];
  readonly callSite: string | undefined;

  constructor(op: N, props: OpProps[N], inputs: readonly Variable[], callSite: string | undefined) {
    this.op = op;
    this.props = props;
    this.inputs = inputs;
    this.callSite = callSite;
  }
}
