// dispatch 1×1×1; bindings 0:float32 1:float32 2:float32:rw
// test (sum, serial)
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> b2: array<f32>;
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_sqrt(x: f32) -> f32 { if (sg_isnan(x)) { return x; } if (x < 0.0) { return sg_nan(); } return sqrt(x); }
fn element(o: u32, r: u32) -> f32 {
  var or: u32 = o;
  let o0: u32 = or;
  var rr: u32 = r;
  let r1: u32 = rr % 5u;
  rr = rr / 5u;
  let r0: u32 = rr;
  let x0 = b0[i32(r0) * 35 + i32(o0) * 5 + i32(r1)];
  let x1 = b1[i32(r1)];
  let p0: f32 = x0;
  let p1: f32 = x1;
  let p2: f32 = (p0 * p1);
  let p3: f32 = (p2 * p2);
  return p3;
}
fn finish(o: u32, acc: f32, pos: u32) {
  var or: u32 = o;
  let o0: u32 = or;
  let v = acc;
  let q0: f32 = v;
  let q1: f32 = sg_sqrt(q0);
  b2[i32(o0)] = q1;
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.x;
  if (o >= 7u) { return; }
  var acc: f32 = 0.0f;
  var pos: u32 = 0xffffffffu;
  for (var r = 0u; r < 15u; r = r + 1u) {
    let x = element(o, r);
    acc = acc + x;
  }
  finish(o, acc, pos);
}
