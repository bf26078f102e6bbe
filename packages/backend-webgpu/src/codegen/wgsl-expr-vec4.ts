import { checkedScalarExprNodes, sx, type DType, type ScalarExpr } from '@symgrad/core';
import { castValue, constant, i32Ops, renderExprs, type ExprInput, type RenderedExprs } from './wgsl-expr.js';
import { isFloatD, wgslType, type Helpers } from './wgsl-types.js';

/**
 * Renders scalar expressions over four lanes at once: every input is a `vec4<f32>` or
 * `vec4<i32>` value and every node becomes one `let` of a vec4 type. A node whose WGSL
 * vector form computes exactly what the scalar renderer (wgsl-expr.ts) computes on each
 * lane (arithmetic, casts to float, int ops, comparisons, where, and the select-shaped
 * NaN-aware helpers) is emitted as vector operations; every other node (exp, log, pow,
 * float→int conversions, …) is rendered by the scalar renderer once per lane and the four
 * results are gathered into a vector, so its semantics are the scalar renderer's by
 * construction. On GPUs that execute vectors lane by lane either way, the gain of the vec4
 * form is its 16-byte memory accesses, not this arithmetic.
 */

const LANES = ['x', 'y', 'z', 'w'] as const;
const vecType = (d: DType): string => `vec4<${wgslType(d)}>`;

// The ops that are plain IEEE/two's-complement arithmetic in the scalar renderer (no helper
// with NaN tests), so `op(vec4)` is `op` on each lane.
const F32_VEC: Record<string, (a: string[]) => string> = {
  neg: ([a]) => `(-${a})`,
  square: ([a]) => `(${a} * ${a})`,
  abs: ([a]) => `abs(${a})`,
  add: ([a, b]) => `(${a} + ${b})`,
  sub: ([a, b]) => `(${a} - ${b})`,
  mul: ([a, b]) => `(${a} * ${b})`,
  div: ([a, b]) => `(${a} / ${b})`,
};

// The NaN-aware scalar helpers of wgsl-types.ts with the same tests, lane by lane: a NaN
// argument is returned (relu, sign) or wins (minimum, maximum, the first NaN first).
const F32_VEC_NAN: Record<string, (a: string[], nan: (x: string) => string) => string> = {
  relu: ([a], nan) => `select(select(vec4<f32>(0.0f), ${a}, ${a} > vec4<f32>(0.0f)), ${a}, ${nan(a!)})`,
  sign: ([a], nan) => `select(select(select(vec4<f32>(0.0f), vec4<f32>(-1.0f), ${a} < vec4<f32>(0.0f)), vec4<f32>(1.0f), ${a} > vec4<f32>(0.0f)), ${a}, ${nan(a!)})`,
  minimum: ([a, b], nan) => `select(select(select(${b}, ${a}, ${a} < ${b}), ${b}, ${nan(b!)}), ${a}, ${nan(a!)})`,
  maximum: ([a, b], nan) => `select(select(select(${b}, ${a}, ${a} > ${b}), ${b}, ${nan(b!)}), ${a}, ${nan(a!)})`,
};

const I32_VEC = i32Ops('vec4<i32>(0i)');

const CMP: Record<string, string> = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '==', ne: '!=' };

/** castValue on vectors, or undefined where the conversion needs a per-lane helper (float → int/bool). */
function vecCast(code: string, from: DType, to: DType): string | undefined {
  if (from === to) return code;
  if (to === 'float32') return `vec4<f32>(${code})`;
  if (isFloatD(from)) return undefined;
  return to === 'bool' ? `select(vec4<i32>(0i), vec4<i32>(1i), ${code} != vec4<i32>(0i))` : code;
}

/** The vector form of a node whose arguments are already vectors, or undefined if it has none. */
function vectorForm(e: ScalarExpr, args: readonly ExprInput[], h: Helpers): string | undefined {
  switch (e.op) {
    case 'input': return vecCast(args[0]!.code, args[0]!.dtype, e.dtype);
    case 'cast': return vecCast(args[0]!.code, args[0]!.dtype, e.dtype);
    case 'const': return `${vecType(e.dtype)}(${constant(e, h)})`;
    case 'where': {
      const [c, t, f] = args as [ExprInput, ExprInput, ExprInput];
      // A float condition is true unless ±0 (NaN is true), as sg_truthy.
      const cond = isFloatD(c.dtype) ? `(${h.use('sg_isnan4')}(${c.code}) | (${c.code} != vec4<f32>(0.0f)))` : `${c.code} != vec4<i32>(0i)`;
      const tv = vecCast(t.code, t.dtype, e.dtype);
      const fv = vecCast(f.code, f.dtype, e.dtype);
      return tv && fv ? `select(${fv}, ${tv}, ${cond})` : undefined;
    }
    default: {
      const allInt = args.every((a) => !isFloatD(a.dtype));
      if (e.op in CMP) {
        const ct: DType = allInt ? 'int32' : 'float32';
        const [a, b] = args.map((x) => vecCast(x.code, x.dtype, ct)!) as [string, string];
        // Float comparisons as sg_lt etc.: false with a NaN side, except ne (true).
        const nan = (x: string) => `${h.use('sg_isnan4')}(${x})`;
        const cond = allInt ? `(${a} ${CMP[e.op]} ${b})`
          : e.op === 'ne' ? `(${nan(a)} | ${nan(b)} | (${a} != ${b}))`
            : `(!${nan(a)} & !${nan(b)} & (${a} ${CMP[e.op]} ${b}))`;
        return isFloatD(e.dtype) ? `select(vec4<f32>(0.0f), vec4<f32>(1.0f), ${cond})` : `select(vec4<i32>(0i), vec4<i32>(1i), ${cond})`;
      }
      if (!isFloatD(e.dtype)) {
        const op = allInt ? I32_VEC[e.op] : undefined;
        return op ? vecCast(op(args.map((a) => vecCast(a.code, a.dtype, 'int32')!)), 'int32', e.dtype) : undefined;
      }
      const fa = args.map((a) => vecCast(a.code, a.dtype, 'float32')!);
      const nanOp = F32_VEC_NAN[e.op];
      return nanOp ? nanOp(fa, (x) => `${h.use('sg_isnan4')}(${x})`) : F32_VEC[e.op]?.(fa);
    }
  }
}

/**
 * Renders expressions over vec4 inputs as `let` statements (one vec4 per DAG node, shared
 * subtrees computed once); `values` are the roots' vec4 names.
 */
export function renderExprsVec4(roots: readonly ScalarExpr[], inputs: readonly ExprInput[], h: Helpers, prefix: string): RenderedExprs {
  const names = new Map<ScalarExpr, string>();
  const lines: string[] = [];
  checkedScalarExprNodes(roots, inputs.length, 'render-wgsl').forEach((e, n) => {
    const name = `${prefix}${n}`;
    let args: ExprInput[];
    let scalar: ScalarExpr;
    if (e.op === 'input') {
      const src = inputs[e.index];
      if (!src) throw new Error(`webgpu codegen: input(${e.index}) has no source (the kernel has ${inputs.length} inputs)`);
      args = [src];
      scalar = sx.input(0, e.dtype);
    } else if (e.op === 'const') {
      args = [];
      scalar = e;
    } else {
      args = e.args.map((a) => ({ code: names.get(a)!, dtype: a.dtype }));
      scalar = { ...e, args: e.args.map((a, i) => sx.input(i, a.dtype)) } as unknown as ScalarExpr;
    }
    let code = vectorForm(e, args, h);
    if (code === undefined) {
      const lanes = LANES.map((c) => renderExprs([scalar], args.map((a) => ({ code: `${a.code}.${c}`, dtype: a.dtype })), h, `${name}${c}_`));
      lines.push(...lanes.flatMap((l) => l.lines));
      code = `${vecType(e.dtype)}(${lanes.map((l) => l.values[0]!).join(', ')})`;
    }
    lines.push(`let ${name}: ${vecType(e.dtype)} = ${code};`);
    names.set(e, name);
  });
  return { lines, values: roots.map((r) => names.get(r)!) };
}

/** castValue for a vec4 value (used where a root's dtype differs from its output buffer's). */
export function castVec4(code: string, from: DType, to: DType, h: Helpers): string {
  const v = vecCast(code, from, to);
  if (v !== undefined) return v;
  return `${vecType(to)}(${LANES.map((c) => castValue(`${code}.${c}`, from, to, h)).join(', ')})`;
}
