// dispatch 1×1×1; bindings 1:int32 0:float32 2:float32:rw
// take
@group(0) @binding(0) var<storage, read> b0: array<i32>;
@group(0) @binding(1) var<storage, read> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> b2: array<f32>;
fn sg_nan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lin = gid.x;
  if (lin >= 165u) { return; }
  var er: u32 = lin;
  let e2: u32 = er % 5u;
  er = er / 5u;
  let e1: u32 = er % 11u;
  er = er / 11u;
  let e0: u32 = er;
  var y: i32 = b0[1 + i32(e1) * 2];
  if (y < 0) { y = y + 7; }
  var v = sg_nan();
  if (y >= 0 && y < 7) { v = b1[i32(e0) + i32(y) * 3 + i32(e2) * 21]; }
  b2[4 + i32(e0) * 55 + i32(e1) * 5 + i32(e2)] = v;
}

// dispatch 1×1×1; bindings 1:int32 5:int32 7:int32:rw
// take int32
@group(0) @binding(0) var<storage, read> b0: array<i32>;
@group(0) @binding(1) var<storage, read> b1: array<i32>;
@group(0) @binding(2) var<storage, read_write> b2: array<i32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lin = gid.x;
  if (lin >= 44u) { return; }
  var er: u32 = lin;
  let e2: u32 = er % 4u;
  er = er / 4u;
  let e1: u32 = er % 11u;
  er = er / 11u;
  let e0: u32 = er;
  var y: i32 = b0[1 + i32(e1) * 2];
  if (y < 0) { y = y + 7; }
  var v = i32(-2147483647 - 1);
  if (y >= 0 && y < 7) { v = b1[i32(y) * 4 + i32(e2)]; }
  b2[i32(e1) * 4 + i32(e2)] = v;
}

// dispatch 1×1×1; bindings 1:int32 3:float32 8:float32:rw
// take, zero fill
@group(0) @binding(0) var<storage, read> b0: array<i32>;
@group(0) @binding(1) var<storage, read> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> b2: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lin = gid.x;
  if (lin >= 66u) { return; }
  var er: u32 = lin;
  let e2: u32 = er % 3u;
  er = er / 3u;
  let e1: u32 = er % 11u;
  er = er / 11u;
  let e0: u32 = er;
  var y: i32 = b0[1 + i32(e1) * 2];
  if (y < 0) { y = y + 7; }
  var v = 0.0f;
  if (y >= 0 && y < 7) { v = b1[i32(e0) * 21 + i32(y) * 3 + i32(e2)]; }
  b2[i32(e0) * 33 + i32(e1) * 3 + i32(e2)] = v;
}

// dispatch 1×1×1; bindings 3:float32:rw 1:int32 4:float32
// scatterAdd
@group(0) @binding(0) var<storage, read_write> b0: array<atomic<u32>>;
@group(0) @binding(1) var<storage, read> b1: array<i32>;
@group(0) @binding(2) var<storage, read> b2: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lin = gid.x;
  if (lin >= 66u) { return; }
  var er: u32 = lin;
  let e2: u32 = er % 3u;
  er = er / 3u;
  let e1: u32 = er % 11u;
  er = er / 11u;
  let e0: u32 = er;
  var y: i32 = b1[1 + i32(e1) * 2];
  if (y < 0) { y = y + 7; }
  if (y < 0 || y >= 7) { return; }
  let u = b2[i32(e0) * 3 + i32(e1) * 6 + i32(e2)];
  let at = i32(e0) * 21 + i32(y) * 3 + i32(e2);
  var seen = atomicLoad(&b0[at]);
  loop {
    let r = atomicCompareExchangeWeak(&b0[at], seen, bitcast<u32>(bitcast<f32>(seen) + u));
    if (r.exchanged) { break; }
    seen = r.old_value;
  }
}

// dispatch 1×1×1; bindings 5:int32:rw 1:int32 6:int32
// scatterAdd int32
@group(0) @binding(0) var<storage, read_write> b0: array<atomic<i32>>;
@group(0) @binding(1) var<storage, read> b1: array<i32>;
@group(0) @binding(2) var<storage, read> b2: array<i32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lin = gid.x;
  if (lin >= 44u) { return; }
  var er: u32 = lin;
  let e2: u32 = er % 4u;
  er = er / 4u;
  let e1: u32 = er % 11u;
  er = er / 11u;
  let e0: u32 = er;
  var y: i32 = b1[1 + i32(e1) * 2];
  if (y < 0) { y = y + 7; }
  if (y < 0 || y >= 7) { return; }
  let u = b2[i32(e1) * 4 + i32(e2)];
  let at = i32(y) * 4 + i32(e2);
  atomicAdd(&b0[at], u);
}
