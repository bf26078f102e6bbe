// dispatch 7×1×1; bindings 0:float32 1:float32:rw
// softmax
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_max(a: f32, b: f32) -> f32 { if (sg_isnan(a)) { return a; } if (sg_isnan(b)) { return b; } return select(b, a, a > b); }
var<workgroup> red: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  if (r >= 7u) { return; }
  var pm = -sg_inf();
  for (var c = lid.x; c < 1031u; c = c + 64u) { pm = sg_max(pm, b0[5 + i32(r) * 1031 + i32(c)]); }
  red[lid.x] = pm;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { red[lid.x] = sg_max(red[lid.x], red[lid.x + s]); }
    workgroupBarrier();
  }
  let m = red[0];
  workgroupBarrier();
  var ps = 0.0f;
  for (var c = lid.x; c < 1031u; c = c + 64u) { ps = ps + exp(b0[5 + i32(r) * 1031 + i32(c)] - m); }
  red[lid.x] = ps;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { red[lid.x] = red[lid.x] + red[lid.x + s]; }
    workgroupBarrier();
  }
  let s = red[0];
  let ls = log(s);
  let bad = (bitcast<u32>(m) & 0x7fffffffu) >= 0x7f800000u;
  for (var c = lid.x; c < 1031u; c = c + 64u) {
    let v = select(exp(b0[5 + i32(r) * 1031 + i32(c)] - m) / s, sg_nan(), bad);
    b1[i32(r) * 1031 + i32(c)] = v;
  }
}

// dispatch 7×1×1; bindings 0:float32 2:float32:rw
// logSoftmax
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_max(a: f32, b: f32) -> f32 { if (sg_isnan(a)) { return a; } if (sg_isnan(b)) { return b; } return select(b, a, a > b); }
var<workgroup> red: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  if (r >= 7u) { return; }
  var pm = -sg_inf();
  for (var c = lid.x; c < 1031u; c = c + 64u) { pm = sg_max(pm, b0[5 + i32(r) * 1031 + i32(c)]); }
  red[lid.x] = pm;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { red[lid.x] = sg_max(red[lid.x], red[lid.x + s]); }
    workgroupBarrier();
  }
  let m = red[0];
  workgroupBarrier();
  var ps = 0.0f;
  for (var c = lid.x; c < 1031u; c = c + 64u) { ps = ps + exp(b0[5 + i32(r) * 1031 + i32(c)] - m); }
  red[lid.x] = ps;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { red[lid.x] = red[lid.x] + red[lid.x + s]; }
    workgroupBarrier();
  }
  let s = red[0];
  let ls = log(s);
  let bad = (bitcast<u32>(m) & 0x7fffffffu) >= 0x7f800000u;
  for (var c = lid.x; c < 1031u; c = c + 64u) {
    let v = select(b0[5 + i32(r) * 1031 + i32(c)] - m - ls, sg_nan(), bad);
    b1[i32(r) * 1031 + i32(c)] = v;
  }
}

// dispatch 1031×1×1; bindings 0:float32 3:float32:rw
// softmax.strided
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_max(a: f32, b: f32) -> f32 { if (sg_isnan(a)) { return a; } if (sg_isnan(b)) { return b; } return select(b, a, a > b); }
var<workgroup> red: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  if (r >= 1031u) { return; }
  var pm = -sg_inf();
  for (var c = lid.x; c < 7u; c = c + 64u) { pm = sg_max(pm, b0[5 + i32(r) + i32(c) * 1031]); }
  red[lid.x] = pm;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { red[lid.x] = sg_max(red[lid.x], red[lid.x + s]); }
    workgroupBarrier();
  }
  let m = red[0];
  workgroupBarrier();
  var ps = 0.0f;
  for (var c = lid.x; c < 7u; c = c + 64u) { ps = ps + exp(b0[5 + i32(r) + i32(c) * 1031] - m); }
  red[lid.x] = ps;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { red[lid.x] = red[lid.x] + red[lid.x + s]; }
    workgroupBarrier();
  }
  let s = red[0];
  let ls = log(s);
  let bad = (bitcast<u32>(m) & 0x7fffffffu) >= 0x7f800000u;
  for (var c = lid.x; c < 7u; c = c + 64u) {
    let v = select(exp(b0[5 + i32(r) + i32(c) * 1031] - m) / s, sg_nan(), bad);
    b1[i32(r) + i32(c) * 1031] = v;
  }
}
