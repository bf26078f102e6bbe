import type { DType, MatmulKernel, View } from '@symgrad/core';
import { indexType, offsetOf, product, unravel } from './index-math.js';
import { Params } from './params.js';
import { BLOCK, blocksFor, MAX_BLOCKS, type GeneratedKernel } from './plan.js';
import { computeType, convert, cudaLiteral, renderCudaExprs } from './render-cuda.js';

/**
 * Products with a narrow side, as generated kernels instead of cuBLAS GEMMs. cuBLAS takes
 * 10–20 µs on an H100 for each of the seed step's 800×1000·1000×10, 800×10·10×1000 and
 * 1000×800·800×10 products, which move a few megabytes and compute almost nothing: a kernel
 * that reads its operands once at memory speed, with the matmul's alpha, beta and fused
 * epilogue applied as it stores, does each in a few µs. Three forms:
 *
 * - `outer` (K ≤ 16): one thread per result element, K products in a register; where B is
 *   stored transposed and N is wide, each block first stages its columns' K × 256 slice of B
 *   in shared memory;
 * - `rows` (N ≤ 16, A stored [M, K]): a warp per result row, its lanes striding over K
 *   (coalesced reads of A's row), N sums per lane, then butterfly shuffles; B passes through
 *   shared memory 128 rows at a time;
 * - `columns` (N ≤ 16, A stored [K, M], i.e. transA): a block per 8 result rows, 32 groups of
 *   8 threads each reading 8 neighbouring elements of every 32nd stored row of A, the 32
 *   partial sums of each result added through shared memory.
 *
 * Every sum is taken in a fixed order, so results do not vary between runs.
 */
export type SkinnyMatmulForm = 'outer' | 'rows' | 'columns';

/** The widest N (or K) a product takes a skinny kernel for: N sums live in each thread's registers. */
export const SKINNY_LIMIT = 16;
/** Below this much parallel work a long K is cuBLAS's job (it splits K; these forms do not). */
const LONG_K = 4096;
/** Static shared memory a `rows` block may fill with rows of B (of the 48 KiB a block may declare). */
const ROWS_SHARED_BYTES = 46 * 1024;
/** Blocks to aim for (about two per SM of an H100), where a form can choose its block count. */
const TARGET_BLOCKS = 264;

/**
 * The generated form that computes matmul `k`, or undefined where cuBLAS does (wide products,
 * empty ones, dtypes other than float32/float64, and long-K products with too few rows).
 *
 * @example
 * ```ts
 * skinnyMatmulForm({ ...k, m: 800, n: 10, k: 1000, transA: false }); // 'rows'
 * ```
 */
export function skinnyMatmulForm(k: MatmulKernel): SkinnyMatmulForm | undefined {
  if (k.dtype !== 'float32' && k.dtype !== 'float64') return undefined;
  if (k.m === 0 || k.n === 0 || k.k === 0) return undefined;
  const batch = product(k.batch);
  if (k.k <= SKINNY_LIMIT) return 'outer';
  if (k.n > SKINNY_LIMIT) return undefined;
  if (k.transA) return batch * Math.ceil(k.m / 8) >= 64 || k.k <= LONG_K ? 'columns' : undefined;
  return batch * k.m >= 128 || k.k <= LONG_K ? 'rows' : undefined;
}

const ind = (ls: readonly string[], n: number) => ls.map((l) => ' '.repeat(n) + l).join('\n');

/** The C that turns sum `acc` of element (dims) into the result: alpha, beta, the epilogue, the store. */
function storeLines(k: MatmulKernel, p: Params, acc: string, dims: readonly string[]): string[] {
  const T = computeType(k.dtype);
  const out = p.ref(k.out, true);
  const at = offsetOf(k.out, dims);
  let r = k.alpha === 1 ? acc : `${cudaLiteral(k.dtype, k.alpha)} * ${acc}`;
  if (k.beta !== 0) r += ` + ${cudaLiteral(k.dtype, k.beta)} * (${T})${out}[${at}]`;
  const lines = [`const ${T} r = ${r};`];
  if (!k.epilogue) return [...lines, `${out}[${at}] = ${convert(k.dtype, p.dtype(k.out), 'r')};`];
  const inputs = k.epilogue.inputs;
  const e = renderCudaExprs([k.epilogue.expr], {
    inputCount: inputs.length + 1,
    storage: (i) => (i === 0 ? k.dtype : p.dtype(inputs[i - 1]!)),
    load: (i) => (i === 0 ? 'r' : `${p.ref(inputs[i - 1]!)}[${offsetOf(inputs[i - 1]!, dims)}]`),
    prefix: 'e',
  });
  return [...lines, ...e.lines, `${out}[${at}] = ${convert(k.epilogue.expr.dtype, p.dtype(k.out), e.results[0]!)};`];
}

/** Element (batch dims, i, kk) of op(A) and (batch dims, kk, j) of op(B), as C expressions in the compute type. */
function operands(k: MatmulKernel, p: Params, T: string) {
  const a = (b: readonly string[], i: string, kk: string) => `(${T})${p.ref(k.a)}[${offsetOf(k.a, k.transA ? [...b, kk, i] : [...b, i, kk])}]`;
  const bOf = (b: readonly string[], kk: string, j: string) => `(${T})${p.ref(k.b)}[${offsetOf(k.b, k.transB ? [...b, j, kk] : [...b, kk, j])}]`;
  return { a, b: bOf };
}

/**
 * The batch entry of tile `tile` when each entry has `perEntry` tiles: declarations of its
 * dims (`bd`); none where no batch dim is longer than 1 (an unused `bt` makes nvcc warn).
 */
function batchEntry(k: MatmulKernel, IT: string, perEntry: number): { lines: string[]; bd: string[] } {
  const { lines, dims } = unravel('bt', k.batch, 'd', IT);
  return { lines: lines.length ? [`const ${IT} bt = tile / ${perEntry};`, ...lines] : [], bd: dims };
}

/** A kernel whose blocks loop over `tiles` tiles, `preamble` (shared memory, per-thread constants) before the loop. */
function tiledKernel(name: string, p: Params, IT: string, tiles: number, preamble: readonly string[], body: readonly string[], what: string): GeneratedKernel {
  const source = `extern "C" __global__ void __launch_bounds__(${BLOCK}) ${name}(${p.signature()}) {
${ind(preamble, 2)}
  for (${IT} tile = blockIdx.x; tile < (${IT})${tiles}; tile += gridDim.x) {
${ind(body, 4)}
  }
}
`;
  return { source, launch: { kind: 'launch', name, grid: [Math.min(MAX_BLOCKS, tiles), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what } };
}

function checkRanks(k: MatmulKernel, index: number): void {
  const rank = k.batch.length + 2;
  const views: [string, View][] = [['A', k.a], ['B', k.b], ['the output', k.out], ...(k.epilogue?.inputs ?? []).map((v, i) => [`epilogue input ${i + 1}`, v] as [string, View])];
  for (const [what, v] of views) {
    if (v.shape.length !== rank) throw new Error(`render-cuda: kernel ${index} (matmul): ${what} has rank ${v.shape.length}, expected ${rank}`);
  }
}

/**
 * Work a `rows` kernel finishes for each result row once the warp has stored it (the warp's
 * lanes having stored the row's N elements): another kernel's per-row computation on the
 * product, fused so it needs no launch of its own (matmul-row-tail.ts). `lines` gets
 * the kernel's parameter list, its index type and the C expression of the row (warp-uniform,
 * possibly past the last row, so the lines check it); `views` are what it reads and writes.
 */
export interface RowsTail {
  readonly views: readonly View[];
  readonly lines: (p: Params, IT: string, row: string) => string[];
  /** Appended to the launch's description, for profiles and error messages. */
  readonly what: string;
}

/**
 * Renders matmul kernel `k` in the form skinnyMatmulForm chose (which must not be undefined),
 * with `tail` (`rows` form only) run for each row after it is stored.
 *
 * @example
 * ```ts
 * const g = renderSkinnyMatmul(kernel, 4, dtypes, 'rows');
 * g.launch; // { name: 'k4_matmul', block: [256, 1, 1], … }
 * ```
 */
export function renderSkinnyMatmul(k: MatmulKernel, index: number, dtypes: readonly DType[], form: SkinnyMatmulForm, tail?: RowsTail): GeneratedKernel {
  checkRanks(k, index);
  if (tail && (form !== 'rows' || k.batch.length > 0)) throw new Error(`render-cuda: kernel ${index} (matmul, ${form}): only an unbatched rows form takes a per-row tail`);
  const name = `k${index}_matmul`;
  const T = computeType(k.dtype);
  const p = new Params(dtypes);
  const views = [k.a, k.b, k.out, ...(k.epilogue?.inputs ?? []), ...(tail?.views ?? [])];
  const batch = product(k.batch);
  const IT = indexType(batch * k.m * Math.max(k.n, k.k) + MAX_BLOCKS * 1024, views);
  const { a, b } = operands(k, p, T);
  const what = `kernel ${index} (matmul, ${form}${tail ? `, ${tail.what}` : ''})`;
  const zero = cudaLiteral(k.dtype, 0);
  const [M, N, K] = [k.m, k.n, k.k];

  if (form === 'outer' && !(k.transB && N >= BLOCK)) {
    // Neighbouring threads (neighbouring j) read neighbouring elements of B's rows; stored as Bᵀ,
    // B is read K-strided here, which costs little while N (so Bᵀ) is under 256 wide.
    const total = batch * M * N;
    const { lines, dims } = unravel('t', [...k.batch, M, N], 'd', IT);
    const bd = dims.slice(0, -2), i = dims[dims.length - 2]!, j = dims[dims.length - 1]!;
    const body = [
      ...lines,
      `${T} acc = ${zero};`,
      '#pragma unroll',
      `for (int kk = 0; kk < ${K}; kk++) acc += ${a(bd, i, 'kk')} * ${b(bd, 'kk', j)};`,
      ...storeLines(k, p, 'acc', dims),
    ];
    const source = `extern "C" __global__ void __launch_bounds__(${BLOCK}) ${name}(${p.signature()}) {
  for (${IT} t = (${IT})blockIdx.x * ${BLOCK} + threadIdx.x; t < (${IT})${total}; t += (${IT})gridDim.x * ${BLOCK}) {
${ind(body, 4)}
  }
}
`;
    return { source, launch: { kind: 'launch', name, grid: [blocksFor(total), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what } };
  }

  if (form === 'outer') {
    // Bᵀ stored [N, K]: a block stages B's K × 256 slice for its 256 columns j in shared memory
    // once (reading it along j would touch K-strided addresses per thread), and the K columns
    // of A for its group of at most 64 rows i (one load each, not one wait per row); then each
    // thread computes its column j of those rows.
    const JT = Math.ceil(N / BLOCK);
    const RG = Math.max(Math.ceil(M / 64), Math.min(M, Math.ceil(TARGET_BLOCKS / (JT * batch))));
    const RPG = Math.ceil(M / RG);
    const tiles = batch * JT * RG;
    const { lines, bd } = batchEntry(k, IT, JT * RG);
    const body = [
      ...lines,
      `const ${IT} j = (tile / ${RG}) % ${JT} * ${BLOCK} + threadIdx.x;`,
      `const ${IT} i0 = (tile % ${RG}) * ${RPG};`,
      '__syncthreads();',
      `if (j < (${IT})${N}) {`,
      '  #pragma unroll',
      `  for (int kk = 0; kk < ${K}; kk++) shb[kk][threadIdx.x] = ${b(bd, 'kk', 'j')};`,
      '}',
      `for (int e = threadIdx.x; e < ${RPG * K}; e += ${BLOCK}) {`,
      `  const int r = e / ${K}, kk = e % ${K};`,
      `  sha[r][kk] = i0 + r < (${IT})${M} ? ${a(bd, 'i0 + r', 'kk')} : ${zero};`,
      '}',
      '__syncthreads();',
      `if (j < (${IT})${N}) {`,
      '  #pragma unroll 4',
      `  for (int r = 0; r < ${RPG}; r++) {`,
      `    const ${IT} i = i0 + r;`,
      `    if (i < (${IT})${M}) {`,
      `      ${T} acc = ${zero};`,
      '      #pragma unroll',
      `      for (int kk = 0; kk < ${K}; kk++) acc += sha[r][kk] * shb[kk][threadIdx.x];`,
      ...storeLines(k, p, 'acc', [...bd, 'i', 'j']).map((l) => `      ${l}`),
      '    }',
      '  }',
      '}',
    ];
    return tiledKernel(name, p, IT, tiles, [`__shared__ ${T} shb[${K}][${BLOCK}];`, `__shared__ ${T} sha[${RPG}][${K}];`], body, what);
  }

  if (form === 'rows') {
    // A block computes 8 rows of one batch entry, a warp each. B passes through shared memory
    // (each warp's lanes read 32 different rows of B: from global memory that is N scattered
    // loads per k), all of it where it fits (the seed step's 1000×10), else KC rows at a time;
    // rows padded to an odd length against bank conflicts. Staging in small chunks, one
    // barrier each, made the seed's 800×1000·1000×10 slower than reading B from global memory.
    const WARPS = BLOCK / 32;
    const MT = Math.ceil(M / WARPS);
    const tiles = batch * MT;
    const pitch = N % 2 === 0 ? N + 1 : N;
    const fit = Math.floor(ROWS_SHARED_BYTES / (pitch * (k.dtype === 'float64' ? 8 : 4)) / 32) * 32;
    const KC = Math.min(fit, Math.ceil(K / 32) * 32);
    const { lines, bd } = batchEntry(k, IT, MT);
    const stage = k.transB
      ? [`const int kq = e % ${KC}, j = e / ${KC};`] // Bᵀ stored [N, K]: consecutive threads along K
      : [`const int kq = e / ${N}, j = e % ${N};`];
    const body = [
      ...lines,
      `const ${IT} i = (tile % ${MT}) * ${WARPS} + warp;`,
      `${T} acc[${N}];`,
      '#pragma unroll',
      `for (int j = 0; j < ${N}; j++) acc[j] = ${zero};`,
      `for (${IT} kc = 0; kc < (${IT})${K}; kc += ${KC}) {`,
      '  __syncthreads();',
      '  #pragma unroll 4',
      `  for (int e = threadIdx.x; e < ${KC * N}; e += ${BLOCK}) {`,
      ...stage.map((l) => `    ${l}`),
      `    shb[kq * ${pitch} + j] = kc + kq < (${IT})${K} ? ${b(bd, '(kc + kq)', 'j')} : ${zero};`,
      '  }',
      '  __syncthreads();',
      `  if (i < (${IT})${M}) {`,
      '    #pragma unroll 8',
      `    for (int q = 0; q < ${KC / 32}; q++) {`,
      '      const int kq = lane + 32 * q;',
      `      if (kc + kq < (${IT})${K}) {`,
      `        const ${T} av = ${a(bd, 'i', '(kc + kq)')};`,
      '        #pragma unroll',
      `        for (int j = 0; j < ${N}; j++) acc[j] += av * shb[kq * ${pitch} + j];`,
      '      }',
      '    }',
      '  }',
      '}',
      // The row is the same for a warp's 32 lanes, so every lane takes part in each shuffle.
      '#pragma unroll',
      `for (int j = 0; j < ${N}; j++) {`,
      '  #pragma unroll',
      '  for (int o = 16; o > 0; o >>= 1) acc[j] += __shfl_xor_sync(0xffffffffu, acc[j], o);',
      '}',
      `if (i < (${IT})${M}) {`,
      '  #pragma unroll',
      `  for (int j = 0; j < ${N}; j++) {`,
      '    if (lane == j) {',
      ...storeLines(k, p, 'acc[j]', [...bd, 'i', 'j']).map((l) => `      ${l}`),
      '    }',
      '  }',
      '}',
      ...(tail?.lines(p, IT, 'i') ?? []),
    ];
    return tiledKernel(name, p, IT, tiles, [`__shared__ ${T} shb[${KC * pitch}];`, 'const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;'], body, what);
  }

  // columns: a block computes 8 rows i of one batch entry (8 neighbouring elements of each of
  // A's stored rows), its 32 groups of 8 threads each summing every 32nd k; the 32 partial sums
  // of each result meet in shared memory and are added in order.
  const CI = 8;
  const SLICES = BLOCK / CI;
  const MT = Math.ceil(M / CI);
  const tiles = batch * MT;
  const { lines, bd } = batchEntry(k, IT, MT);
  const body = [
    ...lines,
    `const ${IT} i0 = (tile % ${MT}) * ${CI};`,
    `${T} acc[${N}];`,
    '#pragma unroll',
    `for (int j = 0; j < ${N}; j++) acc[j] = ${zero};`,
    `if (i0 + ix < (${IT})${M}) {`,
    `  const ${IT} i = i0 + ix;`,
    '  #pragma unroll 4',
    `  for (${IT} kk = ks; kk < (${IT})${K}; kk += ${SLICES}) {`,
    `    const ${T} av = ${a(bd, 'i', 'kk')};`,
    '    #pragma unroll',
    `    for (int j = 0; j < ${N}; j++) acc[j] += av * ${b(bd, 'kk', 'j')};`,
    '  }',
    '}',
    '#pragma unroll',
    `for (int j = 0; j < ${N}; j++) sh[ks][ix * ${N} + j] = acc[j];`,
    '__syncthreads();',
    `if (threadIdx.x < ${CI * N} && i0 + threadIdx.x / ${N} < (${IT})${M}) {`,
    `  const ${IT} i = i0 + threadIdx.x / ${N};`,
    `  const int j = threadIdx.x % ${N};`,
    `  ${T} v = sh[0][threadIdx.x];`,
    `  for (int s = 1; s < ${SLICES}; s++) v += sh[s][threadIdx.x];`,
    ...storeLines(k, p, 'v', [...bd, 'i', 'j']).map((l) => `  ${l}`),
    '}',
    '__syncthreads();',
  ];
  return tiledKernel(name, p, IT, tiles, [`__shared__ ${T} sh[${SLICES}][${CI * N}];`, `const int ix = threadIdx.x % ${CI}, ks = threadIdx.x / ${CI};`], body, what);
}
