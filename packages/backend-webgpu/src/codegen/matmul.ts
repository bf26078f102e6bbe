import type { MatmulKernel, View } from '@symgrad/core';
import type { CodegenContext, GeneratedKernel } from './kernel.js';
import { renderExprs } from './wgsl-expr.js';
import { BindingTable, castValue, f32Literal, Helpers, unravel, viewOffset } from './wgsl-exports.js';

/** Output tile of one workgroup (rows × cols), the K step, and the outputs per invocation. */
export const MATMUL_TILE = { m: 64, n: 64, k: 16, perThread: 4 } as const;
const THREADS = (MATMUL_TILE.m / MATMUL_TILE.perThread) * (MATMUL_TILE.n / MATMUL_TILE.perThread); // 256

/** The offset of a batched view's matrix for batch indices `b0…`, as WGSL. */
function batchBase(v: View, nb: number): string {
  return viewOffset({ buffer: v.buffer, offset: v.offset, shape: v.shape.slice(0, nb), strides: v.strides.slice(0, nb) }, v.shape.slice(0, nb).map((_, d) => `bi${d}`));
}

/** Why this matmul cannot run on the device (empty when it can). */
export function matmulProblems(k: MatmulKernel, ctx: CodegenContext): string[] {
  const p: string[] = [];
  const shared = 4 * (MATMUL_TILE.m + MATMUL_TILE.n) * MATMUL_TILE.k;
  if (ctx.limits.maxComputeWorkgroupStorageSize < shared) p.push(`needs ${shared} bytes of workgroup memory; the device allows ${ctx.limits.maxComputeWorkgroupStorageSize}`);
  if (k.dtype !== 'float32') p.push(`matmul in dtype '${k.dtype}' is not supported (float32 only)`);
  const batch = k.batch.reduce((a, b) => a * b, 1);
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (batch > max) p.push(`a batch of ${batch} matrices exceeds the device's ${max} workgroups per dimension`);
  if (Math.ceil(k.m / MATMUL_TILE.m) > max || Math.ceil(k.n / MATMUL_TILE.n) > max) p.push(`a ${k.m}×${k.n} result needs more than ${max} tiles per dimension`);
  return p;
}

/**
 * A tiled matmul: each 256-invocation workgroup computes a 64×64 output tile, stepping
 * through K 16 at a time; both operand tiles go through workgroup memory (2 × 4 KiB) and
 * each invocation accumulates a 4×4 block in registers. Any M, N, K (edges are guarded),
 * transposed operands (strides in the loads), batches (workgroup z; zero strides broadcast),
 * then alpha·AB + beta·out and the epilogue expression over its extra views, in one pass.
 */
export function generateMatmul(k: MatmulKernel, ctx: CodegenContext): GeneratedKernel {
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const nb = k.batch.length;
  const { m: TM, n: TN, k: TK, perThread: P } = MATMUL_TILE;
  const A = t.ref(k.a.buffer);
  const B = t.ref(k.b.buffer);
  // Strides of the stored matrices' two dims: A is [M, K] (or [K, M] when transA).
  const [a0, a1] = [k.a.strides[nb]!, k.a.strides[nb + 1]!];
  const [b0, b1] = [k.b.strides[nb]!, k.b.strides[nb + 1]!];
  const aAt = (row: string, p: string) => (k.transA ? `${p} * ${a0} + ${row} * ${a1}` : `${row} * ${a0} + ${p} * ${a1}`);
  const bAt = (p: string, col: string) => (k.transB ? `${col} * ${b0} + ${p} * ${b1}` : `${p} * ${b0} + ${col} * ${b1}`);
  const O = t.ref(k.out.buffer, true);
  const epiInputs = k.epilogue?.inputs ?? [];
  const idx = [...k.batch.map((_, d) => `bi${d}`), 'u32(row)', 'u32(col)'];
  const epiLoads = epiInputs.map((v, j) => ({ code: `${t.ref(v.buffer)}[${viewOffset(v, idx)}]`, dtype: ctx.dtypeOf(v.buffer) }));
  const epi = k.epilogue
    ? renderExprs([k.epilogue.expr], [{ code: 'v', dtype: 'float32' }, ...epiLoads.map((l, j) => ({ code: `e${j}`, dtype: l.dtype }))], h, 'q')
    : undefined;
  const outD = ctx.dtypeOf(k.out.buffer);
  const outAt = viewOffset(k.out, idx);
  const alpha = f32Literal(k.alpha, h);
  const beta = f32Literal(k.beta, h);
  const store = [
    `var v: f32 = ${k.alpha === 1 ? 'acc' : `${alpha} * acc`};`,
    ...(k.beta !== 0 ? [`v = v + ${beta} * f32(${O}[${outAt}]);`] : []),
    ...(epi ? [...epiLoads.map((l, j) => `let e${j} = ${l.code};`), ...epi.lines] : []),
    `${O}[${outAt}] = ${castValue(epi ? epi.values[0]! : 'v', epi ? k.epilogue!.expr.dtype : 'float32', outD, h)};`,
  ];
  const regs = (f: (i: number, j: number) => string): string[] => {
    const out: string[] = [];
    for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) out.push(f(i, j));
    return out;
  };
  const range = [...Array(P).keys()];
  // Scalar registers, not private arrays: dynamically indexed private arrays are slow to
  // compile and to run on some drivers (SwiftShader takes seconds per pipeline).
  const body = [
    ...unravel(k.batch, 'wid.z', 'bi'),
    `let aBase = ${batchBase(k.a, nb)};`,
    `let bBase = ${batchBase(k.b, nb)};`,
    `let tx = i32(lid.x % ${TN / P}u);`,
    `let ty = i32(lid.x / ${TN / P}u);`,
    `let row0 = i32(wid.y) * ${TM} + ty * ${P};`,
    `let col0 = i32(wid.x) * ${TN} + tx * ${P};`,
    ...regs((i, j) => `var c${i}${j} = 0.0f;`),
    `for (var k0 = 0; k0 < ${k.k}; k0 = k0 + ${TK}) {`,
    `  for (var l = 0; l < ${(TM * TK) / THREADS}; l = l + 1) {`,
    `    let e = i32(lid.x) + l * ${THREADS};`,
    // Neighbouring invocations load neighbouring addresses: along K where K is the stored
    // matrix's contiguous dim (A not transposed, B transposed), else along M / N.
    ...(k.transA ? [`    let mm = e % ${TM};`, `    let pa = e / ${TM};`] : [`    let mm = e / ${TK};`, `    let pa = e % ${TK};`]),
    `    let row = i32(wid.y) * ${TM} + mm;`,
    `    var x = 0.0f;`,
    `    if (row < ${k.m} && k0 + pa < ${k.k}) { x = ${A}[aBase + ${aAt('row', `(k0 + pa)`)}]; }`,
    `    As[pa * ${TM} + mm] = x;`,
    ...(k.transB ? [`    let nn = e / ${TK};`, `    let pb = e % ${TK};`] : [`    let nn = e % ${TN};`, `    let pb = e / ${TN};`]),
    `    let col = i32(wid.x) * ${TN} + nn;`,
    `    var y = 0.0f;`,
    `    if (col < ${k.n} && k0 + pb < ${k.k}) { y = ${B}[bBase + ${bAt('(k0 + pb)', 'col')}]; }`,
    `    Bs[pb * ${TN} + nn] = y;`,
    '  }',
    '  workgroupBarrier();',
    `  for (var p = 0; p < ${TK}; p = p + 1) {`,
    ...range.map((i) => `    let ra${i} = As[p * ${TM} + ty * ${P} + ${i}];`),
    ...range.map((j) => `    let rb${j} = Bs[p * ${TN} + tx * ${P} + ${j}];`),
    ...regs((i, j) => `    c${i}${j} = fma(ra${i}, rb${j}, c${i}${j});`),
    '  }',
    '  workgroupBarrier();',
    '}',
    ...regs((i, j) => `store(wid.z, row0 + ${i}, col0 + ${j}, c${i}${j});`),
  ];
  const storeFn = [
    'fn store(z: u32, row: i32, col: i32, acc: f32) {',
    `  if (row >= ${k.m} || col >= ${k.n}) { return; }`,
    ...unravel(k.batch, 'z', 'bi').map((l) => `  ${l}`),
    ...store.map((l) => `  ${l}`),
    '}',
  ];
  const dispatch: [number, number, number] = [Math.max(1, Math.ceil(k.n / TN)), Math.max(1, Math.ceil(k.m / TM)), Math.max(1, k.batch.reduce((a, b) => a * b, 1))];
  const code = [
    `// ${k.label} (matmul ${k.transA ? 'Aᵀ' : 'A'}·${k.transB ? 'Bᵀ' : 'B'}, ${k.m}×${k.n}×${k.k}${nb ? `, batch ${k.batch.join('×')}` : ''})`,
    t.declarations(),
    h.render(),
    `var<workgroup> As: array<f32, ${TM * TK}>;`,
    `var<workgroup> Bs: array<f32, ${TN * TK}>;`,
    ...storeFn,
    `@compute @workgroup_size(${THREADS})`,
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {',
    ...body.map((l) => `  ${l}`),
    '}',
  ].filter((l) => l !== '').join('\n');
  return { code: `${code}\n`, bindings: t.bindings, dispatch, label: k.label };
}
