import type { MatmulKernel, View } from '@symgrad/core';
import { floatLiteral as num } from './expr.js';
import { batchStrides, matmulEpilogue, matmulOperandStrides, type DTypeOf } from './kernels.js';
import { threadBuilder, type KernelLaunch } from './source.js';

/**
 * Texture mode's matmul: a GPU fetches one texel per read, so the plain kernel's two fetches
 * per multiply-add bound its speed. Here stage-0 launches first pack op(A)'s rows and op(B)'s
 * columns four k-steps to a texel (scratch buffers of vec4s, gpu.js's `Array(4)` return
 * type, zero past k); a stage-1 launch computes 2×2 blocks of the product, four texel fetches
 * per sixteen multiply-adds, into a vec4 per block; a stage-2 launch unpacks each element and
 * applies alpha, beta and the epilogue. An element's four lanes sum k ≡ 0, 1, 2, 3 (mod 4) as
 * the plain kernel's four accumulators do, and the zeros past k add nothing, so the sums are
 * the plain kernel's, bit for bit (a float32 sum stored in a float32 texture is unchanged).
 * Measured on Chromium's WebGL2 (SwiftShader), one 128×1000·1000×256 product: 146 ms plain,
 * 47 ms packed with an element per thread, 28 ms with 2×2 blocks, packing (3 ms) and
 * unpacking included. (A gpu.js kernel returns at most a vec4 per thread, so
 * blocks of 2×2 are the largest without several output textures.)
 *
 * gpu.js's host modes (Node: webasm, cpu) have no textures and keep the plain kernel.
 */

/** Whether packing pays: a reduction of a few texels at least, and more than a vector on each side. */
export function packsMatmul(k: MatmulKernel): boolean {
  return k.k >= 8 && k.m >= 2 && k.n >= 2;
}

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** A row-major view of `shape` over the whole of scratch buffer `buffer`. */
function scratchView(buffer: number, shape: readonly number[]): View {
  return { buffer, offset: 0, shape: [...shape], strides: shape.map((_, d) => product(shape.slice(d + 1))) };
}

/**
 * Thread (batch…, r, kk) of a [...batch, rows, k/4] grid: the vec4 of operand `v` at row r
 * (a row of op(A), or a column of op(B)) and k-steps 4kk … 4kk + 3, zero past k.
 */
function packLaunch(k: MatmulKernel, v: View, rowStride: number, kStride: number, rows: number, out: View, label: string): KernelLaunch {
  const { b, flat } = threadBuilder();
  const k4 = Math.ceil(k.k / 4);
  const idx = b.decompose(flat, [...k.batch, rows, k4]);
  const bi = idx.slice(0, k.batch.length);
  const [r, kk] = idx.slice(k.batch.length) as [string, string];
  const strides = batchStrides(v, k.batch.length);
  const terms = [num(v.offset), ...strides.flatMap((s, d) => (s !== 0 && k.batch[d] !== 1 ? [`${bi[d]} * ${num(s)}`] : [])), `${r} * ${num(rowStride)}`, `${kk} * ${num(4 * kStride)}`];
  const p = b.let('p', terms.join(' + '));
  const lanes = [0, 1, 2, 3].map((c) => {
    const read = b.readAt(v.buffer, c ? `${p} + ${num(c * kStride)}` : p);
    // Only the last texel can hold steps past k: they read as zero (and are never fetched).
    return k.k % 4 === 0 ? read : `(${kk} * 4.0 + ${num(c)} < ${num(k.k)} ? ${read} : 0.0)`;
  });
  return { ...b.finish(label, `[${lanes.join(', ')}]`, out, 'float32'), stage: 0, scratch: true };
}

/**
 * Thread (batch…, bi, bj) of a [...batch, ⌈m/2⌉, ⌈n/2⌉] grid: the 2×2 block of op(A)·op(B)
 * at rows 2bi, 2bi + 1 and columns 2bj, 2bj + 1, as a vec4 (row-major). Four texel fetches
 * per four k-steps feed sixteen multiply-adds. Each element keeps four lanes, summed pairwise
 * as the plain kernel's accumulators; a block past an odd m or n repeats the last row or
 * column, and the unpacking launch never reads that lane.
 */
function blockLaunch(k: MatmulKernel, pa: View, pb: View, out: View, label: string): KernelLaunch {
  const k4 = Math.ceil(k.k / 4);
  const { b, flat } = threadBuilder();
  const idx = b.decompose(flat, out.shape);
  const [bi, bj] = idx.slice(k.batch.length) as [string, string];
  const batch = flatBatch(k, idx);
  const row = (r: string, last: number): string => (last === 0 ? '0.0' : `Math.min(${r}, ${num(last)})`);
  const a0 = b.let('ap', `(${batch} * ${num(k.m)} + ${bi} * 2.0) * ${num(k4)}`);
  const a1 = b.let('ap', `(${batch} * ${num(k.m)} + ${row(`${bi} * 2.0 + 1.0`, k.m - 1)}) * ${num(k4)}`);
  const b0 = b.let('bp', `(${batch} * ${num(k.n)} + ${bj} * 2.0) * ${num(k4)}`);
  const b1 = b.let('bp', `(${batch} * ${num(k.n)} + ${row(`${bj} * 2.0 + 1.0`, k.n - 1)}) * ${num(k4)}`);
  // acc[e][c]: element e of the block (00, 01, 10, 11), lane c (k ≡ c mod 4).
  const acc = [0, 1, 2, 3].map(() => [0, 1, 2, 3].map(() => b.let('s', '0.0')));
  // Two texel steps per iteration (SwiftShader: 25.7 -> 22.6 ms on the product above), and
  // a last step after the loop when the texel count is odd.
  const step = (u: number): string[] => {
    const [x0, x1, y0, y1] = ['x', 'x', 'y', 'y'].map((p) => b.fresh(p)) as [string, string, string, string];
    const at = (p: string): string => (u ? `${p} + ${num(u)}` : p);
    const pairs: [string, string][] = [[x0, y0], [x0, y1], [x1, y0], [x1, y1]];
    return [
      `let ${x0} = ${b.readAt(pa.buffer, at(a0))};`,
      `let ${x1} = ${b.readAt(pa.buffer, at(a1))};`,
      `let ${y0} = ${b.readAt(pb.buffer, at(b0))};`,
      `let ${y1} = ${b.readAt(pb.buffer, at(b1))};`,
      ...acc.flatMap((lanes, e) => lanes.map((lane, c) => `${lane} = ${lane} + ${pairs[e]![0]}[${c}] * ${pairs[e]![1]}[${c}];`)),
    ];
  };
  if (k4 >= 2) {
    const n = b.fresh('n');
    b.lines.push(
      `for (let ${n} = 0; ${n} < ${Math.floor(k4 / 2)}; ${n}++) {`,
      ...[...step(0), ...step(1)].map((l) => `  ${l}`),
      ...[a0, a1, b0, b1].map((p) => `  ${p} = ${p} + 2.0;`),
      '}',
    );
  }
  if (k4 % 2) b.lines.push(...step(0));
  const sums = acc.map((l) => b.let('s', `(${l[0]} + ${l[1]}) + (${l[2]} + ${l[3]})`));
  return { ...b.finish(label, `[${sums.join(', ')}]`, out, 'float32'), stage: 1, scratch: true };
}

/** The flat batch index of a thread's multi-index (the packed operands hold every batch, row-major). */
function flatBatch(k: MatmulKernel, idx: readonly string[]): string {
  return k.batch.length ? idx.slice(0, k.batch.length).reduce((acc, d, i) => (i === 0 ? d : `(${acc}) * ${num(k.batch[i]!)} + ${d}`), '') : '0.0';
}

/**
 * The three stages of a packed matmul: op(A) and op(B) packed into scratch buffers
 * `scratch()` (stage 0), the 2×2 blocks of the product into a third (stage 1), then per
 * output element its block's lane, alpha·s + beta·out and the epilogue (stage 2), as
 * `matmulLaunch` computes them.
 *
 * @example
 * ```ts
 * const [packA, packB, blocks, product] = packedMatmulLaunches(k, () => 'float32', () => next++);
 * packA.source; // 'function (b0) { … return [b0[p6], …]; }'
 * ```
 */
export function packedMatmulLaunches(k: MatmulKernel, dtypeOf: DTypeOf, scratch: () => number): KernelLaunch[] {
  const k4 = Math.ceil(k.k / 4);
  const [mb, nb] = [Math.ceil(k.m / 2), Math.ceil(k.n / 2)];
  const { aM, aK, bK, bN } = matmulOperandStrides(k);
  const aPacked = scratchView(scratch(), [...k.batch, k.m, k4]);
  const bPacked = scratchView(scratch(), [...k.batch, k.n, k4]);
  const blocks = scratchView(scratch(), [...k.batch, mb, nb]);
  const packA = packLaunch(k, k.a, aM, aK, k.m, aPacked, `${k.label} [pack A]`);
  const packB = packLaunch(k, k.b, bN, bK, k.n, bPacked, `${k.label} [pack B]`);
  const block = blockLaunch(k, aPacked, bPacked, blocks, `${k.label} [2×2 blocks]`);
  const { b, flat } = threadBuilder();
  const idx = b.decompose(flat, [...k.batch, k.m, k.n]);
  const [mi, ni] = idx.slice(k.batch.length) as [string, string];
  const bi = b.let('i', `Math.floor((${mi} + 0.5) / 2.0)`);
  const bj = b.let('i', `Math.floor((${ni} + 0.5) / 2.0)`);
  const x = b.let('x', b.readAt(blocks.buffer, `(${flatBatch(k, idx)} * ${num(mb)} + ${bi}) * ${num(nb)} + ${bj}`));
  const low = (i: string, q: string): string => `${i} - ${q} * 2.0 < 0.5`;
  const s = b.let('s', `(${low(mi, bi)} ? (${low(ni, bj)} ? ${x}[0] : ${x}[1]) : (${low(ni, bj)} ? ${x}[2] : ${x}[3]))`);
  const v = matmulEpilogue(b, k, idx, s);
  return [packA, packB, block, { ...b.finish(k.label, v, k.out, dtypeOf(k.out.buffer)), stage: 2 }];
}
