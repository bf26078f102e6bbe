import type { DType, View } from '@symgrad/core';

/**
 * How symgrad dtypes live in WGSL. Every element is one 32-bit word:
 * float32 → `f32`; int32 → `i32`; bool → `i32` holding 0 or 1 (WGSL has no 1-byte storage
 * type and `bool` cannot be stored, so bool buffers take 4 bytes per element on the device
 * and are converted to/from the host's Uint8Array on write/read). float64 is unsupported.
 */
export type WgslDType = 'float32' | 'int32' | 'bool';

export const WGSL_DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

/** The WGSL value type of a dtype (also its storage element type). */
export function wgslType(d: DType): 'f32' | 'i32' {
  if (d === 'float32') return 'f32';
  if (d === 'int32' || d === 'bool') return 'i32';
  throw new Error(`webgpu codegen: dtype '${d}' has no WGSL representation (supported: float32, int32, bool)`);
}

export const isFloatD = (d: DType): boolean => d === 'float32' || d === 'float64';

/**
 * Helper functions a piece of generated code uses; emitted once per module, with their
 * dependencies, in a fixed order so the same kernel always gives the same WGSL.
 *
 * @example
 * ```ts
 * const h = new Helpers();
 * const store = `out[i] = ${castValue('v', 'float32', 'int32', h)};`; // 'out[i] = sg_to_i32(v);'
 * h.render(); // the WGSL of sg_isnan, then of sg_to_i32 (which calls it): put it before `main`
 * ```
 */
export class Helpers {
  readonly used = new Set<keyof typeof HELPER_SOURCES>();
  use(name: keyof typeof HELPER_SOURCES): string {
    this.used.add(name);
    return name;
  }
  render(): string {
    // Dependencies first, in a fixed order, so the output is deterministic.
    const order = Object.keys(HELPER_SOURCES) as (keyof typeof HELPER_SOURCES)[];
    const need = new Set<keyof typeof HELPER_SOURCES>();
    const add = (n: keyof typeof HELPER_SOURCES): void => {
      if (need.has(n)) return;
      need.add(n);
      for (const d of HELPER_DEPS[n] ?? []) add(d);
    };
    for (const n of this.used) add(n);
    return order.filter((n) => need.has(n)).map((n) => HELPER_SOURCES[n]).join('\n');
  }
}

const HELPER_DEPS: Partial<Record<keyof typeof HELPER_SOURCES, (keyof typeof HELPER_SOURCES)[]>> = {
  sg_to_i32: ['sg_isnan'], sg_to_bool: ['sg_isnan'], sg_relu: ['sg_isnan'], sg_sign: ['sg_isnan'], sg_min: ['sg_isnan'], sg_max: ['sg_isnan'],
  sg_pow: ['sg_isnan', 'sg_nan', 'sg_inf'], sg_log: ['sg_isnan', 'sg_nan', 'sg_inf'], sg_log1p: ['sg_isnan', 'sg_nan', 'sg_inf', 'sg_log'], sg_expm1: ['sg_isnan'],
  sg_sqrt: ['sg_nan', 'sg_isnan'], sg_rsqrt: ['sg_nan', 'sg_isnan', 'sg_sqrt'], sg_tanh: ['sg_isnan', 'sg_expm1'], sg_sigmoid: ['sg_isnan'], sg_exp: ['sg_isnan'],
  sg_lt: ['sg_isnan'], sg_le: ['sg_isnan'], sg_gt: ['sg_isnan'], sg_ge: ['sg_isnan'], sg_eq: ['sg_isnan'], sg_ne: ['sg_isnan'], sg_truthy: ['sg_isnan'],
};

// NaN and ±Infinity are built with bitcasts of runtime values: WGSL const-evaluation rejects
// non-finite results, and compilers may assume finite math, so NaN tests use the bits.
export const HELPER_SOURCES = {
  sg_nan: 'fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }',
  sg_inf: 'fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }',
  sg_isnan: 'fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }',
  sg_isnan4: 'fn sg_isnan4(x: vec4<f32>) -> vec4<bool> { return (bitcast<vec4<u32>>(x) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u); }',
  // roundTo(int32): NaN and ±Infinity → 0, truncation toward zero, wrap modulo 2^32.
  sg_to_i32: `fn sg_to_i32(x: f32) -> i32 {
  if (sg_isnan(x) || (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  let r = t - floor(t / 4294967296.0) * 4294967296.0;
  return bitcast<i32>(u32(r));
}`,
  sg_to_bool: 'fn sg_to_bool(x: f32) -> i32 { return select(0, 1, x != 0.0 && !sg_isnan(x)); }',
  sg_relu: 'fn sg_relu(x: f32) -> f32 { if (sg_isnan(x)) { return x; } return select(0.0, x, x > 0.0); }',
  sg_sign: 'fn sg_sign(x: f32) -> f32 { if (sg_isnan(x)) { return x; } return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }',
  sg_min: 'fn sg_min(a: f32, b: f32) -> f32 { if (sg_isnan(a)) { return a; } if (sg_isnan(b)) { return b; } return select(b, a, a < b); }',
  sg_max: 'fn sg_max(a: f32, b: f32) -> f32 { if (sg_isnan(a)) { return a; } if (sg_isnan(b)) { return b; } return select(b, a, a > b); }',
  sg_exp: 'fn sg_exp(x: f32) -> f32 { if (sg_isnan(x)) { return x; } return exp(x); }',
  sg_log: 'fn sg_log(x: f32) -> f32 { if (sg_isnan(x)) { return x; } if (x < 0.0) { return sg_nan(); } if (x == 0.0) { return -sg_inf(); } return log(x); }',
  // |x| < 0.5: 2·atanh(s), s = x/(2+x), by its series (no cancellation, whatever the compiler reassociates).
  sg_log1p: `fn sg_log1p(x: f32) -> f32 {
  if (sg_isnan(x) || x == sg_inf()) { return x; }
  if (abs(x) >= 0.5) { return sg_log(1.0 + x); }
  let s = x / (2.0 + x);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 / 15.0)))))));
}`,
  // |x| < 0.5: the Taylor series in Horner form (exp(x) − 1 cancels).
  sg_expm1: `fn sg_expm1(x: f32) -> f32 {
  if (sg_isnan(x)) { return x; }
  if (abs(x) >= 0.5) { return exp(x) - 1.0; }
  return x * (1.0 + x / 2.0 * (1.0 + x / 3.0 * (1.0 + x / 4.0 * (1.0 + x / 5.0 * (1.0 + x / 6.0 * (1.0 + x / 7.0 * (1.0 + x / 8.0 * (1.0 + x / 9.0))))))));
}`,
  sg_sqrt: 'fn sg_sqrt(x: f32) -> f32 { if (sg_isnan(x)) { return x; } if (x < 0.0) { return sg_nan(); } return sqrt(x); }',
  sg_rsqrt: 'fn sg_rsqrt(x: f32) -> f32 { return 1.0 / sg_sqrt(x); }',
  // tanh(|x|) = −expm1(−2|x|) / (2 + expm1(−2|x|)): accurate near 0, exact ±1 beyond 10.
  sg_tanh: `fn sg_tanh(x: f32) -> f32 {
  if (sg_isnan(x)) { return x; }
  let ax = abs(x);
  if (ax > 10.0) { return sign(x); }
  let e = sg_expm1(-2.0 * ax);
  return sign(x) * (-e / (2.0 + e));
}`,
  sg_sigmoid: `fn sg_sigmoid(x: f32) -> f32 {
  if (sg_isnan(x)) { return x; }
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}`,
  // Math.pow semantics: pow(x, ±0) = 1 (even for NaN x), NaN otherwise propagates (pow(1, NaN) is NaN),
  // a negative finite nonzero base needs an integer exponent, and the sign (of −0 too) follows an odd exponent.
  sg_pow: `fn sg_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (sg_isnan(x) || sg_isnan(y)) { return sg_nan(); }
  let ay = abs(y);
  let isInt = floor(y) == y;
  let odd = isInt && ay < 16777216.0 && (i32(ay) & 1) == 1;
  let neg = (bitcast<u32>(x) >> 31u) == 1u;
  let ax = abs(x);
  if (neg && !isInt && ax != 0.0 && ax != sg_inf() && ay != sg_inf()) { return sg_nan(); }
  var r: f32;
  if (isInt && ay <= 64.0 && ax != 0.0 && ax != sg_inf()) {
    // Small integer exponents by repeated squaring: exact where the result is (pow(1000, 3) is 1e9, not 999999616).
    var n = u32(ay);
    var base = ax;
    r = 1.0;
    loop {
      if ((n & 1u) == 1u) { r = r * base; }
      n = n >> 1u;
      if (n == 0u) { break; }
      base = base * base;
    }
    if (y < 0.0) { r = 1.0 / r; }
  }
  else if (ax == 0.0) { r = select(0.0, sg_inf(), y < 0.0); }
  else if (ax == sg_inf()) { r = select(sg_inf(), 0.0, y < 0.0); }
  else if (ay == sg_inf()) { if (ax == 1.0) { return sg_nan(); } r = select(0.0, sg_inf(), (ax > 1.0) == (y > 0.0)); }
  else { r = exp2(y * log2(ax)); }
  return select(r, -r, neg && odd);
}`,
  // Comparisons with NaN: false, except ne (true). Compilers may assume finite math, so NaN is tested by bits.
  sg_lt: 'fn sg_lt(a: f32, b: f32) -> bool { return !sg_isnan(a) && !sg_isnan(b) && a < b; }',
  sg_le: 'fn sg_le(a: f32, b: f32) -> bool { return !sg_isnan(a) && !sg_isnan(b) && a <= b; }',
  sg_gt: 'fn sg_gt(a: f32, b: f32) -> bool { return !sg_isnan(a) && !sg_isnan(b) && a > b; }',
  sg_ge: 'fn sg_ge(a: f32, b: f32) -> bool { return !sg_isnan(a) && !sg_isnan(b) && a >= b; }',
  sg_eq: 'fn sg_eq(a: f32, b: f32) -> bool { return !sg_isnan(a) && !sg_isnan(b) && a == b; }',
  sg_ne: 'fn sg_ne(a: f32, b: f32) -> bool { return sg_isnan(a) || sg_isnan(b) || a != b; }',
  // A float condition is true unless it is ±0 (NaN is true, as in the reference).
  sg_truthy: 'fn sg_truthy(x: f32) -> bool { return sg_isnan(x) || x != 0.0; }',
} as const;

/** A view's element offset as a WGSL i32 expression of per-dim index expressions. */
export function viewOffset(v: View, index: readonly string[]): string {
  const terms: string[] = [];
  if (v.offset !== 0) terms.push(`${v.offset}`);
  v.strides.forEach((s, d) => {
    if (s === 0 || v.shape[d] === 1) return;
    terms.push(s === 1 ? `i32(${index[d]})` : `i32(${index[d]}) * ${s}`);
  });
  return terms.length ? terms.join(' + ') : '0';
}

/**
 * Statements that unravel a linear u32 index `lin` over `shape` into `let <prefix><d>: u32`
 * (row-major; the last dim varies fastest).
 */
export function unravel(shape: readonly number[], lin: string, prefix: string): string[] {
  const out: string[] = [];
  if (shape.length === 0) return out;
  out.push(`var ${prefix}r: u32 = ${lin};`);
  for (let d = shape.length - 1; d >= 0; d--) {
    if (d === 0) out.push(`let ${prefix}${d}: u32 = ${prefix}r;`);
    else {
      out.push(`let ${prefix}${d}: u32 = ${prefix}r % ${shape[d]}u;`);
      out.push(`${prefix}r = ${prefix}r / ${shape[d]}u;`);
    }
  }
  return out;
}

/** A buffer binding of a generated kernel. */
export interface Binding {
  readonly buffer: number;
  readonly dtype: DType;
  readonly write: boolean;
  /**
   * Declared as an array of atomic words (scatterAdd's output): `atomic<u32>` holding a
   * float32's bits, or `atomic<i32>`. Always read_write. Only the declaration differs: the
   * bind group layout ('storage') and the GPU buffer are those of a plain writable binding,
   * so other kernels may bind the same buffer as `array<f32>` in their own pipelines.
   */
  readonly atomic?: boolean;
}

/** Collects the distinct buffers a kernel touches (one binding each, read_write if written). */
export class BindingTable {
  readonly bindings: Binding[] = [];
  constructor(private readonly dtypeOf: (buffer: number) => DType) {}
  /** The WGSL name of a buffer's binding. */
  ref(buffer: number, write = false): string {
    let i = this.bindings.findIndex((b) => b.buffer === buffer);
    if (i < 0) {
      i = this.bindings.length;
      this.bindings.push({ buffer, dtype: this.dtypeOf(buffer), write });
    } else if (write && !this.bindings[i]!.write) {
      this.bindings[i] = { ...this.bindings[i]!, write: true };
    }
    return `b${i}`;
  }
  /**
   * The WGSL name of a buffer's binding declared as atomic words (see Binding.atomic). Every
   * access of that buffer in the kernel must then go through atomic built-ins, reads of
   * another view of it included: ask for this before any `ref` of the same buffer.
   */
  atomicRef(buffer: number): string {
    const name = this.ref(buffer, true);
    const i = Number(name.slice(1));
    this.bindings[i] = { ...this.bindings[i]!, atomic: true };
    return name;
  }
  /** The WGSL name of the executable's float32 scratch memory (kernel.ts SCRATCH_BUFFER, id −1). */
  scratch(write = false): string {
    let i = this.bindings.findIndex((b) => b.buffer === -1);
    if (i < 0) {
      i = this.bindings.length;
      this.bindings.push({ buffer: -1, dtype: 'float32', write });
    } else if (write && !this.bindings[i]!.write) {
      this.bindings[i] = { ...this.bindings[i]!, write: true };
    }
    return `b${i}`;
  }
  /** `lanes` 4 declares every binding as an array of vec4 (see generateElementwise). */
  declarations(lanes: 1 | 4 = 1): string {
    // An atomic binding stays one word per element whatever `lanes` says (no vec4 atomics).
    const elem = (b: Binding) => (b.atomic ? atomicWordType(b.dtype) : lanes === 4 ? `vec4<${wgslType(b.dtype)}>` : wgslType(b.dtype));
    return this.bindings
      .map((b, i) => `@group(0) @binding(${i}) var<storage, ${b.write ? 'read_write' : 'read'}> b${i}: array<${elem(b)}>;`)
      .join('\n');
  }
}

/**
 * The atomic word a dtype is stored in: WGSL has atomics over i32 and u32 only, so a float32
 * buffer is declared `atomic<u32>` and its values are moved by bitcast.
 */
export function atomicWordType(d: DType): 'atomic<u32>' | 'atomic<i32>' {
  return wgslType(d) === 'f32' ? 'atomic<u32>' : 'atomic<i32>';
}

/** Threads per workgroup of one-thread-per-element kernels. */
export const ELEMENT_WORKGROUP = 256;

/** Splits `groups` workgroups into a 2-D grid no dimension of which exceeds `maxPerDim`. */
export function splitDispatch(groups: number, maxPerDim: number): [number, number, number] {
  if (groups <= maxPerDim) return [Math.max(groups, 1), 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  if (y > maxPerDim) throw new Error(`webgpu codegen: ${groups} workgroups exceed the device's grid of ${maxPerDim} × ${maxPerDim} (maxComputeWorkgroupsPerDimension ${maxPerDim})`);
  return [Math.ceil(groups / y), y, 1];
}
