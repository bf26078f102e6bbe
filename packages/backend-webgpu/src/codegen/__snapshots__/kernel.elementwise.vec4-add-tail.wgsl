// k (vec4)
@group(0) @binding(0) var<storage, read> b0: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b1: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> b2: array<vec4<f32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  if (q >= 256u) { return; }
  let x0 = b0[i32(q)];
  let x1 = b1[2 + i32(q)];
  let e0: vec4<f32> = x0;
  let e1: vec4<f32> = x1;
  let e2: vec4<f32> = (e0 + e1);
  let y0 = e2;
  if (q < 255u) {
    b2[1 + i32(q)] = y0;
  } else {
    b2[1 + i32(q)].x = y0.x;
  }
}
