// dispatch 1×1×6; bindings 0:float32 1:float32 2:float32:rw
// test (matmul A·B, 4×5×6, batch 2×3; tile 64×64×16, 4×4 per invocation)
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> b2: array<f32>;
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 256>;
fn store(z: u32, row: i32, col: i32, acc: f32) {
  if (row >= 4 || col >= 5) { return; }
  var bir: u32 = z;
  let bi1: u32 = bir % 3u;
  bir = bir / 3u;
  let bi0: u32 = bir;
  var v: f32 = acc;
  b2[i32(bi0) * 60 + i32(bi1) * 5 + i32(u32(row)) * 15 + i32(u32(col))] = v;
}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  var bir: u32 = wid.z;
  let bi1: u32 = bir % 3u;
  bir = bir / 3u;
  let bi0: u32 = bir;
  let aBase = i32(bi0) * 72 + i32(bi1) * 24;
  let bBase = i32(bi0) * 90 + i32(bi1) * 30;
  let tx = i32(lid.x % 16u);
  let ty = i32(lid.x / 16u);
  let row0 = i32(wid.y) * 64 + ty * 4;
  let col0 = i32(wid.x) * 64 + tx * 4;
  var c0_0 = vec4<f32>(0.0f);
  var c1_0 = vec4<f32>(0.0f);
  var c2_0 = vec4<f32>(0.0f);
  var c3_0 = vec4<f32>(0.0f);
  for (var k0 = 0; k0 < 6; k0 = k0 + 16) {
    for (var l = 0; l < 4; l = l + 1) {
      let e = i32(lid.x) + l * 256;
      let mm = e / 16;
      let pa = e % 16;
      let row = i32(wid.y) * 64 + mm;
      var x = 0.0f;
      if (row < 4 && k0 + pa < 6) { x = b0[aBase + row * 6 + (k0 + pa) * 1]; }
      As[pa * 16 + ((mm / 4) ^ (pa & 7))][mm % 4] = x;
    }
    for (var l = 0; l < 4; l = l + 1) {
      let e = i32(lid.x) + l * 256;
      let nn = e % 64;
      let pb = e / 64;
      let col = i32(wid.x) * 64 + nn;
      var y = 0.0f;
      if (col < 5 && k0 + pb < 6) { y = b1[bBase + (k0 + pb) * 5 + col * 1]; }
      Bs[pb * 16 + nn / 4][nn % 4] = y;
    }
    workgroupBarrier();
    for (var p = 0; p < 16; p = p + 1) {
      let ra0 = As[p * 16 + (ty ^ (p & 7))];
      let rb0 = Bs[p * 16 + tx];
      c0_0 = fma(vec4<f32>(ra0.x), rb0, c0_0);
      c1_0 = fma(vec4<f32>(ra0.y), rb0, c1_0);
      c2_0 = fma(vec4<f32>(ra0.z), rb0, c2_0);
      c3_0 = fma(vec4<f32>(ra0.w), rb0, c3_0);
    }
    workgroupBarrier();
  }
  store(wid.z, row0 + 0, col0 + 0, c0_0.x);
  store(wid.z, row0 + 0, col0 + 1, c0_0.y);
  store(wid.z, row0 + 0, col0 + 2, c0_0.z);
  store(wid.z, row0 + 0, col0 + 3, c0_0.w);
  store(wid.z, row0 + 1, col0 + 0, c1_0.x);
  store(wid.z, row0 + 1, col0 + 1, c1_0.y);
  store(wid.z, row0 + 1, col0 + 2, c1_0.z);
  store(wid.z, row0 + 1, col0 + 3, c1_0.w);
  store(wid.z, row0 + 2, col0 + 0, c2_0.x);
  store(wid.z, row0 + 2, col0 + 1, c2_0.y);
  store(wid.z, row0 + 2, col0 + 2, c2_0.z);
  store(wid.z, row0 + 2, col0 + 3, c2_0.w);
  store(wid.z, row0 + 3, col0 + 0, c3_0.x);
  store(wid.z, row0 + 3, col0 + 1, c3_0.y);
  store(wid.z, row0 + 3, col0 + 2, c3_0.z);
  store(wid.z, row0 + 3, col0 + 3, c3_0.w);
}
