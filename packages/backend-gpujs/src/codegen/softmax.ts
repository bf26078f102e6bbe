import type { SoftmaxKernel, View } from '@symgrad/core';
import { floatLiteral as num } from './expr.js';
import type { DTypeOf } from './kernels.js';
import { threadBuilder, type KernelLaunch, type KernelSourceBuilder } from './source.js';

/**
 * Core's optional `softmax` kind: row softmax or log-softmax over the last axis of a
 * [rows, cols] view. gpu.js kernels return one value per thread and share no memory, so a
 * row's statistics cannot be shared between the threads of its elements: a first launch
 * writes them to a scratch buffer of this backend's, which a second launch reads per
 * element.
 *
 * Scratch layout, [2, rows]: slot 0 each row's max (NaN when any element is NaN), slot 1
 * Σ exp(x − max), or −1 when the max is ±∞ or NaN. Such a row is NaN throughout, as in core's
 * reference (∞ − ∞ in its sum); the sign says so without relying on a shader carrying NaN
 * through exp, which SwiftShader's does not. A valid sum is at least 1 (the max's own term).
 */

const INF = num(Infinity);
const NEG_INF = num(-Infinity);

/**
 * The two launches of a softmax kernel: row statistics into scratch buffer `scratch`
 * (stage 0), then every output element (stage 1). The element launch writes each element
 * from the input and the statistics alone, so an output view identical to the input view is
 * safe: both runtimes store a launch's results only after it ran.
 *
 * The host modes keep the statistics as `2 · rows` values (two threads a row). Texture mode
 * (`packed`) keeps them as one vec4 texel a row, `[max, sum, 0, 0]` (gpu.js's `Array(4)`),
 * from one thread that reads its row once, and the element launch fetches a texel instead
 * of two: three reads an element where there were five (the same values, the same bits).
 *
 * @example
 * ```ts
 * const [stats, out] = softmaxLaunches(k, () => 'float32', 9);
 * stats.output.buffer; // 9, a scratch buffer of stats.size elements
 * ```
 */
export function softmaxLaunches(k: SoftmaxKernel, dtypeOf: DTypeOf, scratch: number, packed = false): KernelLaunch[] {
  const [rows, cols] = k.input.shape;
  const same = k.output.shape.length === 2 && k.output.shape[0] === rows && k.output.shape[1] === cols;
  if (k.input.shape.length !== 2 || rows === undefined || cols === undefined || !same) {
    throw new Error(`gpujs codegen: softmax kernel '${k.label}': input and output must be [rows, cols] views of one shape (got [${k.input.shape.join(', ')}] → [${k.output.shape.join(', ')}])`);
  }
  if (packed) {
    const stats: View = { buffer: scratch, offset: 0, shape: [rows], strides: [1] };
    return [{ ...packedStatsLaunch(k, stats), stage: 0, scratch: true }, { ...elementLaunch(k, stats, dtypeOf, true), stage: 1 }];
  }
  // stats[slot, r] lives at slot · rows + r.
  const stats: View = { buffer: scratch, offset: 0, shape: [2, rows], strides: [rows, 1] };
  return [{ ...statsLaunch(k, stats), stage: 0, scratch: true }, { ...elementLaunch(k, stats, dtypeOf, false), stage: 1 }];
}

/**
 * A row's online pass (the running sum rescaled whenever the max grows): its loop's
 * statements, and the max and sum variables (declared at once). The max it ends with is the plain max pass's (NaN when any value
 * is): both update on a larger value or a NaN alone.
 */
function onlineRowPass(b: KernelSourceBuilder, k: SoftmaxKernel, row: string): { lines: string[]; m: string; s: string } {
  // Declared before the pass's lines, so that they live on past a branch holding the pass.
  const m = b.let('m', NEG_INF);
  const s = b.let('s', '0.0');
  const start = b.lines.length;
  b.loop(k.input.shape[1]!, (c) => {
    const x = b.let('x', b.read(k.input, [row, c]));
    b.lines.push(
      `if (${x} > ${m}) {`,
      `  ${s} = ${s} * Math.exp(${m} - ${x}) + 1.0;`,
      `  ${m} = ${x};`,
      // A −∞ adds nothing, even while the max is still −∞ (where exp(x − max) would be NaN).
      `} else if (${x} > ${NEG_INF}) {`,
      `  ${s} = ${s} + Math.exp(${x} - ${m});`,
      `} else if (${x} != ${x}) {`,
      `  ${m} = ${x};`,
      '}',
    );
  });
  return { lines: b.lines.splice(start), m, s };
}

/**
 * Whether a row's max makes it NaN throughout. Compared with the infinities (not |m| ≤
 * FLT_MAX), so a shader that rounds the infinity literals to ±FLT_MAX still flags the same
 * rows: an all −∞ row keeps the initial literal.
 */
const badRow = (m: string): string => `(${m} != ${m} || ${m} >= ${INF} || ${m} <= ${NEG_INF} ? 1.0 : 0.0)`;

/** Thread r of [rows]: row r's `[max, sum or −1 for a bad row, 0, 0]`, from one online pass. */
function packedStatsLaunch(k: SoftmaxKernel, stats: View): KernelLaunch {
  const { b, flat } = threadBuilder();
  const pass = onlineRowPass(b, k, flat);
  b.lines.push(...pass.lines);
  const bad = b.let('q', badRow(pass.m));
  return b.finish(`${k.label} [row max, sum]`, `[${pass.m}, (${bad} > 0.5 ? -1.0 : ${pass.s}), 0.0, 0.0]`, stats, 'float32');
}

/**
 * Thread (slot, r) of a [2, rows] grid: row r's max (slot 0), or its sum, −1 for a bad row
 * (slot 1). Each slot reads the row once, side by side: slot 1 finds the max too, summing
 * online (the running sum is rescaled whenever the max grows), so it need not wait for slot
 * 0 and the row is read twice in all, as by the two reductions this kernel replaces.
 * Slot-major, so neighbouring threads (a GPU's SIMD group) take the same branch.
 */
function statsLaunch(k: SoftmaxKernel, stats: View): KernelLaunch {
  const cols = k.input.shape[1]!;
  const { b, flat } = threadBuilder();
  const [slot, row] = b.decompose(flat, stats.shape) as [string, string];
  const sum = onlineRowPass(b, k, row);
  const m = b.let('m', NEG_INF);
  const start = b.lines.length;
  b.loop(cols, (c) => {
    const x = b.let('x', b.read(k.input, [row, c]));
    b.lines.push(`if (${x} > ${m} || ${x} != ${x}) {`, `  ${m} = ${x};`, '}');
  });
  const max = b.lines.splice(start);
  b.lines.push(`if (${slot} > 0.5) {`, ...sum.lines.map((l) => `  ${l}`), '} else {', ...max.map((l) => `  ${l}`), '}');
  const bad = b.let('q', badRow(sum.m));
  return b.finish(`${k.label} [row max, sum]`, `(${slot} > 0.5 ? (${bad} > 0.5 ? -1.0 : ${sum.s}) : ${m})`, stats, 'float32');
}

/** One output element per thread, from its input element and its row's statistics (a texel of them when `packed`). */
function elementLaunch(k: SoftmaxKernel, stats: View, dtypeOf: DTypeOf, packed: boolean): KernelLaunch {
  const { b, flat } = threadBuilder();
  const idx = b.decompose(flat, k.input.shape);
  const x = b.let('x', b.read(k.input, idx));
  const st = packed ? b.let('st', b.read(stats, [idx[0]!])) : '';
  const m = b.let('m', packed ? `${st}[0]` : b.read(stats, ['0.0', idx[0]!]));
  const s = b.let('s', packed ? `${st}[1]` : b.read(stats, ['1.0', idx[0]!]));
  const value = k.log ? `${x} - ${m} - Math.log(${s})` : `Math.exp(${x} - ${m}) / ${s}`;
  return b.finish(`${k.label} [${k.log ? 'log-softmax' : 'softmax'}]`, `(${s} > 0.5 ? ${value} : ${num(NaN)})`, k.output, dtypeOf(k.output.buffer));
}
