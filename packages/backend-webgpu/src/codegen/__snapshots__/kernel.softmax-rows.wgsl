// dispatch 7×1×1; bindings 0:float32 1:float32:rw
// softmax (softmax, 256 lanes × 1 row per workgroup, 5 cached per lane)
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_max(a: f32, b: f32) -> f32 { if (sg_isnan(a)) { return a; } if (sg_isnan(b)) { return b; } return select(b, a, a > b); }
var<workgroup> red: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  let lane = lid.x;
  let n = select(0u, 1031u, r < 7u);
  var pm = -sg_inf();
  let c0 = lane;
  var x0 = 0.0f;
  if (c0 < n) { x0 = b0[5 + i32(r) * 1031 + i32(c0)]; pm = sg_max(pm, x0); }
  let c1 = lane + 256u;
  var x1 = 0.0f;
  if (c1 < n) { x1 = b0[5 + i32(r) * 1031 + i32(c1)]; pm = sg_max(pm, x1); }
  let c2 = lane + 512u;
  var x2 = 0.0f;
  if (c2 < n) { x2 = b0[5 + i32(r) * 1031 + i32(c2)]; pm = sg_max(pm, x2); }
  let c3 = lane + 768u;
  var x3 = 0.0f;
  if (c3 < n) { x3 = b0[5 + i32(r) * 1031 + i32(c3)]; pm = sg_max(pm, x3); }
  let c4 = lane + 1024u;
  var x4 = 0.0f;
  if (c4 < n) { x4 = b0[5 + i32(r) * 1031 + i32(c4)]; pm = sg_max(pm, x4); }
  red[lid.x] = pm;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lane < s) { red[lid.x] = sg_max(red[lid.x], red[lid.x + s]); }
    workgroupBarrier();
  }
  let m = red[lid.x - lane];
  workgroupBarrier();
  var ps = 0.0f;
  if (c0 < n) { x0 = exp(x0 - m); ps = ps + x0; }
  if (c1 < n) { x1 = exp(x1 - m); ps = ps + x1; }
  if (c2 < n) { x2 = exp(x2 - m); ps = ps + x2; }
  if (c3 < n) { x3 = exp(x3 - m); ps = ps + x3; }
  if (c4 < n) { x4 = exp(x4 - m); ps = ps + x4; }
  red[lid.x] = ps;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lane < s) { red[lid.x] = red[lid.x] + red[lid.x + s]; }
    workgroupBarrier();
  }
  let s = red[lid.x - lane];
  let bad = (bitcast<u32>(m) & 0x7fffffffu) >= 0x7f800000u;
  if (c0 < n) { b1[i32(r) * 1031 + i32(c0)] = select(x0 / s, sg_nan(), bad); }
  if (c1 < n) { b1[i32(r) * 1031 + i32(c1)] = select(x1 / s, sg_nan(), bad); }
  if (c2 < n) { b1[i32(r) * 1031 + i32(c2)] = select(x2 / s, sg_nan(), bad); }
  if (c3 < n) { b1[i32(r) * 1031 + i32(c3)] = select(x3 / s, sg_nan(), bad); }
  if (c4 < n) { b1[i32(r) * 1031 + i32(c4)] = select(x4 / s, sg_nan(), bad); }
}

// dispatch 7×1×1; bindings 0:float32 2:float32:rw
// logSoftmax (log-softmax, 256 lanes × 1 row per workgroup, 5 cached per lane)
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_max(a: f32, b: f32) -> f32 { if (sg_isnan(a)) { return a; } if (sg_isnan(b)) { return b; } return select(b, a, a > b); }
var<workgroup> red: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  let lane = lid.x;
  let n = select(0u, 1031u, r < 7u);
  var pm = -sg_inf();
  let c0 = lane;
  var x0 = 0.0f;
  if (c0 < n) { x0 = b0[5 + i32(r) * 1031 + i32(c0)]; pm = sg_max(pm, x0); }
  let c1 = lane + 256u;
  var x1 = 0.0f;
  if (c1 < n) { x1 = b0[5 + i32(r) * 1031 + i32(c1)]; pm = sg_max(pm, x1); }
  let c2 = lane + 512u;
  var x2 = 0.0f;
  if (c2 < n) { x2 = b0[5 + i32(r) * 1031 + i32(c2)]; pm = sg_max(pm, x2); }
  let c3 = lane + 768u;
  var x3 = 0.0f;
  if (c3 < n) { x3 = b0[5 + i32(r) * 1031 + i32(c3)]; pm = sg_max(pm, x3); }
  let c4 = lane + 1024u;
  var x4 = 0.0f;
  if (c4 < n) { x4 = b0[5 + i32(r) * 1031 + i32(c4)]; pm = sg_max(pm, x4); }
  red[lid.x] = pm;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lane < s) { red[lid.x] = sg_max(red[lid.x], red[lid.x + s]); }
    workgroupBarrier();
  }
  let m = red[lid.x - lane];
  workgroupBarrier();
  var ps = 0.0f;
  if (c0 < n) { ps = ps + exp(x0 - m); }
  if (c1 < n) { ps = ps + exp(x1 - m); }
  if (c2 < n) { ps = ps + exp(x2 - m); }
  if (c3 < n) { ps = ps + exp(x3 - m); }
  if (c4 < n) { ps = ps + exp(x4 - m); }
  red[lid.x] = ps;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lane < s) { red[lid.x] = red[lid.x] + red[lid.x + s]; }
    workgroupBarrier();
  }
  let s = red[lid.x - lane];
  let ls = log(s);
  let bad = (bitcast<u32>(m) & 0x7fffffffu) >= 0x7f800000u;
  if (c0 < n) { b1[i32(r) * 1031 + i32(c0)] = select(x0 - m - ls, sg_nan(), bad); }
  if (c1 < n) { b1[i32(r) * 1031 + i32(c1)] = select(x1 - m - ls, sg_nan(), bad); }
  if (c2 < n) { b1[i32(r) * 1031 + i32(c2)] = select(x2 - m - ls, sg_nan(), bad); }
  if (c3 < n) { b1[i32(r) * 1031 + i32(c3)] = select(x3 - m - ls, sg_nan(), bad); }
  if (c4 < n) { b1[i32(r) * 1031 + i32(c4)] = select(x4 - m - ls, sg_nan(), bad); }
}

// dispatch 33×1×1; bindings 0:float32 3:float32:rw
// softmax.strided (softmax, 8 lanes × 32 rows per workgroup, 1 cached per lane)
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_max(a: f32, b: f32) -> f32 { if (sg_isnan(a)) { return a; } if (sg_isnan(b)) { return b; } return select(b, a, a > b); }
var<workgroup> red: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x * 32u + lid.x / 8u;
  let lane = lid.x % 8u;
  let n = select(0u, 7u, r < 1031u);
  var pm = -sg_inf();
  let c0 = lane;
  var x0 = 0.0f;
  if (c0 < n) { x0 = b0[5 + i32(r) + i32(c0) * 1031]; pm = sg_max(pm, x0); }
  red[lid.x] = pm;
  workgroupBarrier();
  for (var s = 4u; s > 0u; s = s >> 1u) {
    if (lane < s) { red[lid.x] = sg_max(red[lid.x], red[lid.x + s]); }
    workgroupBarrier();
  }
  let m = red[lid.x - lane];
  workgroupBarrier();
  var ps = 0.0f;
  if (c0 < n) { x0 = exp(x0 - m); ps = ps + x0; }
  red[lid.x] = ps;
  workgroupBarrier();
  for (var s = 4u; s > 0u; s = s >> 1u) {
    if (lane < s) { red[lid.x] = red[lid.x] + red[lid.x + s]; }
    workgroupBarrier();
  }
  let s = red[lid.x - lane];
  let bad = (bitcast<u32>(m) & 0x7fffffffu) >= 0x7f800000u;
  if (c0 < n) { b1[i32(r) + i32(c0) * 1031] = select(x0 / s, sg_nan(), bad); }
}
