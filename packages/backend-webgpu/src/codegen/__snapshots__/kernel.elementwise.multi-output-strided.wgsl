// dispatch 1×1×1; bindings 0:float32 1:float32 2:float32:rw 3:int32:rw
// test
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> b2: array<f32>;
@group(0) @binding(3) var<storage, read_write> b3: array<i32>;
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_expm1(x: f32) -> f32 {
  if (sg_isnan(x)) { return x; }
  if (abs(x) >= 0.5) { return exp(x) - 1.0; }
  return x * (1.0 + x / 2.0 * (1.0 + x / 3.0 * (1.0 + x / 4.0 * (1.0 + x / 5.0 * (1.0 + x / 6.0 * (1.0 + x / 7.0 * (1.0 + x / 8.0 * (1.0 + x / 9.0))))))));
}
fn sg_tanh(x: f32) -> f32 {
  if (sg_isnan(x)) { return x; }
  let ax = abs(x);
  if (ax > 10.0) { return sign(x); }
  let e = sg_expm1(-2.0 * ax);
  return sign(x) * (-e / (2.0 + e));
}
fn sg_gt(a: f32, b: f32) -> bool { return !sg_isnan(a) && !sg_isnan(b) && a > b; }
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lin = gid.x;
  if (lin >= 30u) { return; }
  var ir: u32 = lin;
  let i1: u32 = ir % 6u;
  ir = ir / 6u;
  let i0: u32 = ir;
  let x0 = b0[3 + i32(i0) + i32(i1) * 9];
  let x1 = b1[i32(i1)];
  let e0: f32 = x0;
  let e1: f32 = x1;
  let e2: f32 = (e0 + e1);
  let e3: f32 = sg_tanh(e2);
  let e4: f32 = 0.0f;
  let e5: i32 = select(0i, 1i, sg_gt(e2, e4));
  let e6: i32 = e5;
  b2[7 + i32(i0) * 12 + i32(i1) * 2] = e3;
  b3[i32(lin)] = e6;
}
