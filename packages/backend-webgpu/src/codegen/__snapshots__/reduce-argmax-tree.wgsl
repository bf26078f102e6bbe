// argmax (argmax, tree)
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
  let x0 = b0[i32(o0) * 1000 + i32(r0)];
  let p0: f32 = x0;
  return p0;
}
fn finish(o: u32, acc: f32, pos: u32) {
  var or: u32 = o;
  let o0: u32 = or;
  let v = select(i32(pos), 0i, pos == 0xffffffffu);
  b1[i32(o0)] = v;
}
var<workgroup> sv: array<f32, 256>;
var<workgroup> si: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let o = wid.x;
  if (o >= 3u) { return; }
  var acc: f32 = (-sg_inf());
  var pos: u32 = 0xffffffffu;
  for (var r = lid.x; r < 1000u; r = r + 256u) {
    let x = element(o, r);
    if (better(acc, pos, x, r)) { acc = x; pos = r; }
  }
  sv[lid.x] = acc;
  si[lid.x] = pos;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid.x < s) {
      var a = sv[lid.x];
      var p = si[lid.x];
      let b = sv[lid.x + s];
      let q = si[lid.x + s];
      if (better(a, p, b, q)) { a = b; p = q; }
      sv[lid.x] = a;
      si[lid.x] = p;
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) { finish(o, sv[0], si[0]); }
}
