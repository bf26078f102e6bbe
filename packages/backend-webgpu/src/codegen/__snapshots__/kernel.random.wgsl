// dispatch 1×1×1; bindings 0:int32 1:float32:rw 2:int32:rw
// random.uniform (random uniform, 10 Philox blocks)
@group(0) @binding(0) var<storage, read> b0: array<i32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> b2: array<i32>;
fn sg_mulhi(a: u32, b: u32) -> u32 {
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
}
fn sg_uniform4(w: vec4<u32>) -> vec4<f32> {
  return (vec4<f32>(w >> vec4<u32>(9u)) + vec4<f32>(0.5f)) * 1.1920928955078125e-7f;
}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blk = gid.x;
  let s = bitcast<vec4<u32>>(vec4<i32>(b0[1], b0[2], b0[3], b0[4]));
  if (blk == 0u) {
    let next_lo = s.z + 10u;
    b2[0] = bitcast<i32>(s.x);
    b2[1] = bitcast<i32>(s.y);
    b2[2] = bitcast<i32>(next_lo);
    b2[3] = bitcast<i32>(s.w + select(0u, 1u, next_lo < s.z));
  }
  if (blk >= 10u) { return; }
  // Block offset + blk modulo 2⁶⁴: a carry when the low word wraps.
  let lo = s.z + blk;
  let w = sg_philox4x32(vec4<u32>(lo, s.w + select(0u, 1u, lo < blk), 0u, 0u), s.xy);
  let v = sg_uniform4(w);
  let base = blk * 4u;
  for (var j = 0u; j < 4u; j = j + 1u) {
    if (base + j < 37u) { b1[base + j] = v[j]; }
  }
}

// dispatch 1×1×1; bindings 0:int32 3:float32:rw 4:int32:rw
// random.normal (random normal, 256 Philox blocks)
@group(0) @binding(0) var<storage, read> b0: array<i32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> b2: array<i32>;
fn sg_mulhi(a: u32, b: u32) -> u32 {
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
}
fn sg_uniform4(w: vec4<u32>) -> vec4<f32> {
  return (vec4<f32>(w >> vec4<u32>(9u)) + vec4<f32>(0.5f)) * 1.1920928955078125e-7f;
}
fn sg_log_unit(u: f32) -> f32 {
  let bits = bitcast<u32>(u);
  var e = i32(bits >> 23u) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135f) { m = m * 0.5f; e = e + 1; }
  return f32(e) * 0.693145751953125f + (f32(e) * 1.4286068203094172e-6f + sg_log1p(m - 1.0f));
}
fn sg_sincos_turns(t: f32) -> vec2<f32> {
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
}
fn sg_normal4(w: vec4<u32>) -> vec4<f32> {
  let u = sg_uniform4(w);
  let r01 = sqrt(-2.0f * sg_log_unit(u.x));
  let r23 = sqrt(-2.0f * sg_log_unit(u.z));
  return vec4<f32>(r01 * sg_sincos_turns(u.y), r23 * sg_sincos_turns(u.w));
}
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_log(x: f32) -> f32 { if (sg_isnan(x)) { return x; } if (x < 0.0) { return sg_nan(); } if (x == 0.0) { return -sg_inf(); } return log(x); }
fn sg_log1p(x: f32) -> f32 {
  if (sg_isnan(x) || x == sg_inf()) { return x; }
  if (abs(x) >= 0.5) { return sg_log(1.0 + x); }
  let s = x / (2.0 + x);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 / 15.0)))))));
}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blk = gid.x;
  let s = bitcast<vec4<u32>>(vec4<i32>(b0[1], b0[2], b0[3], b0[4]));
  if (blk == 0u) {
    let next_lo = s.z + 256u;
    b2[0] = bitcast<i32>(s.x);
    b2[1] = bitcast<i32>(s.y);
    b2[2] = bitcast<i32>(next_lo);
    b2[3] = bitcast<i32>(s.w + select(0u, 1u, next_lo < s.z));
  }
  if (blk >= 256u) { return; }
  // Block offset + blk modulo 2⁶⁴: a carry when the low word wraps.
  let lo = s.z + blk;
  let w = sg_philox4x32(vec4<u32>(lo, s.w + select(0u, 1u, lo < blk), 0u, 0u), s.xy);
  let v = sg_normal4(w);
  let base = blk * 4u;
  for (var j = 0u; j < 4u; j = j + 1u) {
    if (base + j < 1021u) { b1[base + j] = v[j]; }
  }
}

// dispatch 1×1×1; bindings 0:int32 5:int32:rw 6:int32:rw
// random.bits (random bits, 2 Philox blocks)
@group(0) @binding(0) var<storage, read> b0: array<i32>;
@group(0) @binding(1) var<storage, read_write> b1: array<i32>;
@group(0) @binding(2) var<storage, read_write> b2: array<i32>;
fn sg_mulhi(a: u32, b: u32) -> u32 {
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
}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blk = gid.x;
  let s = bitcast<vec4<u32>>(vec4<i32>(b0[1], b0[2], b0[3], b0[4]));
  if (blk == 0u) {
    let next_lo = s.z + 2u;
    b2[0] = bitcast<i32>(s.x);
    b2[1] = bitcast<i32>(s.y);
    b2[2] = bitcast<i32>(next_lo);
    b2[3] = bitcast<i32>(s.w + select(0u, 1u, next_lo < s.z));
  }
  if (blk >= 2u) { return; }
  // Block offset + blk modulo 2⁶⁴: a carry when the low word wraps.
  let lo = s.z + blk;
  let w = sg_philox4x32(vec4<u32>(lo, s.w + select(0u, 1u, lo < blk), 0u, 0u), s.xy);
  let v = bitcast<vec4<i32>>(w);
  let base = blk * 4u;
  for (var j = 0u; j < 4u; j = j + 1u) {
    if (base + j < 5u) { b1[base + j] = v[j]; }
  }
}

// dispatch 1×1×1; bindings 0:int32 7:float32:rw
// random.uniform (random uniform, 1 Philox blocks)
@group(0) @binding(0) var<storage, read> b0: array<i32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
fn sg_mulhi(a: u32, b: u32) -> u32 {
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
}
fn sg_uniform4(w: vec4<u32>) -> vec4<f32> {
  return (vec4<f32>(w >> vec4<u32>(9u)) + vec4<f32>(0.5f)) * 1.1920928955078125e-7f;
}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blk = gid.x;
  let s = bitcast<vec4<u32>>(vec4<i32>(b0[1], b0[2], b0[3], b0[4]));
  if (blk >= 1u) { return; }
  // Block offset + blk modulo 2⁶⁴: a carry when the low word wraps.
  let lo = s.z + blk;
  let w = sg_philox4x32(vec4<u32>(lo, s.w + select(0u, 1u, lo < blk), 0u, 0u), s.xy);
  let v = sg_uniform4(w);
  let base = blk * 4u;
  for (var j = 0u; j < 4u; j = j + 1u) {
    if (base + j < 1u) { b1[base + j] = v[j]; }
  }
}

// dispatch 1×1×1; bindings 0:int32 8:float32:rw
// random.normal (random normal, 1 Philox blocks)
@group(0) @binding(0) var<storage, read> b0: array<i32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
fn sg_mulhi(a: u32, b: u32) -> u32 {
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
}
fn sg_uniform4(w: vec4<u32>) -> vec4<f32> {
  return (vec4<f32>(w >> vec4<u32>(9u)) + vec4<f32>(0.5f)) * 1.1920928955078125e-7f;
}
fn sg_log_unit(u: f32) -> f32 {
  let bits = bitcast<u32>(u);
  var e = i32(bits >> 23u) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135f) { m = m * 0.5f; e = e + 1; }
  return f32(e) * 0.693145751953125f + (f32(e) * 1.4286068203094172e-6f + sg_log1p(m - 1.0f));
}
fn sg_sincos_turns(t: f32) -> vec2<f32> {
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
}
fn sg_normal4(w: vec4<u32>) -> vec4<f32> {
  let u = sg_uniform4(w);
  let r01 = sqrt(-2.0f * sg_log_unit(u.x));
  let r23 = sqrt(-2.0f * sg_log_unit(u.z));
  return vec4<f32>(r01 * sg_sincos_turns(u.y), r23 * sg_sincos_turns(u.w));
}
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_log(x: f32) -> f32 { if (sg_isnan(x)) { return x; } if (x < 0.0) { return sg_nan(); } if (x == 0.0) { return -sg_inf(); } return log(x); }
fn sg_log1p(x: f32) -> f32 {
  if (sg_isnan(x) || x == sg_inf()) { return x; }
  if (abs(x) >= 0.5) { return sg_log(1.0 + x); }
  let s = x / (2.0 + x);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 / 15.0)))))));
}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blk = gid.x;
  let s = bitcast<vec4<u32>>(vec4<i32>(b0[1], b0[2], b0[3], b0[4]));
  if (blk >= 1u) { return; }
  // Block offset + blk modulo 2⁶⁴: a carry when the low word wraps.
  let lo = s.z + blk;
  let w = sg_philox4x32(vec4<u32>(lo, s.w + select(0u, 1u, lo < blk), 0u, 0u), s.xy);
  let v = sg_normal4(w);
  let base = blk * 4u;
  for (var j = 0u; j < 4u; j = j + 1u) {
    if (base + j < 3u) { b1[base + j] = v[j]; }
  }
}
