// dispatch 1×1×1; bindings 0:float32 1:float32 3:float32:rw 2:float32
// test (matmul Aᵀ·Bᵀ, 13×17×29)
@group(0) @binding(0) var<storage, read> b0: array<f32>;
@group(0) @binding(1) var<storage, read> b1: array<f32>;
@group(0) @binding(2) var<storage, read_write> b2: array<f32>;
@group(0) @binding(3) var<storage, read> b3: array<f32>;
fn sg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn sg_relu(x: f32) -> f32 { if (sg_isnan(x)) { return x; } return select(0.0, x, x > 0.0); }
var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;
fn store(z: u32, row: i32, col: i32, acc: f32) {
  if (row >= 13 || col >= 17) { return; }
  var v: f32 = 0.5f * acc;
  v = v + 2.0f * f32(b2[i32(u32(row)) * 17 + i32(u32(col))]);
  let e0 = b3[i32(u32(col))];
  let q0: f32 = v;
  let q1: f32 = e0;
  let q2: f32 = (q0 + q1);
  let q3: f32 = sg_relu(q2);
  b2[i32(u32(row)) * 17 + i32(u32(col))] = q3;
}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let aBase = 0;
  let bBase = 0;
  let tx = i32(lid.x % 16u);
  let ty = i32(lid.x / 16u);
  let row0 = i32(wid.y) * 64 + ty * 4;
  let col0 = i32(wid.x) * 64 + tx * 4;
  var c00 = 0.0f;
  var c01 = 0.0f;
  var c02 = 0.0f;
  var c03 = 0.0f;
  var c10 = 0.0f;
  var c11 = 0.0f;
  var c12 = 0.0f;
  var c13 = 0.0f;
  var c20 = 0.0f;
  var c21 = 0.0f;
  var c22 = 0.0f;
  var c23 = 0.0f;
  var c30 = 0.0f;
  var c31 = 0.0f;
  var c32 = 0.0f;
  var c33 = 0.0f;
  for (var k0 = 0; k0 < 29; k0 = k0 + 16) {
    for (var l = 0; l < 4; l = l + 1) {
      let e = i32(lid.x) + l * 256;
      let mm = e % 64;
      let pa = e / 64;
      let row = i32(wid.y) * 64 + mm;
      var x = 0.0f;
      if (row < 13 && k0 + pa < 29) { x = b0[aBase + (k0 + pa) * 13 + row * 1]; }
      As[pa * 64 + mm] = x;
      let nn = e / 16;
      let pb = e % 16;
      let col = i32(wid.x) * 64 + nn;
      var y = 0.0f;
      if (col < 17 && k0 + pb < 29) { y = b1[bBase + col * 29 + (k0 + pb) * 1]; }
      Bs[pb * 64 + nn] = y;
    }
    workgroupBarrier();
    for (var p = 0; p < 16; p = p + 1) {
      let ra0 = As[p * 64 + ty * 4 + 0];
      let ra1 = As[p * 64 + ty * 4 + 1];
      let ra2 = As[p * 64 + ty * 4 + 2];
      let ra3 = As[p * 64 + ty * 4 + 3];
      let rb0 = Bs[p * 64 + tx * 4 + 0];
      let rb1 = Bs[p * 64 + tx * 4 + 1];
      let rb2 = Bs[p * 64 + tx * 4 + 2];
      let rb3 = Bs[p * 64 + tx * 4 + 3];
      c00 = fma(ra0, rb0, c00);
      c01 = fma(ra0, rb1, c01);
      c02 = fma(ra0, rb2, c02);
      c03 = fma(ra0, rb3, c03);
      c10 = fma(ra1, rb0, c10);
      c11 = fma(ra1, rb1, c11);
      c12 = fma(ra1, rb2, c12);
      c13 = fma(ra1, rb3, c13);
      c20 = fma(ra2, rb0, c20);
      c21 = fma(ra2, rb1, c21);
      c22 = fma(ra2, rb2, c22);
      c23 = fma(ra2, rb3, c23);
      c30 = fma(ra3, rb0, c30);
      c31 = fma(ra3, rb1, c31);
      c32 = fma(ra3, rb2, c32);
      c33 = fma(ra3, rb3, c33);
    }
    workgroupBarrier();
  }
  store(wid.z, row0 + 0, col0 + 0, c00);
  store(wid.z, row0 + 0, col0 + 1, c01);
  store(wid.z, row0 + 0, col0 + 2, c02);
  store(wid.z, row0 + 0, col0 + 3, c03);
  store(wid.z, row0 + 1, col0 + 0, c10);
  store(wid.z, row0 + 1, col0 + 1, c11);
  store(wid.z, row0 + 1, col0 + 2, c12);
  store(wid.z, row0 + 1, col0 + 3, c13);
  store(wid.z, row0 + 2, col0 + 0, c20);
  store(wid.z, row0 + 2, col0 + 1, c21);
  store(wid.z, row0 + 2, col0 + 2, c22);
  store(wid.z, row0 + 2, col0 + 3, c23);
  store(wid.z, row0 + 3, col0 + 0, c30);
  store(wid.z, row0 + 3, col0 + 1, c31);
  store(wid.z, row0 + 3, col0 + 2, c32);
  store(wid.z, row0 + 3, col0 + 3, c33);
}
