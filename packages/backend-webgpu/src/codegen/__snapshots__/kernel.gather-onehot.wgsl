// dispatch 1×1×1; bindings 1:int32 0:float32 2:float32:rw
// gather
@group(0) @binding(0) var<storage, read> b0: array<i32>;
@group(0) @binding(1) var<storage, read> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> b2: array<f32>;
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= 9u) { return; }
  let y = b0[i32(r)];
  var v = sg_nan();
  if (y >= 0 && y < 4) { v = b1[i32(r) * 4 + i32(u32(y))]; }
  b2[i32(r)] = v;
}

// dispatch 1×1×1; bindings 1:int32 3:float32:rw
// oneHot
@group(0) @binding(0) var<storage, read> b0: array<i32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lin = gid.x;
  if (lin >= 36u) { return; }
  var ir: u32 = lin;
  let i1: u32 = ir % 4u;
  ir = ir / 4u;
  let i0: u32 = ir;
  b1[i32(i0) * 4 + i32(i1)] = f32(select(0i, 1i, (b0[i32(i0)] == i32(i1))));
}
