import type { DType } from '../ir/dtype.js';
import type { BinaryOp, CompareOp, UnaryOp } from '../ir/op.js';

/** Every operation of the scalar expression language besides inputs and constants. */
export type ScalarOp = UnaryOp | BinaryOp | CompareOp | 'where' | 'cast';

/**
 * A typed scalar expression: the body of a fused elementwise kernel, a reduce prologue or
 * a matmul epilogue. Subtrees may be shared (a DAG); renderers evaluate a shared node once.
 * `dtype` is the result type; arithmetic happens in the result type's precision.
 */
export type ScalarExpr =
  | { readonly op: 'input'; readonly index: number; readonly dtype: DType }
  | { readonly op: 'const'; readonly value: number; readonly dtype: DType }
  | { readonly op: UnaryOp | 'cast'; readonly args: readonly [ScalarExpr]; readonly dtype: DType }
  | { readonly op: BinaryOp | CompareOp; readonly args: readonly [ScalarExpr, ScalarExpr]; readonly dtype: DType }
  | { readonly op: 'where'; readonly args: readonly [ScalarExpr, ScalarExpr, ScalarExpr]; readonly dtype: DType };

/**
 * Constructors of ScalarExpr nodes, for lowering rules and for tests that build kernels by
 * hand. They check nothing: the caller gives each node's result dtype.
 *
 * @example
 * ```ts
 * // relu(in0 · in1 + 1), as a fused elementwise kernel's expression
 * const e = sx.unary('relu', sx.binary('add', sx.binary('mul', sx.input(0, 'float32'), sx.input(1, 'float32'), 'float32'), sx.const(1, 'float32'), 'float32'));
 * ```
 */
export const sx = {
  input(index: number, dtype: DType): ScalarExpr {
    return { op: 'input', index, dtype };
  },
  const(value: number, dtype: DType): ScalarExpr {
    return { op: 'const', value, dtype };
  },
  unary(op: UnaryOp | 'cast', x: ScalarExpr, dtype: DType = x.dtype): ScalarExpr {
    return { op, args: [x], dtype };
  },
  binary(op: BinaryOp | CompareOp, a: ScalarExpr, b: ScalarExpr, dtype: DType): ScalarExpr {
    return { op, args: [a, b], dtype };
  },
  where(c: ScalarExpr, a: ScalarExpr, b: ScalarExpr, dtype: DType): ScalarExpr {
    return { op: 'where', args: [c, a, b], dtype };
  },
};

/**
 * Rounds a float64 value to what a dtype can store (float32 rounding, int32 truncation and
 * wrap, bool 0/1), as a kernel storing into that dtype does: for reference values in tests.
 *
 * @example
 * ```ts
 * roundTo('float32', 0.1); // 0.10000000149011612
 * roundTo('int32', 2 ** 31 + 5); // -2147483643
 * ```
 */
export function roundTo(dtype: DType, v: number): number {
  switch (dtype) {
    case 'float32': return Math.fround(v);
    case 'float64': return v;
    case 'int32': return Number.isFinite(v) ? Math.trunc(v) | 0 : 0;
    case 'bool': return v !== 0 && !Number.isNaN(v) ? 1 : 0;
  }
}

function sigmoid(x: number): number {
  // Stable on both tails: never exponentiates a large positive number.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** The scalar semantics of each op on float64 values (before rounding to the result dtype). */
export const SCALAR_SEMANTICS: { readonly [K in Exclude<ScalarOp, 'where' | 'cast'>]: (...a: number[]) => number } = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  square: (x) => x * x,
  abs: Math.abs,
  sign: (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0),
  tanh: Math.tanh,
  sigmoid,
  relu: (x) => (Number.isNaN(x) ? NaN : x > 0 ? x : 0),
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  minimum: Math.min,
  maximum: Math.max,
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
};

/**
 * The reference evaluator of the scalar expression language: every renderer is tested
 * against it. Integer division is not in the language (div always produces a float dtype).
 *
 * @example
 * ```ts
 * const e = sx.binary('add', sx.input(0, 'float32'), sx.const(1, 'float32'), 'float32');
 * evalScalarExpr(e, [2]); // 3
 * ```
 */
export function evalScalarExpr(expr: ScalarExpr, inputs: readonly number[]): number {
  const memo = new Map<ScalarExpr, number>();
  const ev = (e: ScalarExpr): number => {
    const hit = memo.get(e);
    if (hit !== undefined) return hit;
    let v: number;
    switch (e.op) {
      case 'input': {
        const x = inputs[e.index];
        if (x === undefined) throw new Error(`evalScalarExpr: input(${e.index}) has no value: got ${inputs.length} input value${inputs.length === 1 ? '' : 's'}`);
        v = roundTo(e.dtype, x);
        break;
      }
      case 'const': v = roundTo(e.dtype, e.value); break;
      case 'cast': v = roundTo(e.dtype, ev(e.args[0])); break;
      case 'where': v = ev(e.args[0]) !== 0 ? ev(e.args[1]) : ev(e.args[2]); v = roundTo(e.dtype, v); break;
      default: {
        const f = SCALAR_SEMANTICS[e.op] as (...a: number[]) => number;
        v = roundTo(e.dtype, f(...e.args.map(ev)));
      }
    }
    memo.set(e, v);
    return v;
  };
  return ev(expr);
}

/**
 * Nodes of a DAG in evaluation order (each once), for renderers and analyses. Validates
 * nothing: code that emits source uses `checkedScalarExprNodes`.
 *
 * @example
 * ```ts
 * const used = new Set<number>();
 * for (const n of scalarExprNodes(k.exprs)) if (n.op === 'input') used.add(n.index); // inputs the kernel reads
 * ```
 */
export function scalarExprNodes(roots: readonly ScalarExpr[]): ScalarExpr[] {
  const seen = new Set<ScalarExpr>();
  const order: ScalarExpr[] = [];
  const visit = (e: ScalarExpr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if ('args' in e) for (const a of e.args) visit(a);
    order.push(e);
  };
  for (const r of roots) visit(r);
  return order;
}

/**
 * A readable one-line form, for `fn.program` and tests.
 *
 * @example
 * ```ts
 * formatScalarExpr(sx.binary('mul', sx.unary('exp', sx.input(0, 'float32')), sx.input(1, 'float32'), 'float32')); // 'mul(exp(in0), in1)'
 * ```
 */
export function formatScalarExpr(e: ScalarExpr): string {
  switch (e.op) {
    case 'input': return `in${e.index}`;
    case 'const': return `${e.value}`;
    case 'cast': return `${e.dtype}(${formatScalarExpr(e.args[0])})`;
    default: return `${e.op}(${e.args.map(formatScalarExpr).join(', ')})`;
  }
}

/**
 * Rebuilds an expression with each input(k) replaced by `replace(k)`, keeping shared
 * subtrees shared: for renumbering a kernel's inputs when it is split or fused. Pass one
 * `memo` for all of a kernel's expressions, so that subtrees its outputs share stay shared
 * (each is computed once).
 *
 * @example
 * ```ts
 * const e = sx.binary('add', sx.input(0, 'float32'), sx.input(3, 'float32'), 'float32');
 * substituteInputs(e, (k, dt) => sx.input(k === 3 ? 1 : k, dt)); // add(in0, in1)
 * ```
 */
export function substituteInputs(expr: ScalarExpr, replace: (index: number, dtype: ScalarExpr['dtype']) => ScalarExpr, memo = new Map<ScalarExpr, ScalarExpr>()): ScalarExpr {
  const go = (e: ScalarExpr): ScalarExpr => {
    const hit = memo.get(e);
    if (hit) return hit;
    let r: ScalarExpr;
    if (e.op === 'input') r = replace(e.index, e.dtype);
    else if (e.op === 'const') r = e;
    else r = { ...e, args: e.args.map(go) } as unknown as ScalarExpr;
    memo.set(e, r);
    return r;
  };
  return go(expr);
}
