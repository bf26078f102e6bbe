import type { MatmulKernel, View } from '@symgrad/core';
import type { CodegenContext, GeneratedKernel } from './kernel.js';
import { DEFAULT_MATMUL_CONFIG, matmulConfigProblems, matmulInvocations, type MatmulConfig } from './matmul-config.js';
import { renderExprs } from './wgsl-expr.js';
import { BindingTable, castValue, f32Literal, Helpers, unravel, viewOffset } from './wgsl-exports.js';

/** The default output tile of one workgroup (rows × cols), the K step, and the outputs per invocation. */
export const MATMUL_TILE = { m: DEFAULT_MATMUL_CONFIG.tileM, n: DEFAULT_MATMUL_CONFIG.tileN, k: DEFAULT_MATMUL_CONFIG.tileK, perThread: DEFAULT_MATMUL_CONFIG.threadM } as const;

/** The config this kernel is generated with: the context's chooser, else the default. */
export function matmulConfigFor(k: MatmulKernel, ctx: CodegenContext): MatmulConfig {
  return ctx.matmulConfig?.(k.m, k.n, k.k, k.batch.reduce((a, b) => a * b, 1)) ?? DEFAULT_MATMUL_CONFIG;
}

/** The offset of a batched view's matrix for batch indices `b0…`, as WGSL. */
function batchBase(v: View, nb: number): string {
  return viewOffset({ buffer: v.buffer, offset: v.offset, shape: v.shape.slice(0, nb), strides: v.strides.slice(0, nb) }, v.shape.slice(0, nb).map((_, d) => `bi${d}`));
}

/** Why this matmul cannot run on the device (empty when it can). */
export function matmulProblems(k: MatmulKernel, ctx: CodegenContext): string[] {
  const cfg = matmulConfigFor(k, ctx);
  const p = matmulConfigProblems(cfg, ctx.limits).map((r) => `matmul config ${cfg.tileM}×${cfg.tileN}×${cfg.tileK}/${cfg.threadM}×${cfg.threadN}: ${r}`);
  if (k.dtype !== 'float32') p.push(`matmul in dtype '${k.dtype}' is not supported (float32 only)`);
  const batch = k.batch.reduce((a, b) => a * b, 1);
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (batch > max) p.push(`a batch of ${batch} matrices exceeds the device's ${max} workgroups per dimension`);
  if (Math.ceil(k.m / cfg.tileM) > max || Math.ceil(k.n / cfg.tileN) > max) p.push(`a ${k.m}×${k.n} result needs more than ${max} tiles per dimension`);
  return p;
}

const LANES = ['x', 'y', 'z', 'w'];

/**
 * One dimension (M or N) of an invocation's results. With a multiple of 4 results, they are
 * groups of 4 adjacent rows/cols (one vec4 read from workgroup memory), the groups strided by
 * 4·(invocations along the dim), so neighbouring invocations read neighbouring vec4s (no bank
 * conflicts) and write neighbouring addresses (coalesced). Otherwise results are single
 * rows/cols strided by the invocations along the dim, for the same reasons.
 */
function layout(results: number, tile: number) {
  const w = results % 4 === 0 ? 4 : 1;
  const threads = tile / results;
  return {
    w,
    threads,
    groups: results / w,
    /** Offset of result `i` from the invocation's first row/col. */
    offset: (i: number) => Math.floor(i / w) * w * threads + (i % w),
    /** Result `i` from the registers `${name}${group}` read for one p. */
    reg: (name: string, i: number) => (w === 4 ? `${name}${Math.floor(i / 4)}.${LANES[i % 4]}` : `${name}${i}`),
    elem: w === 4 ? 'vec4<f32>' : 'f32',
  };
}

/**
 * A tiled matmul with a configurable tile (MatmulConfig): each workgroup computes a
 * tileM×tileN output tile, stepping through K tileK at a time; both operand tiles go through
 * workgroup memory stored K-major ([tileK][tileM], [tileK][tileN]) so an invocation's reads for
 * one p are contiguous, and each invocation accumulates threadM×threadN results in registers.
 * Any M, N, K (edges are guarded), transposed operands (strides in the loads), batches
 * (workgroup z; zero strides broadcast), then alpha·AB + beta·out and the epilogue expression
 * over its extra views, in one pass.
 */
export function generateMatmul(k: MatmulKernel, ctx: CodegenContext): GeneratedKernel {
  const cfg = matmulConfigFor(k, ctx);
  const { tileM: TM, tileN: TN, tileK: TK } = cfg;
  const THREADS = matmulInvocations(cfg);
  const lm = layout(cfg.threadM, TM);
  const ln = layout(cfg.threadN, TN);
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const nb = k.batch.length;
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
  const epiLoads = epiInputs.map((v) => ({ code: `${t.ref(v.buffer)}[${viewOffset(v, idx)}]`, dtype: ctx.dtypeOf(v.buffer) }));
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
  const upto = (n: number) => [...Array(n).keys()];
  // One accumulator per (row, column group): a vec4 when columns come in 4s.
  const accs = (f: (i: number, g: number) => string) => upto(cfg.threadM).flatMap((i) => upto(ln.groups).map((g) => f(i, g)));
  // Where a tile is loaded K-fastest (A not transposed, B transposed), a warp's stores hit
  // one K-major column: every address in the same bank (TM, TN are multiples of 32). XORing
  // the vec4 index with p % 8 spreads them over 8 vec4s (2-way instead of 16-way conflicts);
  // reads of one p row stay a permutation of the same aligned vec4s, so they remain conflict-free.
  const swizzleA = !k.transA && lm.w === 4 && TM % 32 === 0;
  const swizzleB = k.transB && ln.w === 4 && TN % 32 === 0;
  // A workgroup tile element at K-major position (p, x) (vec4 arrays take a lane).
  const tileAt = (name: string, l: ReturnType<typeof layout>, tile: number, swz: boolean, p: string, x: string) =>
    (l.w === 4 ? `${name}[${p} * ${tile / 4} + ${swz ? `((${x} / 4) ^ (${p} & 7))` : `${x} / 4`}][${x} % 4]` : `${name}[${p} * ${tile} + ${x}]`);
  const tileRead = (name: string, l: ReturnType<typeof layout>, tile: number, swz: boolean, g: number, t: string) => {
    const v = g ? `${g * l.threads} + ${t}` : t;
    return `${name}[p * ${tile / l.w} + ${swz ? `(${g ? `(${v})` : v} ^ (p & 7))` : v}]`;
  };
  // Scalar (or vec4) registers, not private arrays: dynamically indexed private arrays are
  // slow to compile and to run on some drivers (SwiftShader takes seconds per pipeline).
  const body = [
    ...unravel(k.batch, 'wid.z', 'bi'),
    `let aBase = ${batchBase(k.a, nb)};`,
    `let bBase = ${batchBase(k.b, nb)};`,
    `let tx = i32(lid.x % ${ln.threads}u);`,
    `let ty = i32(lid.x / ${ln.threads}u);`,
    `let row0 = i32(wid.y) * ${TM} + ty * ${lm.w};`,
    `let col0 = i32(wid.x) * ${TN} + tx * ${ln.w};`,
    ...accs((i, g) => `var c${i}_${g} = ${ln.elem}(0.0f);`),
    `for (var k0 = 0; k0 < ${k.k}; k0 = k0 + ${TK}) {`,
    // Neighbouring invocations load neighbouring addresses: along K where K is the stored
    // matrix's contiguous dim (A not transposed, B transposed), else along M / N.
    `  for (var l = 0; l < ${(TM * TK) / THREADS}; l = l + 1) {`,
    `    let e = i32(lid.x) + l * ${THREADS};`,
    ...(k.transA ? [`    let mm = e % ${TM};`, `    let pa = e / ${TM};`] : [`    let mm = e / ${TK};`, `    let pa = e % ${TK};`]),
    `    let row = i32(wid.y) * ${TM} + mm;`,
    `    var x = 0.0f;`,
    `    if (row < ${k.m} && k0 + pa < ${k.k}) { x = ${A}[aBase + ${aAt('row', `(k0 + pa)`)}]; }`,
    `    ${tileAt('As', lm, TM, swizzleA, 'pa', 'mm')} = x;`,
    '  }',
    `  for (var l = 0; l < ${(TN * TK) / THREADS}; l = l + 1) {`,
    `    let e = i32(lid.x) + l * ${THREADS};`,
    ...(k.transB ? [`    let nn = e / ${TK};`, `    let pb = e % ${TK};`] : [`    let nn = e % ${TN};`, `    let pb = e / ${TN};`]),
    `    let col = i32(wid.x) * ${TN} + nn;`,
    `    var y = 0.0f;`,
    `    if (col < ${k.n} && k0 + pb < ${k.k}) { y = ${B}[bBase + ${bAt('(k0 + pb)', 'col')}]; }`,
    `    ${tileAt('Bs', ln, TN, swizzleB, 'pb', 'nn')} = y;`,
    '  }',
    '  workgroupBarrier();',
    `  for (var p = 0; p < ${TK}; p = p + 1) {`,
    ...upto(lm.groups).map((g) => `    let ra${g} = ${tileRead('As', lm, TM, swizzleA, g, 'ty')};`),
    ...upto(ln.groups).map((g) => `    let rb${g} = ${tileRead('Bs', ln, TN, swizzleB, g, 'tx')};`),
    ...accs((i, g) => `    c${i}_${g} = fma(${ln.w === 4 ? `vec4<f32>(${lm.reg('ra', i)})` : lm.reg('ra', i)}, rb${g}, c${i}_${g});`),
    '  }',
    '  workgroupBarrier();',
    '}',
    ...upto(cfg.threadM).flatMap((i) => upto(cfg.threadN).map((j) =>
      `store(wid.z, row0 + ${lm.offset(i)}, col0 + ${ln.offset(j)}, ${ln.reg(`c${i}_`, j)});`)),
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
    `// ${k.label} (matmul ${k.transA ? 'Aᵀ' : 'A'}·${k.transB ? 'Bᵀ' : 'B'}, ${k.m}×${k.n}×${k.k}${nb ? `, batch ${k.batch.join('×')}` : ''}; tile ${TM}×${TN}×${TK}, ${cfg.threadM}×${cfg.threadN} per invocation)`,
    t.declarations(),
    h.render(),
    `var<workgroup> As: array<${lm.elem}, ${(TM * TK) / lm.w}>;`,
    `var<workgroup> Bs: array<${ln.elem}, ${(TN * TK) / ln.w}>;`,
    ...storeFn,
    `@compute @workgroup_size(${THREADS})`,
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {',
    ...body.map((l) => `  ${l}`),
    '}',
  ].filter((l) => l !== '').join('\n');
  return { code: `${code}\n`, bindings: t.bindings, dispatch, label: k.label };
}
