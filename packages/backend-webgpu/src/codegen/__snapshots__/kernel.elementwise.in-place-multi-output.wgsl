// dispatch 2×1×1; bindings 0:float32:rw 1:float32:rw 2:float32:rw
// test (vec4)
@group(0) @binding(0) var<storage, read_write> b0: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> b1: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> b2: array<vec4<f32>>;
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
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  if (q >= 269u) { return; }
  let x0 = b0[i32(q)];
  let x1 = b1[i32(q)];
  let e0: vec4<f32> = x0;
  let e1: vec4<f32> = x1;
  let e2: vec4<f32> = (e0 * e1);
  let e3: vec4<f32> = vec4<f32>(1.0f);
  let e4: vec4<f32> = (e2 + e3);
  let e5: vec4<f32> = x0;
  let e6: vec4<f32> = x1;
  let e7: vec4<f32> = (e5 - e6);
  let e8: vec4<f32> = x0;
  let e9: vec4<f32> = x1;
  let e10: vec4<f32> = (e8 + e9);
  let e11x_0: f32 = e10.x;
  let e11x_1: f32 = sg_tanh(e11x_0);
  let e11y_0: f32 = e10.y;
  let e11y_1: f32 = sg_tanh(e11y_0);
  let e11z_0: f32 = e10.z;
  let e11z_1: f32 = sg_tanh(e11z_0);
  let e11w_0: f32 = e10.w;
  let e11w_1: f32 = sg_tanh(e11w_0);
  let e11: vec4<f32> = vec4<f32>(e11x_1, e11y_1, e11z_1, e11w_1);
  let y0 = e4;
  let y1 = e7;
  let y2 = e11;
  if (q < 268u) {
    b0[i32(q)] = y0;
    b2[i32(q)] = y1;
    b1[i32(q)] = y2;
  } else {
    b0[i32(q)].x = y0.x;
    b2[i32(q)].x = y1.x;
    b1[i32(q)].x = y2.x;
  }
}
