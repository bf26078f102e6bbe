import type { SoftmaxKernel, View } from '@symgrad/core';
import { floatLiteral as num } from './expr.js';
import type { DTypeOf } from './kernels.js';
import { threadBuilder, type KernelLaunch } from './source.js';

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
 * (`2 · rows` elements; stage 0), then every output element (stage 1). The element launch
 * writes each element from the input and the statistics alone, so an output view identical
 * to the input view is safe: both runtimes store a launch's results only after it ran.
 *
 * @example
 * ```ts
 * const [stats, out] = softmaxLaunches(k, () => 'float32', 9);
 * stats.output.buffer; // 9, a scratch buffer of stats.size elements
 * ```
 */
export function softmaxLaunches(k: SoftmaxKernel, dtypeOf: DTypeOf, scratch: number): KernelLaunch[] {
  const [rows, cols] = k.input.shape;
  const same = k.output.shape.length === 2 && k.output.shape[0] === rows && k.output.shape[1] === cols;
  if (k.input.shape.length !== 2 || rows === undefined || cols === undefined || !same) {
    throw new Error(`gpujs codegen: softmax kernel '${k.label}': input and output must be [rows, cols] views of one shape (got [${k.input.shape.join(', ')}] → [${k.output.shape.join(', ')}])`);
  }
  // stats[slot, r] lives at slot · rows + r.
  const stats: View = { buffer: scratch, offset: 0, shape: [2, rows], strides: [rows, 1] };
  return [{ ...statsLaunch(k, stats), stage: 0, scratch: true }, { ...elementLaunch(k, stats, dtypeOf), stage: 1 }];
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
  const m = b.let('m', NEG_INF);
  const s = b.let('s', '0.0');
  const pass = (body: (x: string) => string[]): string[] => {
    const start = b.lines.length;
    b.loop(cols, (c) => {
      const x = b.let('x', b.read(k.input, [row, c]));
      b.lines.push(...body(x));
    });
    return b.lines.splice(start).map((l) => `  ${l}`);
  };
  const sum = pass((x) => [
    `if (${x} > ${m}) {`,
    `  ${s} = ${s} * Math.exp(${m} - ${x}) + 1.0;`,
    `  ${m} = ${x};`,
    // A −∞ adds nothing, even while the max is still −∞ (where exp(x − max) would be NaN).
    `} else if (${x} > ${NEG_INF}) {`,
    `  ${s} = ${s} + Math.exp(${x} - ${m});`,
    `} else if (${x} != ${x}) {`,
    `  ${m} = ${x};`,
    '}',
  ]);
  const max = pass((x) => [`if (${x} > ${m} || ${x} != ${x}) {`, `  ${m} = ${x};`, '}']);
  b.lines.push(`if (${slot} > 0.5) {`, ...sum, '} else {', ...max, '}');
  // Compared with the infinities (not |m| ≤ FLT_MAX), so a shader that rounds the infinity
  // literals to ±FLT_MAX still flags the same rows: an all −∞ row keeps the initial literal.
  const bad = b.let('q', `(${m} != ${m} || ${m} >= ${INF} || ${m} <= ${NEG_INF} ? 1.0 : 0.0)`);
  return b.finish(`${k.label} [row max, sum]`, `(${slot} > 0.5 ? (${bad} > 0.5 ? -1.0 : ${s}) : ${m})`, stats, 'float32');
}

/** One output element per thread, from its input element and its row's statistics. */
function elementLaunch(k: SoftmaxKernel, stats: View, dtypeOf: DTypeOf): KernelLaunch {
  const { b, flat } = threadBuilder();
  const idx = b.decompose(flat, k.input.shape);
  const x = b.let('x', b.read(k.input, idx));
  const m = b.let('m', b.read(stats, ['0.0', idx[0]!]));
  const s = b.let('s', b.read(stats, ['1.0', idx[0]!]));
  const value = k.log ? `${x} - ${m} - Math.log(${s})` : `Math.exp(${x} - ${m}) / ${s}`;
  return b.finish(`${k.label} [${k.log ? 'log-softmax' : 'softmax'}]`, `(${s} > 0.5 ? ${value} : ${num(NaN)})`, k.output, dtypeOf(k.output.buffer));
}
