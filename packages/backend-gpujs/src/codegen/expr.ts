import { checkedScalarExprNodes, type ScalarExpr } from '@symgrad/core';

/**
 * Renders the scalar expression language to gpu.js kernel source: JavaScript statements that
 * gpu.js compiles to GLSL (WebGL), WebAssembly or plain JS. Every value is a float (gpu.js
 * textures hold floats; int32 and bool are stored as exact float values), so comparisons
 * become `1.0`/`0.0` and casts round explicitly. The output holds only fixed operator names,
 * generated identifiers and numbers: never a user string.
 */

/**
 * A float literal gpu.js reads as a float (always with a decimal point or an exponent: a
 * bare `1` would be typed as an integer), rounded to float32; NaN and ±Infinity as divisions.
 *
 * @example
 * ```ts
 * floatLiteral(1); // '1.0'
 * floatLiteral(-2.5); // '(-2.5)'
 * floatLiteral(NaN); // '(0.0 / 0.0)'
 * ```
 */
export function floatLiteral(v: number): string {
  if (Number.isNaN(v)) return '(0.0 / 0.0)';
  if (v === Infinity) return '(1.0 / 0.0)';
  if (v === -Infinity) return '(-1.0 / 0.0)';
  const f = Math.fround(v);
  const s = String(f);
  const body = /[.e]/.test(s) ? s : `${s}.0`;
  return f < 0 || Object.is(f, -0) ? `(${Object.is(f, -0) ? '-0.0' : body})` : body;
}

/** Statements computing each root into a variable; `inputs[k]` is the source of input(k). */
export interface RenderedExprs {
  readonly statements: string[];
  /** One expression (a variable name) per root. */
  readonly results: string[];
}

/**
 * Renders a DAG of expressions once per shared node, as `let` statements named
 * `${prefix}N`. Inputs are referenced through the given source strings.
 *
 * @example
 * ```ts
 * renderExprs([sx.unary('exp', sx.input(0, 'float32'))], ['x'], 'e');
 * // { statements: ['let e0 = x;', 'let e1 = Math.exp(e0);'], results: ['e1'] }
 * ```
 */
export function renderExprs(roots: readonly ScalarExpr[], inputs: readonly string[], prefix: string): RenderedExprs {
  const names = new Map<ScalarExpr, string>();
  const statements: string[] = [];
  let n = 0;
  const fresh = (): string => `${prefix}${n++}`;
  for (const e of checkedScalarExprNodes(roots, inputs.length, 'render-gpujs')) {
    const name = fresh();
    const arg = (i: number): string => names.get((e as { args: readonly ScalarExpr[] }).args[i]!)!;
    const tmp = (value: string): string => {
      const t = fresh();
      statements.push(`let ${t} = ${value};`);
      return t;
    };
    let value: string;
    switch (e.op) {
      case 'input': {
        const src = inputs[e.index];
        if (src === undefined) throw new Error(`gpujs codegen: input(${e.index}) has no source (the kernel has ${inputs.length} inputs)`);
        value = src;
        break;
      }
      case 'const': value = floatLiteral(e.dtype === 'bool' ? (e.value !== 0 && !Number.isNaN(e.value) ? 1 : 0) : e.dtype === 'int32' ? (Number.isFinite(e.value) ? Math.trunc(e.value) | 0 : 0) : e.value); break;
      case 'cast': value = renderCast(e.dtype, arg(0)); break;
      case 'where': value = `(${arg(0)} != 0.0 ? ${arg(1)} : ${arg(2)})`; break;
      default: value = renderOp(e.op, e.args.map((_, i) => arg(i)), tmp);
    }
    if (e.op !== 'input' && e.op !== 'const' && e.op !== 'cast' && e.op !== 'where' && e.dtype !== 'float32' && e.dtype !== 'float64') {
      // int32/bool arithmetic results are rounded like the reference (bool results are already 0/1).
      if (e.dtype === 'int32' && !isComparison(e.op)) value = renderCast('int32', `(${value})`);
    }
    statements.push(`let ${name} = ${value};`);
    names.set(e, name);
  }
  return { statements, results: roots.map((r) => names.get(r)!) };
}

function isComparison(op: string): boolean {
  return op === 'lt' || op === 'le' || op === 'gt' || op === 'ge' || op === 'eq' || op === 'ne';
}

/**
 * A cast to `dtype` of an already-rendered float value, as source: values stay floats, so
 * int32 truncates toward zero and bool becomes 1.0/0.0 (NaN and ±Infinity give 0, as in
 * the reference).
 *
 * @example
 * ```ts
 * renderCast('bool', 'v'); // '((v > 0.0 || v < 0.0) ? 1.0 : 0.0)'
 * renderCast('float32', 'v'); // 'v'
 * ```
 */
export function renderCast(dtype: ScalarExpr['dtype'], x: string): string {
  switch (dtype) {
    case 'float32':
    case 'float64': return x;
    // Truncation toward zero; NaN and infinities become 0 as in the reference.
    case 'int32': return `(${x} >= 0.0 ? (${x} < (1.0 / 0.0) ? Math.floor(${x}) : 0.0) : (${x} > (-1.0 / 0.0) ? Math.ceil(${x}) : 0.0))`;
    case 'bool': return `((${x} > 0.0 || ${x} < 0.0) ? 1.0 : 0.0)`;
  }
}

/** One operation over rendered operands; `tmp` binds a subexpression to a variable. */
function renderOp(op: string, a: readonly string[], tmp: (value: string) => string): string {
  const [x, y] = a as [string, string];
  switch (op) {
    case 'neg': return `(-${x})`;
    case 'exp': return `Math.exp(${x})`;
    case 'log': return `Math.log(${x})`;
    case 'log1p': {
      // Accurate for small x: log(u)·x/(u−1) cancels the rounding of u = 1 + x.
      const u = tmp(`1.0 + ${x}`);
      return `(${u} == 1.0 ? ${x} : Math.log(${u}) * ${x} / (${u} - 1.0))`;
    }
    case 'expm1': return renderExpm1(x, tmp);
    case 'sqrt': return `Math.sqrt(${x})`;
    case 'rsqrt': return `(1.0 / Math.sqrt(${x}))`;
    case 'square': return `(${x} * ${x})`;
    case 'abs': return `Math.abs(${x})`;
    case 'sign': return `(${x} > 0.0 ? 1.0 : (${x} < 0.0 ? -1.0 : ${x} * 0.0))`;
    case 'tanh': {
      // tanh|x| = −expm1(−2|x|) / (2 + expm1(−2|x|)): no overflow, accurate near 0.
      const m = tmp(renderExpm1(`(-2.0 * Math.abs(${x}))`, tmp));
      const t = tmp(`(-${m}) / (2.0 + ${m})`);
      return `(${x} < 0.0 ? -${t} : ${t})`;
    }
    case 'sigmoid': {
      // Stable on both tails: never exponentiates a large positive number.
      const e = tmp(`Math.exp(-Math.abs(${x}))`);
      return `(${x} >= 0.0 ? 1.0 / (1.0 + ${e}) : ${e} / (1.0 + ${e}))`;
    }
    case 'relu': return `(${x} < 0.0 ? 0.0 : ${x})`;
    case 'add': return `(${x} + ${y})`;
    case 'sub': return `(${x} - ${y})`;
    case 'mul': return `(${x} * ${y})`;
    case 'div': return `(${x} / ${y})`;
    case 'pow': {
      // GLSL's pow is undefined for a negative base: integral exponents take the sign by parity.
      const odd = tmp(`(${y} - 2.0 * Math.floor(${y} * 0.5))`);
      const p = tmp(`Math.pow(Math.abs(${x}), ${y})`);
      return `(${y} == 0.0 ? 1.0 : (${x} < 0.0 ? (${y} == Math.floor(${y}) ? (${odd} == 1.0 ? -${p} : ${p}) : (0.0 / 0.0)) : (${x} == 0.0 ? (${y} > 0.0 ? 0.0 : (1.0 / 0.0)) : ${p})))`;
    }
    case 'minimum': return `(${x} != ${x} ? ${x} : (${y} != ${y} ? ${y} : Math.min(${x}, ${y})))`;
    case 'maximum': return `(${x} != ${x} ? ${x} : (${y} != ${y} ? ${y} : Math.max(${x}, ${y})))`;
    case 'lt': return `(${x} < ${y} ? 1.0 : 0.0)`;
    case 'le': return `(${x} <= ${y} ? 1.0 : 0.0)`;
    case 'gt': return `(${x} > ${y} ? 1.0 : 0.0)`;
    case 'ge': return `(${x} >= ${y} ? 1.0 : 0.0)`;
    case 'eq': return `(${x} == ${y} ? 1.0 : 0.0)`;
    case 'ne': return `(${x} != ${y} ? 1.0 : 0.0)`;
    default: throw new Error(`gpujs codegen: unsupported scalar op '${op}'`);
  }
}

function renderExpm1(x: string, tmp: (value: string) => string): string {
  // (u − 1)·x / log(u) with u = exp(x) is accurate near 0 (Kahan's trick).
  const u = tmp(`Math.exp(${x})`);
  return `(${u} == 1.0 ? ${x} : (${u} - 1.0 == -1.0 ? -1.0 : (${u} - 1.0) * ${x} / Math.log(${u})))`;
}
