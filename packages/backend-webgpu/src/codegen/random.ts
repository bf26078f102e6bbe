import { randomBlocks, type RandomKernel, type View } from '@symgrad/core';
import { linearIndex, type CodegenContext, type GeneratedKernel } from './kernel.js';
import { BindingTable, ELEMENT_WORKGROUP, Helpers, splitDispatch } from './wgsl-exports.js';

// WGSL has no 64-bit integers: the high word of a 32×32 product is assembled from 16-bit
// halves, each partial product and the middle sum fitting in a u32 (exact, as core's mulhi).
const PHILOX_SOURCE = `fn sg_mulhi(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = ((al * bl) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}
fn sg_philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var r = 0u; r < 10u; r = r + 1u) {
    if (r > 0u) { k = k + vec2<u32>(0x9e3779b9u, 0xbb67ae85u); }
    let hi0 = sg_mulhi(0xd2511f53u, c.x);
    let lo0 = 0xd2511f53u * c.x;
    let hi1 = sg_mulhi(0xcd9e8d57u, c.z);
    let lo1 = 0xcd9e8d57u * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
  }
  return c;
}`;

// (w >> 9 + 0.5)·2⁻²³: every step is exact in f32, so the device matches core bit for bit.
const UNIFORM_SOURCE = `fn sg_uniform4(w: vec4<u32>) -> vec4<f32> {
  return (vec4<f32>(w >> vec4<u32>(9u)) + vec4<f32>(0.5f)) * 1.1920928955078125e-7f;
}`;

// ln u for u in (0, 1) without the device's log, which may be coarse (with SwiftShader's,
// r = √(−2 ln u) is off by up to 8e-4 relative, near u = 1; this gives 1.4e-7): ln u = e·ln 2 + log1p(m − 1) with m ∈ [√½, √2) taken from u's bits, m − 1
// exact, and ln 2 split in two so e·ln 2 keeps f32 precision.
function logUnitSource(log1p: string): string {
  return `fn sg_log_unit(u: f32) -> f32 {
  let bits = bitcast<u32>(u);
  var e = i32(bits >> 23u) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135f) { m = m * 0.5f; e = e + 1; }
  return f32(e) * 0.693145751953125f + (f32(e) * 1.4286068203094172e-6f + ${log1p}(m - 1.0f));
}`;
}

// (cos 2πt, sin 2πt) for t in turns, without the device's sin/cos, which may be coarse (WGSL
// allows 2⁻¹¹ absolute; SwiftShader's is off by ~2e-4): t's quarter turn q is split off
// exactly (t is a multiple of 2⁻²⁴), leaving |x| ≤ π/4 for Taylor polynomials good to f32.
const SINCOS_TURNS_SOURCE = `fn sg_sincos_turns(t: f32) -> vec2<f32> {
  let q = round(4.0f * t);
  let x = 6.283185307179586f * (t - 0.25f * q);
  let x2 = x * x;
  let s = x * (1.0f - x2 / 6.0f * (1.0f - x2 / 20.0f * (1.0f - x2 / 42.0f * (1.0f - x2 / 72.0f))));
  let c = 1.0f - x2 / 2.0f * (1.0f - x2 / 12.0f * (1.0f - x2 / 30.0f * (1.0f - x2 / 56.0f * (1.0f - x2 / 90.0f))));
  switch ((i32(q) + 4) % 4) {
    case 1: { return vec2<f32>(-s, c); }
    case 2: { return vec2<f32>(-c, -s); }
    case 3: { return vec2<f32>(s, -c); }
    default: { return vec2<f32>(c, s); }
  }
}`;

const NORMAL_SOURCE = `fn sg_normal4(w: vec4<u32>) -> vec4<f32> {
  let u = sg_uniform4(w);
  let r01 = sqrt(-2.0f * sg_log_unit(u.x));
  let r23 = sqrt(-2.0f * sg_log_unit(u.z));
  return vec4<f32>(r01 * sg_sincos_turns(u.y), r23 * sg_sincos_turns(u.w));
}`;

/** The element offset of a contiguous view (the kernel's views are contiguous by contract). */
function contiguousOffset(v: View, what: string): number {
  let stride = 1;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    if (v.shape[d] !== 1 && v.strides[d] !== stride) throw new Error(`random: ${what} must be contiguous (shape [${v.shape.join(', ')}], strides [${v.strides.join(', ')}])`);
    stride *= v.shape[d]!;
  }
  return v.offset;
}

/** `next` = (k0, k1, offset + blocks) with the carry into the high word, from invocation 0 only. */
function nextLines(next: View, nx: string, blocks: number): string[] {
  const o = contiguousOffset(next, 'next');
  return [
    '  if (blk == 0u) {',
    `    let next_lo = s.z + ${blocks}u;`,
    `    ${nx}[${o}] = bitcast<i32>(s.x);`,
    `    ${nx}[${o + 1}] = bitcast<i32>(s.y);`,
    `    ${nx}[${o + 2}] = bitcast<i32>(next_lo);`,
    `    ${nx}[${o + 3}] = bitcast<i32>(s.w + select(0u, 1u, next_lo < s.z));`,
    '  }',
  ];
}

/**
 * Philox-4x32-10 random numbers (see core's `RandomKernel` and `fillRandom`): one invocation
 * per Philox block computes its four words and stores the lanes below n as int32 bits,
 * float32 uniforms or float32 standard normals; invocation 0 also writes `next`.
 * float64 outputs are not supported (this backend has no 64-bit floats).
 */
export function generateRandom(k: RandomKernel, ctx: CodegenContext): GeneratedKernel {
  const outD = ctx.dtypeOf(k.output.buffer);
  const wantD = k.distribution === 'bits' ? 'int32' : 'float32';
  if (outD !== wantD) throw new Error(`random: a ${k.distribution} draw into ${outD} is not supported (WebGPU draws ${k.distribution} as ${wantD})`);
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const n = k.output.shape.reduce((a, b) => a * b, 1);
  const blocks = randomBlocks(n);
  const dispatch = splitDispatch(Math.ceil(blocks / ELEMENT_WORKGROUP), ctx.limits.maxComputeWorkgroupsPerDimension);
  const st = t.ref(k.state.buffer);
  const so = contiguousOffset(k.state, 'state');
  const out = t.ref(k.output.buffer, true);
  const oo = contiguousOffset(k.output, 'output');
  const writeNext = k.next ? nextLines(k.next, t.ref(k.next.buffer, true), blocks) : [];
  const element = oo === 0 ? 'base + j' : `${oo}u + base + j`;
  const sources = k.distribution === 'bits'
    ? [PHILOX_SOURCE]
    : k.distribution === 'uniform'
      ? [PHILOX_SOURCE, UNIFORM_SOURCE]
      : [PHILOX_SOURCE, UNIFORM_SOURCE, logUnitSource(h.use('sg_log1p')), SINCOS_TURNS_SOURCE, NORMAL_SOURCE, h.render()];
  const values = k.distribution === 'bits' ? 'bitcast<vec4<i32>>(w)' : k.distribution === 'uniform' ? 'sg_uniform4(w)' : 'sg_normal4(w)';
  const code = `${[
    `// ${k.label} (random ${k.distribution}, ${blocks} Philox blocks)`,
    t.declarations(),
    ...sources,
    `@compute @workgroup_size(${ELEMENT_WORKGROUP})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
    `  let blk = ${linearIndex(dispatch, ELEMENT_WORKGROUP)};`,
    `  let s = bitcast<vec4<u32>>(vec4<i32>(${st}[${so}], ${st}[${so + 1}], ${st}[${so + 2}], ${st}[${so + 3}]));`,
    // Before the bounds check, so an empty draw still writes `next`.
    ...writeNext,
    `  if (blk >= ${blocks}u) { return; }`,
    '  // Block offset + blk modulo 2⁶⁴: a carry when the low word wraps.',
    '  let lo = s.z + blk;',
    '  let w = sg_philox4x32(vec4<u32>(lo, s.w + select(0u, 1u, lo < blk), 0u, 0u), s.xy);',
    `  let v = ${values};`,
    '  let base = blk * 4u;',
    '  for (var j = 0u; j < 4u; j = j + 1u) {',
    // Only the last block is partial; a whole number of blocks needs no guard.
    n % 4 === 0 ? `    ${out}[${element}] = v[j];` : `    if (base + j < ${n}u) { ${out}[${element}] = v[j]; }`,
    '  }',
    '}',
  ].filter((l) => l !== '').join('\n')}\n`;
  return { code, bindings: t.bindings, dispatch, label: k.label };
}
