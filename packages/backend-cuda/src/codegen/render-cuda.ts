import { checkedScalarExprNodes, roundTo, type DType, type ScalarExpr } from '@symgrad/core';

/**
 * Renders ScalarExpr DAGs as CUDA C statements. Arithmetic happens in each node's dtype
 * (float for float32, double for float64, 32-bit two's-complement for int32 and bool), and
 * every conversion follows core's `roundTo`: float→int truncates and wraps (NaN and ±∞ give
 * 0), anything→bool is "non-zero and not NaN". min/max/relu/sign propagate NaN and pow
 * follows JavaScript's Math.pow, as the reference evaluator does.
 *
 * Security: the generated source holds only numbers, identifiers this module makes up and op
 * templates from the fixed tables below; an unknown op, dtype or input index throws.
 */

const DTYPES: ReadonlySet<string> = new Set<DType>(['float32', 'float64', 'int32', 'bool']);

/** The C type a value of `dtype` is computed in. */
export function computeType(dtype: DType): string {
  return dtype === 'float32' ? 'float' : dtype === 'float64' ? 'double' : 'int';
}

/** The C type a buffer of `dtype` is stored as (bool is one byte, as Uint8Array on the host). */
export function storageType(dtype: DType): string {
  return dtype === 'bool' ? 'unsigned char' : computeType(dtype);
}

/** Bytes per stored element. */
export function elementBytes(dtype: DType): number {
  return dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
}

const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64';

/** A C literal of `dtype`'s compute type holding roundTo(dtype, v) exactly (NaN, ±∞ included). */
export function cudaLiteral(dtype: DType, value: number): string {
  if (typeof value !== 'number') throw new Error(`render-cuda: constant ${String(value)} is not a number`);
  if (!DTYPES.has(dtype)) throw new Error(`render-cuda: unknown dtype '${String(dtype)}'`);
  const v = roundTo(dtype, value);
  if (dtype === 'int32') return v === -2147483648 ? '(-2147483647 - 1)' : v < 0 ? `(${v})` : `${v}`;
  if (dtype === 'bool') return `${v}`;
  const f = dtype === 'float32';
  if (Number.isNaN(v)) return f ? 'SG_NAN_F' : 'SG_NAN_D';
  if (v === Infinity) return f ? 'SG_INF_F' : 'SG_INF_D';
  if (v === -Infinity) return f ? '(-SG_INF_F)' : '(-SG_INF_D)';
  let s = Object.is(v, -0) ? '-0.0' : String(v);
  if (!/[.e]/.test(s)) s += '.0';
  s += f ? 'f' : '';
  return s.startsWith('-') ? `(${s})` : s;
}

/** `x` (a local or literal of `from`'s compute type) converted to `to` with roundTo's rules. */
export function convert(from: DType, to: DType, x: string): string {
  if (from === to) return x;
  switch (to) {
    case 'float32': return `((float)${x})`;
    case 'float64': return `((double)${x})`;
    case 'int32': return isFloat(from) ? `sg_i32((double)${x})` : x;
    case 'bool': return isFloat(from) ? `((${x} != 0 && ${x} == ${x}) ? 1 : 0)` : `(${x} != 0 ? 1 : 0)`;
  }
}

type Args = readonly string[];
type Emit = (ctype: string, expr: string) => string;

/** Float templates (T is the float type; f picks the float or double libm name). */
const FLOAT_OPS: Readonly<Record<string, { arity: number; c: (a: Args, T: string, f: (n: string) => string, local: Emit) => string }>> = {
  neg: { arity: 1, c: ([x]) => `(-${x})` },
  exp: { arity: 1, c: ([x], _T, f) => `${f('exp')}(${x})` },
  log: { arity: 1, c: ([x], _T, f) => `${f('log')}(${x})` },
  log1p: { arity: 1, c: ([x], _T, f) => `${f('log1p')}(${x})` },
  expm1: { arity: 1, c: ([x], _T, f) => `${f('expm1')}(${x})` },
  sqrt: { arity: 1, c: ([x], _T, f) => `${f('sqrt')}(${x})` },
  // 1/sqrt rather than rsqrt(): the correctly rounded form, as the reference computes.
  rsqrt: { arity: 1, c: ([x], T, f) => `((${T})1 / ${f('sqrt')}(${x}))` },
  square: { arity: 1, c: ([x]) => `(${x} * ${x})` },
  abs: { arity: 1, c: ([x], _T, f) => `${f('fabs')}(${x})` },
  sign: { arity: 1, c: ([x], T) => `(${x} > 0 ? (${T})1 : ${x} < 0 ? (${T})(-1) : ${x} == ${x} ? (${T})0 : ${x})` },
  tanh: { arity: 1, c: ([x], _T, f) => `${f('tanh')}(${x})` },
  // Stable on both tails: exp(-|x|) never overflows.
  sigmoid: {
    arity: 1,
    c: ([x], T, f, local) => {
      const e = local(T, `${f('exp')}(-${f('fabs')}(${x}))`);
      return `(${x} >= 0 ? (${T})1 / ((${T})1 + ${e}) : ${e} / ((${T})1 + ${e}))`;
    },
  },
  relu: { arity: 1, c: ([x], T) => `((${x} > 0 || ${x} != ${x}) ? ${x} : (${T})0)` },
  add: { arity: 2, c: ([a, b]) => `(${a} + ${b})` },
  sub: { arity: 2, c: ([a, b]) => `(${a} - ${b})` },
  mul: { arity: 2, c: ([a, b]) => `(${a} * ${b})` },
  div: { arity: 2, c: ([a, b]) => `(${a} / ${b})` },
  pow: { arity: 2, c: ([a, b]) => `sg_pow(${a}, ${b})` },
  minimum: { arity: 2, c: ([a, b]) => `((${a} < ${b} || ${a} != ${a}) ? ${a} : ${b})` },
  maximum: { arity: 2, c: ([a, b]) => `((${a} > ${b} || ${a} != ${a}) ? ${a} : ${b})` },
};

/** Int templates: wrapping two's-complement arithmetic through unsigned (no signed-overflow UB). */
const INT_OPS: Readonly<Record<string, (a: Args) => string>> = {
  neg: ([x]) => `((int)(0u - (unsigned)${x}))`,
  abs: ([x]) => `(${x} < 0 ? (int)(0u - (unsigned)${x}) : ${x})`,
  square: ([x]) => `((int)((unsigned)${x} * (unsigned)${x}))`,
  sign: ([x]) => `((${x} > 0) - (${x} < 0))`,
  relu: ([x]) => `(${x} > 0 ? ${x} : 0)`,
  add: ([a, b]) => `((int)((unsigned)${a} + (unsigned)${b}))`,
  sub: ([a, b]) => `((int)((unsigned)${a} - (unsigned)${b}))`,
  mul: ([a, b]) => `((int)((unsigned)${a} * (unsigned)${b}))`,
  minimum: ([a, b]) => `(${a} < ${b} ? ${a} : ${b})`,
  maximum: ([a, b]) => `(${a} > ${b} ? ${a} : ${b})`,
};

const COMPARE: Readonly<Record<string, string>> = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '==', ne: '!=' };

const WIDTH: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
const wider = (a: DType, b: DType): DType => (WIDTH[a] >= WIDTH[b] ? a : b);

export interface CudaRenderOptions {
  readonly inputCount: number;
  /** A C expression loading input k, in the compute type of `storage(k)`. */
  readonly load: (index: number) => string;
  /** The dtype input k is stored in. */
  readonly storage: (index: number) => DType;
  /** Prefix of the locals (distinct renders in one scope need distinct prefixes). */
  readonly prefix?: string;
}

export interface CudaRendered {
  /** Declarations, one `const` local per node, in evaluation order. */
  readonly lines: readonly string[];
  /** For each root, the local or literal holding its value in its dtype's compute type. */
  readonly results: readonly string[];
}

/**
 * Renders expressions (sharing nodes between them) as CUDA C declarations.
 *
 * @example
 * ```ts
 * const r = renderCudaExprs([sx.unary('exp', sx.input(0, 'float32'))], { inputCount: 1, load: () => 'x[i]', storage: () => 'float32' });
 * // r.lines: ['const float v0 = x[i];', 'const float v1 = expf(v0);'], r.results: ['v1']
 * ```
 */
export function renderCudaExprs(roots: readonly ScalarExpr[], opts: CudaRenderOptions): CudaRendered {
  const prefix = opts.prefix ?? 'v';
  if (!/^[a-z]{1,3}$/.test(prefix)) throw new Error(`render-cuda: bad local prefix '${prefix}': expected 1 to 3 lowercase letters`);
  const names = new Map<ScalarExpr, string>();
  const lines: string[] = [];
  let n = 0;
  const local: Emit = (ctype, expr) => {
    const name = `${prefix}${n++}`;
    lines.push(`const ${ctype} ${name} = ${expr};`);
    return name;
  };
  for (const e of checkedScalarExprNodes(roots, opts.inputCount, 'render-cuda')) {
    const T = computeType(e.dtype);
    let value: string;
    if (e.op === 'input') {
      value = local(T, convert(opts.storage(e.index), e.dtype, `(${computeType(opts.storage(e.index))})(${opts.load(e.index)})`));
    } else if (e.op === 'const') {
      value = cudaLiteral(e.dtype, e.value);
    } else {
      const args = e.args.map((a) => names.get(a)!);
      value = local(T, renderOp(e, args, local));
    }
    names.set(e, value);
  }
  return { lines, results: roots.map((r) => names.get(r)!) };
}

function renderOp(e: ScalarExpr & { args: readonly ScalarExpr[] }, args: Args, local: Emit): string {
  const to = e.dtype;
  const as = (cd: DType) => e.args.map((a, i) => convert(a.dtype, cd, args[i]!));
  if (e.op === 'cast') return convert(e.args[0].dtype, to, args[0]!);
  if (e.op === 'where') {
    const [, a, b] = e.args;
    return `(${args[0]} != 0 ? ${convert(a!.dtype, to, args[1]!)} : ${convert(b!.dtype, to, args[2]!)})`;
  }
  const cmp = COMPARE[e.op];
  if (cmp) {
    const cd = e.args.map((a) => a.dtype).reduce(wider);
    const [a, b] = as(cd === 'bool' ? 'int32' : cd);
    return convert('int32', to, `(${a} ${cmp} ${b} ? 1 : 0)`);
  }
  const intOp = INT_OPS[e.op];
  if (!isFloat(to) && intOp && e.args.every((a) => !isFloat(a.dtype))) {
    return convert('int32', to, intOp(as('int32')));
  }
  // Float arithmetic in the result's precision; int/bool results of float math go through double.
  const cd: DType = isFloat(to) ? to : 'float64';
  const T = computeType(cd);
  const f = (name: string) => (cd === 'float32' ? `${name}f` : name);
  // Conversions of arguments are pure and cheap, so templates may repeat them.
  return convert(cd, to, FLOAT_OPS[e.op]!.c(as(cd), T, f, local));
}

/**
 * Definitions the rendered expressions rely on (NaN/∞ constants, float→int32, pow). Valid
 * CUDA C under NVRTC and nvcc, and plain C++ on the host, so tests can run renders on a CPU.
 */
export const SCALAR_PRELUDE = `#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define SG_DEV __device__ __forceinline__
#define SG_NAN_F __int_as_float(0x7fc00000)
#define SG_INF_F __int_as_float(0x7f800000)
#define SG_NAN_D __longlong_as_double(0x7ff8000000000000LL)
#define SG_INF_D __longlong_as_double(0x7ff0000000000000LL)
#else
#include <cmath>
using std::trunc; using std::fmod;
#define SG_DEV inline
#define SG_NAN_F __builtin_nanf("")
#define SG_INF_F __builtin_inff()
#define SG_NAN_D __builtin_nan("")
#define SG_INF_D __builtin_inf()
#endif
// roundTo(int32): truncate, wrap modulo 2^32; NaN and infinities give 0.
SG_DEV int sg_i32(double v) {
  if (!(v == v) || v == SG_INF_D || v == -SG_INF_D) return 0;
  double m = fmod(trunc(v), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return (int)(unsigned)(long long)m;
}
// Math.pow: a NaN exponent gives NaN, and so does (±1)^(±Infinity).
SG_DEV float sg_pow(float a, float b) {
  if (b != b || ((a == 1.0f || a == -1.0f) && (b == SG_INF_F || b == -SG_INF_F))) return SG_NAN_F;
  return powf(a, b);
}
SG_DEV double sg_pow(double a, double b) {
  if (b != b || ((a == 1.0 || a == -1.0) && (b == SG_INF_D || b == -SG_INF_D))) return SG_NAN_D;
  return pow(a, b);
}
`;
