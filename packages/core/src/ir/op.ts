import type { DType } from './dtype.js';
import type { RandomDistribution } from '../random/philox.js';
import type { TensorType } from './type.js';

/** Ops whose scalar form is one node of the scalar expression language. */
export const UNARY_OPS = [
  'neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'square', 'abs', 'sign', 'tanh', 'sigmoid', 'relu',
] as const;
/** Two-operand arithmetic ops, each one node of the scalar expression language; `binaryResultDtype` gives their dtype. */
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'minimum', 'maximum'] as const;
/** Comparisons: they broadcast like the binary ops and produce bool (1 or 0 in a scalar expression). */
export const COMPARE_OPS = ['lt', 'le', 'gt', 'ge', 'eq', 'ne'] as const;
/** Reductions over a list of axes; argmax, with one axis and an int32 result, is an op of its own. */
export const REDUCE_OPS = ['sum', 'max', 'min'] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type CompareOp = (typeof COMPARE_OPS)[number];
export type ReduceOp = (typeof REDUCE_OPS)[number];

type NoProps = Record<string, never>;

/**
 * The one typed table of op names and their attributes ("props"). Core, autodiff and
 * every backend use these names; props give node equality (for merging) and cache keys.
 */
export interface OpProps extends Record<UnaryOp | BinaryOp | CompareOp, NoProps>, Record<ReduceOp, { axes: number[]; keepdims: boolean }> {
  where: NoProps;
  cast: { dtype: DType };
  argmax: { axis: number; keepdims: boolean };
  matmul: { transA: boolean; transB: boolean };
  transpose: { perm: number[] };
  /** `shape` may hold one -1, resolved from the input's size. */
  reshape: { shape: number[] };
  /** Reshapes input 0 to the shape of input 1 (whose values are unused). */
  reshapeLike: NoProps;
  broadcastTo: { shape: number[] };
  /** Broadcasts input 0 to the shape of input 1 (whose values are unused). */
  broadcastLike: NoProps;
  /** Per axis: begin, end (null: to the end) and a positive step; negatives count from the end. */
  slice: { begin: number[]; end: (number | null)[]; step: number[] };
  /** Zeros shaped like input 1, with input 0 written at the slice `props` describes: the transpose of slice. */
  padSlice: { begin: number[]; end: (number | null)[]; step: number[] };
  concat: { axis: number };
  /** Splits input 0 along `axis` into pieces shaped like inputs 1…n: the transpose of concat. */
  splitLike: { axis: number };
  oneHot: { depth: number; dtype: DType };
  /** Slices of input 0 at the int32 indices of input 1 along `axis` (JAX's `take`); out of range: `fill`, or with null NaN (int32 −2³¹, bool true). */
  take: { axis: number; fill: number | null };
  /** Input 0 with input 2's slices added at the int32 indices of input 1 along `axis` (JAX's `x.at[i].add(u)`; out of range: dropped). */
  scatterAdd: { axis: number };
  softmax: { axis: number };
  logSoftmax: { axis: number };
  /** Rows of probabilities against int labels (rank − 1) or one-hot/soft targets (same shape). */
  categoricalCrossentropy: NoProps;
  /**
   * Fused −log softmax(logits)[label] per row, computed stably (logsumexp − logit): the
   * stabilize rewrite's form of categoricalCrossentropy(softmax(z), int labels).
   */
  softmaxCrossEntropy: NoProps;
  /** (softmax(logits) − onehot(labels)) · g per row: softmaxCrossEntropy's gradient, with no one-hot tensor. */
  softmaxCrossEntropyGrad: NoProps;
  /** A scalar: the product of input 0's sizes along `axes` (known once shapes are concrete), e.g. a mean's divisor. */
  sizeOf: { axes: number[]; dtype: DType };
  /**
   * Philox-4x32-10 numbers from an int32[4] state (key k0, k1; 64-bit block offset lo, hi).
   * Output 0 holds the draw, of `shape` or, when `shape` is null, of input 1's shape (whose
   * values are unused); output 1 is the state advanced past the draw.
   */
  random: { distribution: RandomDistribution; dtype: DType; shape: number[] | null };
}

export type OpName = keyof OpProps;

export type OpFamily = 'elementwise' | 'reduce' | 'linalg' | 'movement' | 'indexing' | 'nnet' | 'random';

/**
 * A user mistake found while inferring an op's output type. `inferType` throws it with the
 * bare reason; `applyOp` turns it into a GraphError that adds the inputs and the call site.
 *
 * @example
 * ```ts
 * try {
 *   getOp('matmul').inferType([tensorType('float32', [2, 3]), tensorType('float32', [4, 5])], { transA: false, transB: false });
 * } catch (e) {
 *   if (e instanceof OpTypeError) e.message; // 'inner dimensions differ: [2, 3] · [4, 5] (3 vs 4)'
 * }
 * ```
 */
export class OpTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpTypeError';
  }
}

export interface OpDef<N extends OpName = OpName> {
  readonly name: N;
  readonly family: OpFamily;
  /** Number of inputs, or a minimum for variadic ops. */
  readonly arity: number | { min: number };
  /** Output types from input types; throws OpTypeError naming what is wrong. Works for static and concrete shapes. */
  inferType(inputs: readonly TensorType[], props: OpProps[N]): TensorType[];
}

const OPS = new Map<OpName, OpDef>();

/**
 * Declares an op. Ops are data, not subclasses: a name from the OpProps table, a family,
 * and type inference that owns the op's validation messages. Core's `ops/` files declare
 * each op of the table once, when core loads (with its lowering rule beside it), so a
 * second declaration of a name throws.
 *
 * @example
 * ```ts
 * // ops/elemwise.ts
 * defineOp({ name: 'relu', family: 'elementwise', arity: 1, inferType: ([x]) => [x!] });
 * ```
 */
export function defineOp<N extends OpName>(def: OpDef<N>): OpDef<N> {
  if (OPS.has(def.name)) throw new Error(`defineOp: op '${def.name}' is already defined (op names are unique; listOps() names the defined ones)`);
  OPS.set(def.name, def as unknown as OpDef);
  return def;
}

/**
 * An op's definition by name, to infer output types or check arity without building a
 * node. Throws for a name no `defineOp` declared.
 *
 * @example
 * ```ts
 * getOp('sum').inferType([tensorType('float32', [2, null])], { axes: [0], keepdims: false }); // [{ dtype: 'float32', shape: [null] }]
 * ```
 */
export function getOp<N extends OpName>(name: N): OpDef<N> {
  const def = OPS.get(name);
  if (!def) throw new Error(`getOp: unknown op '${String(name)}'; defineOp declares ops and listOps() names the defined ones`);
  return def as unknown as OpDef<N>;
}

/**
 * Every defined op's name, for coverage tests (each op needs a gradient rule or a marker).
 *
 * @example
 * ```ts
 * import { getGradientRule } from '@symgrad/autodiff';
 * const missing = listOps().filter((op) => getGradientRule(op) === undefined); // [] when every op is covered
 * ```
 */
export function listOps(): OpName[] {
  return [...OPS.keys()];
}

/**
 * Canonical string of props: equal props give equal keys whatever their key order
 * (PyTensor's __props__), so merging equal nodes and caching can key on it.
 *
 * @example
 * ```ts
 * propsKey({ keepdims: false, axes: [1] }); // '{"axes":[1],"keepdims":false}', as for { axes: [1], keepdims: false }
 * const key = `${node.op}|${propsKey(node.props)}|${node.inputs.map((x) => x.id).join(',')}`; // common-subexpression key
 * ```
 */
export function propsKey(props: object): string {
  return JSON.stringify(props, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) sorted[k] = (value as Record<string, unknown>)[k];
    return sorted;
  });
}

