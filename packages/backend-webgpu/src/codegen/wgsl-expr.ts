import { checkedScalarExprNodes, type DType, type ScalarExpr } from '@symgrad/core';
import { Helpers, isFloatD, wgslType } from './wgsl-types.js';

/**
 * The WGSL renderer of symgrad's scalar expression language. Semantics follow core's
 * `evalScalarExpr`: each node computes on its arguments' values and rounds to its own
 * dtype. A node with a float32 result computes in f32; an int32/bool node computes in i32
 * when every argument is an integer and the op is exact on integers (neg, abs, square,
 * sign, relu, add, sub, mul, minimum, maximum), else in f32 and then converts (truncate,
 * NaN/±Inf → 0, wrap modulo 2^32). Comparisons compare in i32 when both sides are integers,
 * else in f32. Known differences from the float64 reference: transcendental functions carry
 * the device's few-ulp error; an int32 product wraps in 32-bit arithmetic where the
 * reference rounds a float64 product (they differ only when |a·b| > 2^53); and an int
 * argument above 2^24 entering a float32 computation is rounded to float32 first.
 */

/** An input of a rendered expression: a WGSL expression and the dtype its value has. */
export interface ExprInput {
  readonly code: string;
  readonly dtype: DType;
}

const INT_EXACT = new Set(['neg', 'abs', 'square', 'sign', 'relu', 'add', 'sub', 'mul', 'minimum', 'maximum']);

const F32_UNARY: Record<string, (a: string, h: Helpers) => string> = {
  neg: (a) => `(-${a})`,
  exp: (a, h) => `${h.use('sg_exp')}(${a})`,
  log: (a, h) => `${h.use('sg_log')}(${a})`,
  log1p: (a, h) => `${h.use('sg_log1p')}(${a})`,
  expm1: (a, h) => `${h.use('sg_expm1')}(${a})`,
  sqrt: (a, h) => `${h.use('sg_sqrt')}(${a})`,
  rsqrt: (a, h) => `${h.use('sg_rsqrt')}(${a})`,
  square: (a) => `(${a} * ${a})`,
  abs: (a) => `abs(${a})`,
  sign: (a, h) => `${h.use('sg_sign')}(${a})`,
  tanh: (a, h) => `${h.use('sg_tanh')}(${a})`,
  sigmoid: (a, h) => `${h.use('sg_sigmoid')}(${a})`,
  relu: (a, h) => `${h.use('sg_relu')}(${a})`,
};

const F32_BINARY: Record<string, (a: string, b: string, h: Helpers) => string> = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  pow: (a, b, h) => `${h.use('sg_pow')}(${a}, ${b})`,
  minimum: (a, b, h) => `${h.use('sg_min')}(${a}, ${b})`,
  maximum: (a, b, h) => `${h.use('sg_max')}(${a}, ${b})`,
};

/** The int32 ops, for scalars (`zero` = '0') or vectors (`zero` = 'vec4<i32>(0i)'): one table, so the two never drift apart. */
export function i32Ops(zero: string): Record<string, (a: string[]) => string> {
  return {
    neg: ([a]) => `(-${a})`,
    abs: ([a]) => `abs(${a})`,
    square: ([a]) => `(${a} * ${a})`,
    sign: ([a]) => `sign(${a})`,
    relu: ([a]) => `max(${a}, ${zero})`,
    add: ([a, b]) => `(${a} + ${b})`,
    sub: ([a, b]) => `(${a} - ${b})`,
    mul: ([a, b]) => `(${a} * ${b})`,
    minimum: ([a, b]) => `min(${a}, ${b})`,
    maximum: ([a, b]) => `max(${a}, ${b})`,
  };
}

const I32_OPS = i32Ops('0');

const CMP: Record<string, string> = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '==', ne: '!=' };

/**
 * Converts a value of dtype `from` to dtype `to` with core's `roundTo` rules (float to
 * int32: truncate, NaN and ±Inf to 0, wrap modulo 2³²), so every backend stores the same
 * value; registers the helpers it calls in `h`.
 *
 * @example
 * ```ts
 * const h = new Helpers();
 * castValue('x', 'float32', 'int32', h); // 'sg_to_i32(x)'
 * castValue('n', 'int32', 'bool', h); // 'select(0, 1, n != 0)'
 * ```
 */
export function castValue(code: string, from: DType, to: DType, h: Helpers): string {
  wgslType(from);
  wgslType(to);
  if (from === to) return code;
  if (to === 'float32') return `f32(${code})`;
  if (isFloatD(from)) return to === 'int32' ? `${h.use('sg_to_i32')}(${code})` : `${h.use('sg_to_bool')}(${code})`;
  // int32 ↔ bool
  return to === 'bool' ? `select(0, 1, ${code} != 0)` : code;
}

/** A float32 constant as WGSL: a literal where it is a normal finite number, else its bits. */
export function f32Literal(v: number, h: Helpers): string {
  const f = Math.fround(v);
  if (Number.isFinite(f) && (f === 0 ? !Object.is(f, -0) : Math.abs(f) >= 1.1754943508222875e-38)) {
    const s = String(f);
    return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
  }
  if (Number.isNaN(f)) return `${h.use('sg_nan')}()`;
  if (f === Infinity) return `${h.use('sg_inf')}()`;
  if (f === -Infinity) return `(-${h.use('sg_inf')}())`;
  const bits = new Uint32Array(Float32Array.of(f).buffer)[0]!;
  return `bitcast<f32>(${bits}u)`;
}

/** An int32 constant as WGSL (the minimum needs an expression: its literal overflows). */
export function i32Literal(v: number): string {
  const i = v | 0;
  return i === -2147483648 ? 'i32(-2147483647 - 1)' : `${i}i`;
}

/** A constant node's value as a WGSL scalar of its dtype. */
export function constant(e: Extract<ScalarExpr, { op: 'const' }>, h: Helpers): string {
  const v = e.value;
  switch (e.dtype) {
    case 'float32': return f32Literal(v, h);
    case 'int32': return i32Literal(Number.isFinite(v) ? Math.trunc(v) : 0);
    case 'bool': return v !== 0 && !Number.isNaN(v) ? '1i' : '0i';
    default: throw new Error(`webgpu codegen: constant ${e.value} of dtype '${e.dtype}' is not supported (supported: float32, int32, bool)`);
  }
}

/** The rendered form of an expression DAG: `let` statements, then one value per root. */
export interface RenderedExprs {
  readonly lines: string[];
  /** WGSL names (or expressions) of each root's value, in the root's dtype representation. */
  readonly values: string[];
}

/**
 * Renders expressions as `let` statements, one per DAG node (a shared subtree is computed
 * once). Each node is bound with `let`, so constants never become WGSL const-expressions
 * (whose overflow would be a shader-creation error).
 *
 * @example
 * ```ts
 * const h = new Helpers();
 * const e = sx.binary('add', sx.input(0, 'float32'), sx.const(1, 'float32'), 'float32');
 * renderExprs([e], [{ code: 'x', dtype: 'float32' }], h, 't').lines;
 * // ['let t0: f32 = x;', 'let t1: f32 = 1.0f;', 'let t2: f32 = (t0 + t1);']
 * ```
 */
export function renderExprs(roots: readonly ScalarExpr[], inputs: readonly ExprInput[], h: Helpers, prefix: string): RenderedExprs {
  const names = new Map<ScalarExpr, string>();
  const lines: string[] = [];
  const nodes = checkedScalarExprNodes(roots, inputs.length, 'render-wgsl');
  nodes.forEach((e, n) => {
    const name = `${prefix}${n}`;
    const arg = (i: number): { code: string; dtype: DType } => {
      const a = (e as { args: readonly ScalarExpr[] }).args[i]!;
      return { code: names.get(a)!, dtype: a.dtype };
    };
    let code: string;
    switch (e.op) {
      case 'input': {
        const src = inputs[e.index];
        if (!src) throw new Error(`webgpu codegen: input(${e.index}) has no source (the kernel has ${inputs.length} inputs)`);
        code = castValue(src.code, src.dtype, e.dtype, h);
        break;
      }
      case 'const': code = constant(e, h); break;
      case 'cast': { const a = arg(0); code = castValue(a.code, a.dtype, e.dtype, h); break; }
      case 'where': {
        const c = arg(0);
        const cond = isFloatD(c.dtype) ? `${h.use('sg_truthy')}(${c.code})` : `(${c.code} != 0)`;
        const t = arg(1);
        const f = arg(2);
        code = `select(${castValue(f.code, f.dtype, e.dtype, h)}, ${castValue(t.code, t.dtype, e.dtype, h)}, ${cond})`;
        break;
      }
      default: {
        const args = e.args.map((_, i) => arg(i));
        const allInt = args.every((a) => !isFloatD(a.dtype));
        if (e.op in CMP) {
          const ct: DType = allInt ? 'int32' : 'float32';
          const [a, b] = args.map((x) => castValue(x.code, x.dtype, ct, h)) as [string, string];
          const cond = allInt ? `(${a} ${CMP[e.op]} ${b})` : `${h.use(`sg_${e.op}` as 'sg_lt')}(${a}, ${b})`;
          code = isFloatD(e.dtype) ? `select(0.0f, 1.0f, ${cond})` : `select(0i, 1i, ${cond})`;
        } else if (!isFloatD(e.dtype) && allInt && INT_EXACT.has(e.op)) {
          const v = I32_OPS[e.op]!(args.map((x) => castValue(x.code, x.dtype, 'int32', h)));
          code = castValue(v, 'int32', e.dtype, h);
        } else {
          const fa = args.map((x) => castValue(x.code, x.dtype, 'float32', h));
          const v = fa.length === 1 ? F32_UNARY[e.op]?.(fa[0]!, h) : F32_BINARY[e.op]?.(fa[0]!, fa[1]!, h);
          if (v === undefined) throw new Error(`webgpu codegen: scalar op '${e.op}' is not supported`);
          code = castValue(v, 'float32', e.dtype, h);
        }
      }
    }
    lines.push(`let ${name}: ${wgslType(e.dtype)} = ${code};`);
    names.set(e, name);
  });
  return { lines, values: roots.map((r) => names.get(r)!) };
}
