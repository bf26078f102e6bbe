import type { MatmulKernel, View } from '@symgrad/core';
import { floatLiteral as num } from './expr.js';
import { batchStrides, matmulEpilogue, matmulOperandStrides, type DTypeOf } from './kernels.js';
import { threadBuilder, type KernelLaunch, type KernelSourceBuilder } from './source.js';

/**
 * Texture mode's matmul: a GPU fetches one texel per read, so the plain kernel's two fetches
 * per multiply-add bound its speed. Here two stage-0 launches first pack op(A)'s rows and
 * op(B)'s columns four k-steps to a texel (scratch buffers of vec4s, gpu.js's `Array(4)`
 * return type, zero past k), and the stage-1 launch reads one texel of each per four
 * multiply-adds: a quarter of the fetches, for (m + n)·k packing reads. Its four lanes sum
 * k ≡ 0, 1, 2, 3 (mod 4) as the plain kernel's four accumulators do, and the zeros past k add
 * nothing, so both give the same bits. Measured on Chromium's WebGL2 (SwiftShader), one
 * 128×1000·1000×256 product: 146 ms plain, 50 ms packed, packing included (3 ms).
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

/** The k loop over packed texels: four lanes, summed pairwise as the plain kernel's accumulators. */
function packedDot(b: KernelSourceBuilder, pa: number, ap: string, pb: number, bp: string, k4: number): string {
  const a = b.let('ap', ap);
  const c = b.let('bp', bp);
  const acc = [0, 1, 2, 3].map(() => b.let('s', '0.0'));
  const n = b.fresh('n');
  const x = b.fresh('x');
  const y = b.fresh('y');
  b.lines.push(
    `for (let ${n} = 0; ${n} < ${k4}; ${n}++) {`,
    `  let ${x} = ${b.readAt(pa, a)};`,
    `  let ${y} = ${b.readAt(pb, c)};`,
    ...acc.map((lane, j) => `  ${lane} = ${lane} + ${x}[${j}] * ${y}[${j}];`),
    `  ${a} = ${a} + 1.0;`,
    `  ${c} = ${c} + 1.0;`,
    '}',
  );
  return b.let('s', `(${acc[0]} + ${acc[1]}) + (${acc[2]} + ${acc[3]})`);
}

/**
 * The three launches of a packed matmul: op(A) and op(B) packed into scratch buffers
 * `scratch()` (stage 0), then alpha·op(A)·op(B) + beta·out and the epilogue per output
 * element (stage 1), as `matmulLaunch` computes it.
 *
 * @example
 * ```ts
 * const [packA, packB, product] = packedMatmulLaunches(k, () => 'float32', () => next++);
 * packA.source; // 'function (b0) { … return [b0[p2], …]; }'
 * ```
 */
export function packedMatmulLaunches(k: MatmulKernel, dtypeOf: DTypeOf, scratch: () => number): KernelLaunch[] {
  const k4 = Math.ceil(k.k / 4);
  const { aM, aK, bK, bN } = matmulOperandStrides(k);
  const aPacked = scratchView(scratch(), [...k.batch, k.m, k4]);
  const bPacked = scratchView(scratch(), [...k.batch, k.n, k4]);
  const packA = packLaunch(k, k.a, aM, aK, k.m, aPacked, `${k.label} [pack A]`);
  const packB = packLaunch(k, k.b, bN, bK, k.n, bPacked, `${k.label} [pack B]`);
  const { b, flat } = threadBuilder();
  const idx = b.decompose(flat, [...k.batch, k.m, k.n]);
  const [mi, ni] = idx.slice(k.batch.length) as [string, string];
  // The flat batch index: both packed operands hold every batch, row-major.
  const batch = k.batch.length ? idx.slice(0, k.batch.length).reduce((acc, d, i) => (i === 0 ? d : `(${acc}) * ${num(k.batch[i]!)} + ${d}`), '') : '0.0';
  const s = packedDot(b, aPacked.buffer, `(${batch} * ${num(k.m)} + ${mi}) * ${num(k4)}`, bPacked.buffer, `(${batch} * ${num(k.n)} + ${ni}) * ${num(k4)}`, k4);
  const v = matmulEpilogue(b, k, idx, s);
  return [packA, packB, { ...b.finish(k.label, v, k.out, dtypeOf(k.out.buffer)), stage: 1 }];
}
