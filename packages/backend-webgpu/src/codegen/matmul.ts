import type { MatmulKernel, View } from '@symgrad/core';
import { linearIndex, type CodegenContext, type GeneratedKernel } from './kernel.js';
import { DEFAULT_MATMUL_CONFIG, defaultMatmulConfigFor, MATMUL_SLICE_ROUND, matmulConfigProblems, matmulSliceInvocations, type MatmulConfig } from './matmul-config.js';
import { renderExprs } from './wgsl-expr.js';
import { BindingTable, castValue, ELEMENT_WORKGROUP, f32Literal, Helpers, splitDispatch, unravel, viewOffset } from './wgsl-exports.js';

/** The default output tile of one workgroup (rows × cols), the K step, and the outputs per invocation. */
export const MATMUL_TILE = { m: DEFAULT_MATMUL_CONFIG.tileM, n: DEFAULT_MATMUL_CONFIG.tileN, k: DEFAULT_MATMUL_CONFIG.tileK, perThread: DEFAULT_MATMUL_CONFIG.threadM } as const;

/** The config this kernel is generated with: the context's chooser, else the default. */
export function matmulConfigFor(k: MatmulKernel, ctx: CodegenContext): MatmulConfig {
  const batch = k.batch.reduce((a, b) => a * b, 1);
  return ctx.matmulConfig?.(k.m, k.n, k.k, batch, k) ?? defaultMatmulConfigFor(k.m, k.n, k.k, batch, ctx.limits, k);
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
 * How one operand's K tile is copied from memory into workgroup memory: `iters` elements (f32
 * or vec4) per invocation, element e = lid + l·invocations (only e < guard exist where set);
 * `at` names the element's tile position, `read` loads it for the K tile at `kb` into a
 * register (declared there when `decl`), `write` stores the register into the tile at `base`.
 */
interface TileCopy {
  readonly iters: number;
  readonly guard?: number;
  readonly elem: string;
  readonly at: string[];
  read(kb: string, reg: string, decl: boolean): string[];
  write(reg: string, base: string): string[];
}

/**
 * Whether an operand's global tile can be loaded with aligned vec4 reads: the stored matrix's
 * inner dim (the one the tile loads along; `extent` and `tileExtent` are its sizes) has stride 1, its
 * extent and the tile's extent along it are multiples of 4, and the view offset and every other
 * stride (batch strides included) are multiples of 4, so each vec4 starts 16-byte aligned and
 * is wholly inside or wholly outside the matrix.
 */
export function vec4Operand(v: View, nb: number, extent: number, tileExtent: number, dtype: string): boolean {
  if (dtype !== 'float32') return false;
  const inner = v.strides[nb + 1]!;
  const outer = v.strides[nb]!;
  return inner === 1 && extent % 4 === 0 && tileExtent % 4 === 0 && v.offset % 4 === 0 && outer % 4 === 0
    && v.strides.slice(0, nb).every((s) => s % 4 === 0);
}

/** The binding declarations with the named bindings' element type widened to vec4<f32>. */
function vec4Declarations(decls: string, names: string[]): string {
  return decls.split('\n').map((l) => (names.some((n) => l.endsWith(` ${n}: array<f32>;`)) ? l.replace(/array<f32>;$/, 'array<vec4<f32>>;') : l)).join('\n');
}

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

/** One operand's tile in workgroup memory, K-major: `stride` array elements per K row, `size` in all. */
interface WorkgroupTile {
  readonly name: string;
  readonly l: ReturnType<typeof layout>;
  readonly stride: number;
  readonly size: number;
  /** Whether the vec4 index is XORed with p % 8. */
  readonly swizzle: boolean;
  /** Whether each K row has a vec4 of padding. */
  readonly padded: boolean;
}

/**
 * The tile layout of one operand: a K-fastest loaded vec4 tile is padded by a vec4 per K row
 * (`pad`), else swizzled where its width is a multiple of 32 (XORing a vec4 index below
 * tile/4 with p % 8 stays below it only then).
 */
function workgroupTile(name: string, l: ReturnType<typeof layout>, tile: number, tileK: number, kFastest: boolean, pad: boolean): WorkgroupTile {
  const padded = kFastest && l.w === 4 && pad;
  const stride = tile / l.w + (padded ? 1 : 0);
  return { name, l, stride, size: stride * tileK, swizzle: kFastest && l.w === 4 && !pad && tile % 32 === 0, padded };
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
  // With K slices (cfg.slices), THREADS counts one slice's invocations: each slice copies and
  // multiplies its own tiles as a whole workgroup would, at its own offsets `sa`/`sb` there.
  const SL = cfg.slices ?? 1;
  const THREADS = matmulSliceInvocations(cfg);
  const lidE = SL > 1 ? 'li' : 'i32(lid.x)';
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
  // Split K: `splits` workgroups along z per matrix, each summing one K span (a whole number
  // of K tiles) into scratch memory; a second launch adds the partial products in a fixed
  // order and applies alpha, beta and the epilogue. More workgroups where the output alone has
  // too few tiles to fill the GPU.
  const batchN = k.batch.reduce((a, b) => a * b, 1);
  const split = splitPlan(cfg, k.m, k.n, k.k, batchN);
  const epiInputs = k.epilogue?.inputs ?? [];
  // The store function (alpha, beta, epilogue, cast) over a kernel's bindings and helpers.
  const storeFunction = (tb: BindingTable, hp: Helpers) => {
    const O = tb.ref(k.out.buffer, true);
    const idx = [...k.batch.map((_, d) => `bi${d}`), 'u32(row)', 'u32(col)'];
    const epiLoads = epiInputs.map((v) => ({ code: `${tb.ref(v.buffer)}[${viewOffset(v, idx)}]`, dtype: ctx.dtypeOf(v.buffer) }));
    const epi = k.epilogue
      ? renderExprs([k.epilogue.expr], [{ code: 'v', dtype: 'float32' }, ...epiLoads.map((l, j) => ({ code: `e${j}`, dtype: l.dtype }))], hp, 'q')
      : undefined;
    const outD = ctx.dtypeOf(k.out.buffer);
    const outAt = viewOffset(k.out, idx);
    const alpha = f32Literal(k.alpha, hp);
    const beta = f32Literal(k.beta, hp);
    const store = [
      `var v: f32 = ${k.alpha === 1 ? 'acc' : `${alpha} * acc`};`,
      ...(k.beta !== 0 ? [`v = v + ${beta} * f32(${O}[${outAt}]);`] : []),
      ...(epi ? [...epiLoads.map((l, j) => `let e${j} = ${l.code};`), ...epi.lines] : []),
      `${O}[${outAt}] = ${castValue(epi ? epi.values[0]! : 'v', epi ? k.epilogue!.expr.dtype : 'float32', outD, hp)};`,
    ];
    return [
      'fn store(z: u32, row: i32, col: i32, acc: f32) {',
      `  if (row >= ${k.m} || col >= ${k.n}) { return; }`,
      ...unravel(k.batch, 'z', 'bi').map((l) => `  ${l}`),
      ...store.map((l) => `  ${l}`),
      '}',
    ];
  };
  const S = split.splits;
  const SCR = S > 1 ? t.scratch(true) : '';
  const storeFn = S > 1
    ? [
      // Raw partial products, [batch·split][M][N] in scratch memory.
      'fn store(z: u32, row: i32, col: i32, acc: f32) {',
      `  if (row >= ${k.m} || col >= ${k.n}) { return; }`,
      `  ${SCR}[(i32(z) * ${k.m} + row) * ${k.n} + col] = acc;`,
      '}',
    ]
    : storeFunction(t, h);
  const upto = (n: number) => [...Array(n).keys()];
  // The K bound of the operand reads: K, or with K slices and a split the split's end (a
  // slice past it must load zeros, not the next split's tile).
  const kBound = SL > 1 && S > 1 ? 'kEnd' : `${k.k}`;
  // vec4 loads per operand, where exact (vec4Operand) and where no other use of the same
  // buffer in this kernel needs it as array<f32> (A and B may share one, then both must qualify).
  const others = S > 1 ? [] : [k.out.buffer, ...epiInputs.map((v) => v.buffer)];
  const qa = !!cfg.vec4Loads && vec4Operand(k.a, nb, k.transA ? k.m : k.k, k.transA ? TM : TK, ctx.dtypeOf(k.a.buffer));
  const qb = !!cfg.vec4Loads && vec4Operand(k.b, nb, k.transB ? k.k : k.n, k.transB ? TK : TN, ctx.dtypeOf(k.b.buffer));
  const vecA = qa && !others.includes(k.a.buffer) && (k.a.buffer !== k.b.buffer || qb);
  const vecB = qb && !others.includes(k.b.buffer) && (k.a.buffer !== k.b.buffer || qa);
  // One accumulator per (row, column group): a vec4 when columns come in 4s.
  const accs = (f: (i: number, g: number) => string) => upto(cfg.threadM).flatMap((i) => upto(ln.groups).map((g) => f(i, g)));
  // Where a tile is loaded K-fastest (A not transposed, B transposed), a warp's stores hit
  // one K-major column: with TM, TN multiples of 32 every address in the same bank. Either
  // XORing the vec4 index with p % 8 spreads them over 8 vec4s, or (padTiles, any width) one
  // vec4 of padding per K row shifts each row by 4 banks: 2-way instead of 16-way conflicts both.
  // Reads of one p row stay conflict-free; padded ones need no index arithmetic per read
  // (constant offsets once the K tile is unrolled, which Dawn's robustness clamps can prove
  // in range), swizzled ones an XOR and, from Dawn, a clamp each.
  const kFastA = !k.transA;
  const kFastB = k.transB;
  const tileA = workgroupTile('As', lm, TM, TK, kFastA, !!cfg.padTiles);
  const tileB = workgroupTile('Bs', ln, TN, TK, kFastB, !!cfg.padTiles);
  // A workgroup tile element at K-major position (p, x) (vec4 arrays take a lane); `base`
  // ('', or a sum such as 'sa + oa + ') selects the K slice's tiles and the half of a
  // double-buffered array.
  const tileAt = (t: WorkgroupTile, p: string, x: string, base = '') =>
    (t.l.w === 4 ? `${t.name}[${base}${p} * ${t.stride} + ${t.swizzle ? `((${x} / 4) ^ (${p} & 7))` : `${x} / 4`}][${x} % 4]` : `${t.name}[${base}${p} * ${t.stride} + ${x}]`);
  // p is the loop variable, or a number where the K loop is unrolled (then folded in).
  const tileRead = (t: WorkgroupTile, g: number, thread: string, p: string | number, base: string) => {
    const v = g ? `${g * t.l.threads} + ${thread}` : thread;
    const x = !t.swizzle || p === 0 ? v : `(${g ? `(${v})` : v} ^ ${typeof p === 'number' ? p & 7 : '(p & 7)'})`;
    if (typeof p === 'string') return `${t.name}[${base}p * ${t.stride} + ${x}]`;
    return `${t.name}[${base}${p ? `${p * t.stride} + ` : ''}${x}]`;
  };
  // One p step: read a column of As and a row of Bs into registers, then the FMAs.
  const step = (p: string | number, baseA = '', baseB = '') => [
    ...upto(lm.groups).map((g) => `    let ra${g} = ${tileRead(tileA, g, 'ty', p, baseA)};`),
    ...upto(ln.groups).map((g) => `    let rb${g} = ${tileRead(tileB, g, 'tx', p, baseB)};`),
    ...accs((i, g) => `    c${i}_${g} = fma(${ln.w === 4 ? `vec4<f32>(${lm.reg('ra', i)})` : lm.reg('ra', i)}, rb${g}, c${i}_${g});`),
  ];
  // Partly unrolled (unrollBy), each step of a loop iteration binds its own p.
  const U = cfg.unrollBy;
  const compute = (baseA = '', baseB = '') => (cfg.unrollK
    ? upto(TK).flatMap((p) => ['  {', ...step(p, baseA, baseB), '  }'])
    : U
      ? [`  for (var p0 = 0; p0 < ${TK}; p0 = p0 + ${U}) {`,
        ...upto(U).flatMap((j) => ['  {', `    let p = p0${j ? ` + ${j}` : ''};`, ...step('p', baseA, baseB), '  }']), '  }']
      : [`  for (var p = 0; p < ${TK}; p = p + 1) {`, ...step('p', baseA, baseB), '  }']);
  // Neighbouring invocations load neighbouring addresses: along K where K is the stored
  // matrix's contiguous dim (A not transposed, B transposed), else along M / N.
  // Tiles whose element count is not a multiple of the invocations (tiles of 200 rows for
  // an 800-row product, say) leave the last iteration's tail of invocations idle (`guard`).
  const scalarIters = (n: number) => ({ iters: Math.ceil(n / THREADS), guard: n % THREADS !== 0 ? n : undefined });
  const scalarA: TileCopy = {
    ...scalarIters(TM * TK), elem: 'f32',
    at: k.transA ? [`let mm = e % ${TM};`, `let pa = e / ${TM};`] : [`let mm = e / ${TK};`, `let pa = e % ${TK};`],
    read: (kb, r, decl) => [`let row = i32(wid.y) * ${TM} + mm;`, decl ? `var ${r} = 0.0f;` : `${r} = 0.0f;`,
      `if (row < ${k.m} && ${kb} + pa < ${kBound}) { ${r} = ${A}[aBase + ${aAt('row', `(${kb} + pa)`)}]; }`],
    write: (r, base) => [`${tileAt(tileA, 'pa', 'mm', base)} = ${r};`],
  };
  const scalarB: TileCopy = {
    ...scalarIters(TN * TK), elem: 'f32',
    at: k.transB ? [`let nn = e / ${TK};`, `let pb = e % ${TK};`] : [`let nn = e % ${TN};`, `let pb = e / ${TN};`],
    read: (kb, r, decl) => [`let col = i32(wid.x) * ${TN} + nn;`, decl ? `var ${r} = 0.0f;` : `${r} = 0.0f;`,
      `if (col < ${k.n} && ${kb} + pb < ${kBound}) { ${r} = ${B}[bBase + ${bAt(`(${kb} + pb)`, 'col')}]; }`],
    write: (r, base) => [`${tileAt(tileB, 'pb', 'nn', base)} = ${r};`],
  };
  // vec4 loads: each invocation reads 4 elements contiguous in memory (along the stored
  // matrix's contiguous dim, whose extent is a multiple of 4, so a vec4 is all in or all out
  // of the matrix) and scatters them into the K-major tile. Indices are in vec4s: every term
  // of the element offset is a multiple of 4 (checked by vec4Operand).
  const vec4Copy = (o: { t: WorkgroupTile; buf: string; base: string; tile: number; along: 'k' | 'mn'; i: string; pk: string; at: (mn: string, p: string) => string; limit: number }): TileCopy => {
    const n = (o.tile * TK) / 4;
    const [mn, pk] = o.along === 'k'
      ? [`e / ${TK / 4}`, `(e % ${TK / 4}) * 4`]
      : [`(e % ${o.tile / 4}) * 4`, `e / ${o.tile / 4}`];
    return {
      iters: Math.ceil(n / THREADS), guard: n % THREADS !== 0 ? n : undefined, elem: 'vec4<f32>',
      at: [`let ${o.i} = ${mn};`, `let ${o.pk} = ${pk};`],
      read: (kb, r, decl) => [
        `let g = i32(wid.${o.t.name === 'As' ? 'y' : 'x'}) * ${o.tile} + ${o.i};`,
        decl ? `var ${r} = vec4<f32>(0.0f);` : `${r} = vec4<f32>(0.0f);`,
        `if (g < ${o.limit} && ${kb} + ${o.pk} < ${kBound}) { ${r} = ${o.buf}[(${o.base} + ${o.at('g', `(${kb} + ${o.pk})`)}) / 4]; }`,
      ],
      // Along M/N into a vec4 tile the 4 values are one aligned vec4 of it (no swizzle there).
      write: (r, base) => (o.along === 'mn' && o.t.l.w === 4
        ? [`${o.t.name}[${base}${o.pk} * ${o.t.stride} + ${o.i} / 4] = ${r};`]
        : upto(4).map((j) => {
          const [x, p] = o.along === 'k' ? [o.i, j ? `(${o.pk} + ${j})` : o.pk] : [j ? `(${o.i} + ${j})` : o.i, o.pk];
          return `${tileAt(o.t, p, x, base)} = ${r}.${LANES[j]};`;
        })),
    };
  };
  const copyA = vecA
    ? vec4Copy({ t: tileA, buf: A, base: 'aBase', tile: TM, along: k.transA ? 'mn' : 'k', i: 'mm', pk: 'pa', at: aAt, limit: k.m })
    : scalarA;
  const copyB = vecB
    ? vec4Copy({ t: tileB, buf: B, base: 'bBase', tile: TN, along: k.transB ? 'k' : 'mn', i: 'nn', pk: 'pb', at: (c, p) => bAt(p, c), limit: k.n })
    : scalarB;
  // Straight from memory into the tile, one loop over the copy's elements.
  const loadLoop = (c: TileCopy, r: string, base: string) => [
    `  for (var l = 0; l < ${c.iters}; l = l + 1) {`,
    `    let e = ${lidE} + l * ${THREADS};`,
    ...(c.guard !== undefined ? [`    if (e < ${c.guard}) {`] : []),
    ...[...c.at, ...c.read('k0', r, true), ...c.write(r, base)].map((l) => `    ${l}`),
    ...(c.guard !== undefined ? ['    }'] : []),
    '  }',
  ];
  // Staged through registers (prefetch, double): element l of the copy lives in `${reg}${l}`
  // between the read of the next K tile (issued before the FMAs, which hide its latency) and
  // its write into workgroup memory.
  const staged = (c: TileCopy, body: (l: number) => string[]) => upto(c.iters).flatMap((l) => [
    '  {',
    `    let e = ${lidE}${l ? ` + ${l * THREADS}` : ''};`,
    ...(c.guard !== undefined ? [`    if (e < ${c.guard}) {`] : []),
    ...[...c.at, ...body(l)].map((x) => `    ${x}`),
    ...(c.guard !== undefined ? ['    }'] : []),
    '  }',
  ]);
  const fetch = (kb: string) => [...staged(copyA, (l) => copyA.read(kb, `xa${l}`, false)), ...staged(copyB, (l) => copyB.read(kb, `yb${l}`, false))];
  const commit = (baseA: string, baseB: string) => [...staged(copyA, (l) => copyA.write(`xa${l}`, baseA)), ...staged(copyB, (l) => copyB.write(`yb${l}`, baseB))];
  const indent = (lines: string[]) => lines.map((l) => `  ${l}`);
  const sizeA = tileA.size;
  const sizeB = tileB.size;
  const double = !!cfg.doubleBuffer;
  // The K range this workgroup sums: all of K, or its split's span.
  const [kFirst, kLimit] = S > 1 ? ['kBegin', 'kEnd'] : ['0', `${k.k}`];
  // K slices: the loop steps over SL K tiles at once (the same count in every slice, so the
  // barriers stay uniform), slice `sl` taking the tile at k0 = kt + sl·TK; a slice past the
  // range loads zeros (the reads' bound is then the range's end), and whether there is a next
  // step is decided by the first slice's tile, for all.
  const kStep = SL * TK;
  const kv = SL > 1 ? 'kt' : 'k0';
  const head = `for (var ${kv} = ${kFirst}; ${kv} < ${kLimit}; ${kv} = ${kv} + ${kStep}) {`;
  const k0Line = SL > 1 ? [`  let k0 = kt + sl * ${TK};`] : [];
  const next = SL > 1 ? `kt + ${kStep} < ${kLimit}` : `kn < ${kLimit}`;
  const [sa, sb] = SL > 1 ? ['sa + ', 'sb + '] : ['', ''];
  const slot = SL > 1 ? `(((kt - ${kFirst}) / ${kStep}) & 1)` : S > 1 ? `(((k0 - kBegin) / ${TK}) & 1)` : `((k0 / ${TK}) & 1)`;
  const kLoop = !cfg.prefetch && !double
    ? [
      head,
      ...k0Line,
      ...loadLoop(copyA, 'x', sa),
      ...loadLoop(copyB, 'y', sb),
      '  workgroupBarrier();',
      ...compute(sa, sb),
      '  workgroupBarrier();',
      '}',
    ]
    : [
      ...upto(copyA.iters).map((l) => `var xa${l} = ${copyA.elem}(0.0f);`),
      ...upto(copyB.iters).map((l) => `var yb${l} = ${copyB.elem}(0.0f);`),
      ...fetch(SL > 1 ? `${kFirst} + sl * ${TK}` : kFirst).map((l) => l.slice(2)),
      ...(double
        // Two tiles per operand: the FMAs read one while the next K tile is written to the
        // other, so one barrier per K step suffices.
        ? [
          ...commit(sa, sb).map((l) => l.slice(2)),
          'workgroupBarrier();',
          head,
          ...k0Line,
          `  let oa = ${slot} * ${sizeA};`,
          `  let ob = ${slot} * ${sizeB};`,
          `  let kn = k0 + ${kStep};`,
          `  if (${next}) {`,
          ...indent(fetch('kn')),
          '  }',
          ...compute(`${sa}oa + `, `${sb}ob + `),
          `  if (${next}) {`,
          `    let na = ${sizeA} - oa;`,
          `    let nb = ${sizeB} - ob;`,
          ...indent(commit(`${sa}na + `, `${sb}nb + `)),
          '  }',
          '  workgroupBarrier();',
          '}',
        ]
        : [
          head,
          ...k0Line,
          ...commit(sa, sb),
          '  workgroupBarrier();',
          `  let kn = k0 + ${kStep};`,
          `  if (${next}) {`,
          ...indent(fetch('kn')),
          '  }',
          ...compute(sa, sb),
          '  workgroupBarrier();',
          '}',
        ]),
    ];
  // The other slices hand their sums to the first through Rs, MATMUL_SLICE_ROUND accumulators
  // per invocation at a time; the first adds them in slice order (a fixed order: the same bits
  // every run) and alone stores the results.
  const accNames = accs((i, g) => `c${i}_${g}`);
  const R = Math.min(MATMUL_SLICE_ROUND, accNames.length);
  const rounds = upto(Math.ceil(accNames.length / R)).map((r) => accNames.slice(r * R, r * R + R));
  const rsAt = (q: number | 'sl', j: number) => (q === 'sl' ? `Rs[((sl - 1) * ${R} + ${j}) * ${THREADS} + li]` : `Rs[${(q * R + j) * THREADS} + li]`);
  const sliceSum = SL > 1 ? rounds.flatMap((names, r) => [
    `if (sl > 0) {`,
    ...names.map((c, j) => `  ${rsAt('sl', j)} = ${c};`),
    '}',
    'workgroupBarrier();',
    `if (sl == 0) {`,
    ...names.map((c, j) => `  ${c} = ${[c, ...upto(SL - 1).map((q) => rsAt(q, j))].join(' + ')};`),
    '}',
    ...(r < rounds.length - 1 ? ['workgroupBarrier();'] : []),
  ]) : [];
  // Scalar (or vec4) registers, not private arrays: dynamically indexed private arrays are
  // slow to compile and to run on some drivers (SwiftShader takes seconds per pipeline).
  const body = [
    ...(S > 1 ? [
      `let split = wid.z % ${S}u;`,
      `let bz = wid.z / ${S}u;`,
      `let kBegin = i32(split) * ${split.span};`,
      `let kEnd = min(${k.k}, kBegin + ${split.span});`,
    ] : []),
    ...unravel(k.batch, S > 1 ? 'bz' : 'wid.z', 'bi'),
    `let aBase = ${batchBase(k.a, nb)};`,
    `let bBase = ${batchBase(k.b, nb)};`,
    ...(SL > 1 ? [
      `let li = i32(lid.x % ${THREADS}u);`,
      `let sl = i32(lid.x / ${THREADS}u);`,
      `let sa = sl * ${double ? 2 * sizeA : sizeA};`,
      `let sb = sl * ${double ? 2 * sizeB : sizeB};`,
    ] : []),
    `let tx = ${SL > 1 ? `li % ${ln.threads}` : `i32(lid.x % ${ln.threads}u)`};`,
    `let ty = ${SL > 1 ? `li / ${ln.threads}` : `i32(lid.x / ${ln.threads}u)`};`,
    `let row0 = i32(wid.y) * ${TM} + ty * ${lm.w};`,
    `let col0 = i32(wid.x) * ${TN} + tx * ${ln.w};`,
    ...accs((i, g) => `var c${i}_${g} = ${ln.elem}(0.0f);`),
    ...kLoop,
    ...sliceSum,
    ...(SL > 1 ? ['if (sl == 0) {'] : []),
    ...upto(cfg.threadM).flatMap((i) => upto(cfg.threadN).map((j) =>
      `${SL > 1 ? '  ' : ''}store(wid.z, row0 + ${lm.offset(i)}, col0 + ${ln.offset(j)}, ${ln.reg(`c${i}_`, j)});`)),
    ...(SL > 1 ? ['}'] : []),
  ];
  const dispatch: [number, number, number] = [Math.max(1, Math.ceil(k.n / TN)), Math.max(1, Math.ceil(k.m / TM)), Math.max(1, batchN) * S];
  const paddedTiles = [tileA, tileB].filter((x) => x.padded).map((x) => x.name);
  const code = [
    `// ${k.label} (matmul ${k.transA ? 'Aᵀ' : 'A'}·${k.transB ? 'Bᵀ' : 'B'}, ${k.m}×${k.n}×${k.k}${nb ? `, batch ${k.batch.join('×')}` : ''}; tile ${TM}×${TN}×${TK}, ${cfg.threadM}×${cfg.threadN} per invocation${cfg.unrollK ? ', K tile unrolled' : U ? `, K tile unrolled ${U} steps at a time` : ''}${double ? ', double-buffered through registers' : cfg.prefetch ? ', next K tile prefetched into registers' : ''}${vecA || vecB ? `, vec4 loads of ${vecA && vecB ? 'A and B' : vecA ? 'A' : 'B'}` : ''}${paddedTiles.length ? `, K rows of ${paddedTiles.join(' and ')} padded` : ''}${S > 1 ? `; K split ${S} ways of ${split.span}, partial products to scratch` : ''}${SL > 1 ? `; ${SL} K slices, summed in workgroup memory` : ''})`,
    vecA || vecB ? vec4Declarations(t.declarations(), [...(vecA ? [A] : []), ...(vecB ? [B] : [])]) : t.declarations(),
    h.render(),
    `var<workgroup> As: array<${lm.elem}, ${SL * (double ? 2 * sizeA : sizeA)}>;`,
    `var<workgroup> Bs: array<${ln.elem}, ${SL * (double ? 2 * sizeB : sizeB)}>;`,
    ...(SL > 1 ? [`var<workgroup> Rs: array<${ln.elem}, ${(SL - 1) * R * THREADS}>;`] : []),
    ...storeFn,
    `@compute @workgroup_size(${SL * THREADS})`,
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {',
    ...body.map((l) => `  ${l}`),
    '}',
  ].filter((l) => l !== '').join('\n');
  if (S === 1) return { code: `${code}\n`, bindings: t.bindings, dispatch, label: k.label };
  const scratch = S * Math.max(1, batchN) * k.m * k.n;
  return { code: `${code}\n`, bindings: t.bindings, dispatch, label: k.label, scratch, next: splitReduction(k, ctx, S, storeFunction) };
}

/** WebGPU's guaranteed storage binding size: split-K's scratch never needs a larger limit. */
const MAX_SCRATCH_BYTES = 1 << 27;

/**
 * How a matmul splits K (cfg.splitK ways at most): each split a whole number of K tiles
 * (`span` elements), none empty, and the partial products within MAX_SCRATCH_BYTES; one
 * split (no scratch) where K has a single tile or the scratch would not fit.
 */
export function splitPlan(cfg: MatmulConfig, m: number, n: number, k: number, batch: number): { splits: number; span: number } {
  const tiles = Math.ceil(k / cfg.tileK);
  let want = Math.min(cfg.splitK ?? 1, tiles);
  while (want > 1 && want * Math.max(1, batch) * m * n * 4 > MAX_SCRATCH_BYTES) want--;
  if (want <= 1) return { splits: 1, span: k };
  const span = Math.ceil(tiles / want) * cfg.tileK;
  return { splits: Math.ceil(k / span), span };
}

/** Split-K's second launch: one invocation per output adds its S partial products in order, then stores as the matmul would. */
function splitReduction(k: MatmulKernel, ctx: CodegenContext, S: number, storeFunction: (t: BindingTable, h: Helpers) => string[]): GeneratedKernel {
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const SCR = t.scratch();
  const storeFn = storeFunction(t, h);
  const mn = k.m * k.n;
  const total = Math.max(1, k.batch.reduce((a, b) => a * b, 1)) * mn;
  const dispatch = splitDispatch(Math.ceil(total / ELEMENT_WORKGROUP), ctx.limits.maxComputeWorkgroupsPerDimension);
  const code = [
    `// ${k.label} (matmul ${k.m}×${k.n}${k.batch.length ? `, batch ${k.batch.join('×')}` : ''}: the sum of ${S} split-K partial products, then alpha, beta and the epilogue)`,
    t.declarations(),
    h.render(),
    ...storeFn,
    `@compute @workgroup_size(${ELEMENT_WORKGROUP})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
    `  let lin = ${linearIndex(dispatch, ELEMENT_WORKGROUP)};`,
    `  if (lin >= ${total}u) { return; }`,
    `  let z = lin / ${mn}u;`,
    `  let rc = lin % ${mn}u;`,
    '  var acc = 0.0f;',
    `  for (var s = 0u; s < ${S}u; s = s + 1u) { acc = acc + ${SCR}[(z * ${S}u + s) * ${mn}u + rc]; }`,
    `  store(z, i32(rc / ${k.n}u), i32(rc % ${k.n}u), acc);`,
    '}',
  ].filter((l) => l !== '').join('\n');
  return { code: `${code}\n`, bindings: t.bindings, dispatch, label: `${k.label} (split-K sum)` };
}
