// dispatch 1×1×1; bindings 0:float32 1:float32:rw
// max (max, serial)
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_max(a: f32, b: f32) -> f32 { if (sg_isnan(a)) { return a; } if (sg_isnan(b)) { return b; } return select(b, a, a > b); }
fn element(o: u32, r: u32) -> f32 {
  var or: u32 = o;
  let o0: u32 = or;
  var rr: u32 = r;
  let r0: u32 = rr;
  let x0 = b0[i32(r0) + i32(o0) * 11];
  let p0: f32 = x0;
  return p0;
}
fn finish(o: u32, acc: f32, pos: u32) {
  var or: u32 = o;
  let o0: u32 = or;
  let v = acc;
  b1[i32(o0)] = v;
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.x;
  if (o >= 13u) { return; }
  var acc: f32 = (-sg_inf());
  var pos: u32 = 0xffffffffu;
  for (var r = 0u; r < 11u; r = r + 1u) {
    let x = element(o, r);
    acc = sg_max(acc, x);
  }
  finish(o, acc, pos);
}

// dispatch 1×1×1; bindings 0:float32 2:float32:rw
// min (min, serial)
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read_write> b1: array<f32>;
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_min(a: f32, b: f32) -> f32 { if (sg_isnan(a)) { return a; } if (sg_isnan(b)) { return b; } return select(b, a, a < b); }
fn element(o: u32, r: u32) -> f32 {
  var or: u32 = o;
  let o0: u32 = or;
  var rr: u32 = r;
  let r0: u32 = rr;
  let x0 = b0[i32(r0) + i32(o0) * 11];
  let p0: f32 = x0;
  return p0;
}
fn finish(o: u32, acc: f32, pos: u32) {
  var or: u32 = o;
  let o0: u32 = or;
  let v = acc;
  b1[i32(o0)] = v;
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.x;
  if (o >= 13u) { return; }
  var acc: f32 = sg_inf();
  var pos: u32 = 0xffffffffu;
  for (var r = 0u; r < 11u; r = r + 1u) {
    let x = element(o, r);
    acc = sg_min(acc, x);
  }
  finish(o, acc, pos);
}

// dispatch 1×1×1; bindings 0:float32 3:int32:rw
// argmax (argmax, serial)
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read_write> b1: array<i32>;
fn sg_inf() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn better(av: f32, ai: u32, bv: f32, bi: u32) -> bool {
  if (bi == 0xffffffffu) { return false; }
  if (ai == 0xffffffffu) { return true; }
  let an = sg_isnan(av);
  let bn = sg_isnan(bv);
  if (an || bn) { return bn && (!an || bi < ai); }
  return bv > av || (bv == av && bi < ai);
}
fn element(o: u32, r: u32) -> f32 {
  var or: u32 = o;
  let o0: u32 = or;
  var rr: u32 = r;
  let r0: u32 = rr;
  let x0 = b0[i32(r0) + i32(o0) * 11];
  let p0: f32 = x0;
  return p0;
}
fn finish(o: u32, acc: f32, pos: u32) {
  var or: u32 = o;
  let o0: u32 = or;
  let v = select(i32(pos), 0i, pos == 0xffffffffu);
  b1[i32(o0)] = v;
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.x;
  if (o >= 13u) { return; }
  var acc: f32 = (-sg_inf());
  var pos: u32 = 0xffffffffu;
  for (var r = 0u; r < 11u; r = r + 1u) {
    let x = element(o, r);
    if (better(acc, pos, x, r)) { acc = x; pos = r; }
  }
  finish(o, acc, pos);
}
