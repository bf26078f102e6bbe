import { checkedScalarExprNodes, roundTo, type DType, type ScalarExpr } from '@symgrad/core';

/**
 * Renders a ScalarExpr DAG as JavaScript statements with the exact semantics of core's
 * reference evaluator (`evalScalarExpr`): every op computes on float64 values and its
 * result is rounded to the node's dtype (`Math.fround` for float32, `|0` for int32, 0/1 for
 * bool). Each node becomes one `const`, so a shared subtree is evaluated once.
 *
 * Security: the generated source holds only numbers, identifiers this module makes up, the
 * caller's load expressions, and op templates from the fixed table below. Anything outside
 * the table (an unknown op, dtype or input index, a constant that is not a number) throws.
 */


/** True when every value of dtype `src` is stored unchanged by dtype `dst` (so no rounding is needed). */
export function fitsIn(src: DType, dst: DType): boolean {
  return src === dst || dst === 'float64' || src === 'bool';
}

/** `expr` rounded to what `dtype` can hold, as JavaScript (exactly core's `roundTo`). */
export function roundJs(dtype: DType, expr: string): string {
  switch (dtype) {
    case 'float32': return `Math.fround(${expr})`;
    case 'float64': return expr;
    // ToInt32 truncates toward zero, wraps modulo 2^32 and maps NaN and ±Infinity to 0: roundTo's int32 rule.
    case 'int32': return `(${expr} | 0)`;
    // A number is falsy exactly when it is ±0 or NaN: roundTo's bool rule.
    case 'bool': return `(${expr} ? 1 : 0)`;
  }
}

/** A JavaScript literal for a number that reads back as the same double (NaN, ±Infinity and -0 included). */
export function numberLiteral(v: number): string {
  if (typeof v !== 'number') throw new Error(`render-js: constant ${String(v)} is not a number`);
  if (Number.isNaN(v)) return '(0 / 0)';
  if (v === Infinity) return '(1 / 0)';
  if (v === -Infinity) return '(-1 / 0)';
  if (Object.is(v, -0)) return '(-0)';
  const s = v.toString();
  return v < 0 ? `(${s})` : s;
}

type Emit = (expr: string) => string;

/** Op templates over argument identifiers: the float64 semantics of core's SCALAR_SEMANTICS. */
const OPS: Readonly<Record<string, { arity: number; js: (a: readonly string[], local: Emit) => string }>> = {
  neg: { arity: 1, js: ([x]) => `(-${x})` },
  exp: { arity: 1, js: ([x]) => `Math.exp(${x})` },
  log: { arity: 1, js: ([x]) => `Math.log(${x})` },
  log1p: { arity: 1, js: ([x]) => `Math.log1p(${x})` },
  expm1: { arity: 1, js: ([x]) => `Math.expm1(${x})` },
  sqrt: { arity: 1, js: ([x]) => `Math.sqrt(${x})` },
  rsqrt: { arity: 1, js: ([x]) => `(1 / Math.sqrt(${x}))` },
  square: { arity: 1, js: ([x]) => `(${x} * ${x})` },
  abs: { arity: 1, js: ([x]) => `Math.abs(${x})` },
  sign: { arity: 1, js: ([x]) => `(${x} > 0 ? 1 : ${x} < 0 ? -1 : ${x} === ${x} ? 0 : ${x})` },
  tanh: { arity: 1, js: ([x]) => `Math.tanh(${x})` },
  // Stable on both tails: exp(-|x|) never overflows; one exp per element.
  sigmoid: {
    arity: 1,
    js: ([x], local) => {
      const e = local(`Math.exp(-Math.abs(${x}))`);
      return `(${x} >= 0 ? 1 / (1 + ${e}) : ${e} / (1 + ${e}))`;
    },
  },
  relu: { arity: 1, js: ([x]) => `(${x} > 0 || ${x} !== ${x} ? ${x} : 0)` },
  add: { arity: 2, js: ([a, b]) => `(${a} + ${b})` },
  sub: { arity: 2, js: ([a, b]) => `(${a} - ${b})` },
  mul: { arity: 2, js: ([a, b]) => `(${a} * ${b})` },
  div: { arity: 2, js: ([a, b]) => `(${a} / ${b})` },
  pow: { arity: 2, js: ([a, b]) => `Math.pow(${a}, ${b})` },
  minimum: { arity: 2, js: ([a, b]) => `Math.min(${a}, ${b})` },
  maximum: { arity: 2, js: ([a, b]) => `Math.max(${a}, ${b})` },
  lt: { arity: 2, js: ([a, b]) => `(${a} < ${b} ? 1 : 0)` },
  le: { arity: 2, js: ([a, b]) => `(${a} <= ${b} ? 1 : 0)` },
  gt: { arity: 2, js: ([a, b]) => `(${a} > ${b} ? 1 : 0)` },
  ge: { arity: 2, js: ([a, b]) => `(${a} >= ${b} ? 1 : 0)` },
  eq: { arity: 2, js: ([a, b]) => `(${a} === ${b} ? 1 : 0)` },
  ne: { arity: 2, js: ([a, b]) => `(${a} !== ${b} ? 1 : 0)` },
  where: { arity: 3, js: ([c, a, b]) => `(${c} !== 0 ? ${a} : ${b})` },
  cast: { arity: 1, js: ([x]) => x! },
};

/** Ops whose result is 0 or 1, which every dtype holds unchanged. */
const ZERO_ONE = new Set(['lt', 'le', 'gt', 'ge', 'eq', 'ne']);
/** Ops whose result is one of their value arguments (or 0). */
const SELECTS: Readonly<Record<string, (args: readonly ScalarExpr[]) => readonly ScalarExpr[]>> = {
  minimum: (a) => a,
  maximum: (a) => a,
  relu: (a) => a,
  cast: (a) => a,
  where: (a) => a.slice(1),
};

/** Whether an op's float64 result needs rounding to the node's dtype to match roundTo. */
export function needsRounding(e: ScalarExpr & { args: readonly ScalarExpr[] }): boolean {
  if (e.dtype === 'float64' || ZERO_ONE.has(e.op)) return false;
  const select = SELECTS[e.op];
  if (select) return !select(e.args).every((a) => fitsIn(a.dtype, e.dtype));
  // Negation and |x| are exact on floats (int32 needs the wrap of -(-2^31)).
  if ((e.op === 'neg' || e.op === 'abs') && e.dtype === 'float32') return !fitsIn(e.args[0].dtype, 'float32');
  return true;
}

export interface RenderOptions {
  /** Number of inputs the expressions may read: input(k) needs 0 ≤ k < inputCount. */
  readonly inputCount: number;
  /** A JavaScript expression reading input k (an identifier or element load the caller generated). */
  readonly load: (index: number) => string;
  /** The dtype input k is stored in, when known: loads that already fit the input's dtype are not rounded. */
  readonly storage?: (index: number) => DType | undefined;
  /** Prefix of the locals this render declares (distinct renders in one function need distinct prefixes). */
  readonly prefix?: string;
}

export interface Rendered {
  /** Statements declaring one local per node, in evaluation order. */
  readonly code: string;
  /** For each root, the identifier or literal holding its value (already rounded to its dtype). */
  readonly results: readonly string[];
}

/**
 * Renders expressions (sharing nodes between them) as statements.
 *
 * @example
 * ```ts
 * const r = renderScalarExprs([sx.unary('exp', sx.input(0, 'float32'))], { inputCount: 1, load: () => 'x' });
 * // r.code: "const t0 = Math.fround(x);\nconst t1 = Math.fround(Math.exp(t0));\n"; r.results: ['t1']
 * ```
 */
export function renderScalarExprs(roots: readonly ScalarExpr[], opts: RenderOptions): Rendered {
  const prefix = opts.prefix ?? 't';
  if (!/^[a-z]{1,3}$/.test(prefix)) throw new Error(`render-js: bad local prefix '${prefix}': expected 1 to 3 lowercase letters`);
  const names = new Map<ScalarExpr, string>();
  const lines: string[] = [];
  let locals = 0;
  const local: Emit = (expr) => {
    const name = `${prefix}${locals++}`;
    lines.push(`const ${name} = ${expr};`);
    return name;
  };
  for (const e of checkedScalarExprNodes(roots, opts.inputCount, 'render-js')) {
    let value: string;
    if (e.op === 'input') {
      const stored = opts.storage?.(e.index);
      const raw = opts.load(e.index);
      value = local(stored !== undefined && fitsIn(stored, e.dtype) ? raw : roundJs(e.dtype, raw));
    } else if (e.op === 'const') {
      value = numberLiteral(roundTo(e.dtype, e.value));
    } else {
      const args = e.args.map((a) => names.get(a)!);
      const raw = OPS[e.op]!.js(args, local);
      value = local(needsRounding(e) ? roundJs(e.dtype, raw) : raw);
    }
    names.set(e, value);
  }
  return { code: lines.map((l) => `${l}\n`).join(''), results: roots.map((r) => names.get(r)!) };
}

/**
 * Compiles one expression into a function of its inputs, for tests and scalar fallbacks.
 *
 * @example
 * ```ts
 * const f = compileScalarExpr(sx.binary('add', sx.input(0, 'float32'), sx.const(1, 'float32'), 'float32'), 1);
 * f(2); // 3
 * ```
 */
export function compileScalarExpr(expr: ScalarExpr, inputCount: number): (...inputs: number[]) => number {
  if (!Number.isInteger(inputCount) || inputCount < 0) throw new Error(`render-js: bad input count ${String(inputCount)}: expected a non-negative integer`);
  const params = Array.from({ length: inputCount }, (_, k) => `x${k}`);
  const r = renderScalarExprs([expr], { inputCount, load: (k) => `x${k}` });
  return new Function(...params, `"use strict";\n${r.code}return ${r.results[0]!};`) as (...inputs: number[]) => number;
}
