// dispatch 11×1×1; bindings 1:int32 4:float32 0:float32 3:float32:rw 2:float32:rw
// test
@group(0) @binding(0) var<storage, read> b0: array<i32>;
@group(0) @binding(1) var<storage, read> b1: array<f32>;
@group(0) @binding(2) var<storage, read> b2: array<f32>;
@group(0) @binding(3) var<storage, read_write> b3: array<f32>;
@group(0) @binding(4) var<storage, read_write> b4: array<f32>;
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_max(a: f32, b: f32) -> f32 { if (sg_isnan(a)) { return a; } if (sg_isnan(b)) { return b; } return select(b, a, a > b); }
var<workgroup> red: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  if (r >= 11u) { return; }
  var pm = -sg_inf();
  for (var c = lid.x; c < 10u; c = c + 64u) { pm = sg_max(pm, b2[i32(r) * 10 + i32(c)]); }
  red[lid.x] = pm;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { red[lid.x] = sg_max(red[lid.x], red[lid.x + s]); }
    workgroupBarrier();
  }
  let m = red[0];
  workgroupBarrier();
  var ps = 0.0f;
  for (var c = lid.x; c < 10u; c = c + 64u) { ps = ps + exp(b2[i32(r) * 10 + i32(c)] - m); }
  red[lid.x] = ps;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { red[lid.x] = red[lid.x] + red[lid.x + s]; }
    workgroupBarrier();
  }
  let s = red[0];
  let y = b0[i32(r)];
  if (lid.x == 0u) {
    var loss = sg_nan();
    if (y >= 0 && y < 10) { loss = m + log(s) - b2[i32(r) * 10 + i32(u32(y))]; }
    b4[i32(r)] = loss;
  }
  let sc = b1[0];
  for (var c = lid.x; c < 10u; c = c + 64u) {
    let g = (exp(b2[i32(r) * 10 + i32(c)] - m) / s - select(0.0f, 1.0f, i32(c) == y)) * sc;
    b3[i32(r) * 10 + i32(c)] = g;
  }
}
