import type { SoftmaxCrossEntropyKernel, View } from '@symgrad/core';
import { floatLiteral as num } from './expr.js';
import type { DTypeOf } from './kernels.js';
import { threadBuilder, type KernelLaunch, type KernelSourceBuilder } from './source.js';

/**
 * softmaxCrossEntropy: the loss per row, and with a gradient, softmax − one-hot per element.
 * An element's gradient needs its row's max and Σ exp(z − max); a thread per element that
 * computed them itself would read its row twice, O(rows · classes²) reads in all (a language
 * model's head over thousands of classes). So with a gradient a first launch (stage 0)
 * writes each row's statistics to a scratch buffer of this backend's, and the loss and the
 * gradient read them (stage 1): O(rows · classes). The statistics are computed as before,
 * the max first and then the sum, so the results keep their bits. Texture mode (`packed`)
 * keeps them a vec4 texel a row, `[max, sum, 0, 0]`, from one thread; the host modes as
 * `2 · rows` values from two threads a row. Without a gradient the loss computes its row's
 * statistics itself, in one launch.
 */

/** Row `row`'s max, then Σ exp(z − max): the variables holding them. */
function rowStats(b: KernelSourceBuilder, k: SoftmaxCrossEntropyKernel, row: string): { m: string; s: string } {
  const classes = k.logits.shape[1]!;
  const m = b.let('m', num(-Infinity));
  b.loop(classes, (c) => {
    const z = b.let('z', b.read(k.logits, [row, c]));
    b.lines.push(`if (${z} > ${m}) {`, `  ${m} = ${z};`, '}');
  });
  const s = b.let('s', '0.0');
  b.loop(classes, (c) => b.lines.push(`${s} = ${s} + Math.exp(${b.read(k.logits, [row, c])} - ${m});`));
  return { m, s };
}

/** Row `row`'s label and the label clamped into [0, classes) (for a read that stays in range). */
function label(b: KernelSourceBuilder, k: SoftmaxCrossEntropyKernel, row: string): { y: string; yc: string } {
  const classes = k.logits.shape[1]!;
  const y = b.let('y', b.read(k.labels, [row]));
  const yc = b.let('y', `Math.min(Math.max(${y}, 0.0), ${num(Math.max(0, classes - 1))})`);
  return { y, yc };
}

/** Where a row's statistics come from: computed in the thread, or read from the stage-0 scratch buffer. */
type StatsSource = { kind: 'inline' } | { kind: 'slots'; view: View } | { kind: 'texel'; view: View };

function statsOf(b: KernelSourceBuilder, k: SoftmaxCrossEntropyKernel, row: string, from: StatsSource): { m: string; s: string } {
  if (from.kind === 'inline') return rowStats(b, k, row);
  if (from.kind === 'slots') return { m: b.let('m', b.read(from.view, ['0.0', row])), s: b.let('s', b.read(from.view, ['1.0', row])) };
  const st = b.let('st', b.read(from.view, [row]));
  return { m: b.let('m', `${st}[0]`), s: b.let('s', `${st}[1]`) };
}

/**
 * The launches of a softmaxCrossEntropy kernel: with a gradient, the row statistics into
 * scratch buffer `scratch()` (stage 0), then the loss and the gradient (stage 1); without,
 * the loss alone.
 *
 * @example
 * ```ts
 * const [stats, loss, grad] = softmaxCrossEntropyLaunches(k, () => 'float32', () => 9);
 * stats.output.buffer; // 9, a scratch buffer
 * ```
 */
export function softmaxCrossEntropyLaunches(k: SoftmaxCrossEntropyKernel, dtypeOf: DTypeOf, scratch: () => number, packed = false): KernelLaunch[] {
  const [rows, classes] = k.logits.shape as [number, number];
  const out: KernelLaunch[] = [];
  let from: StatsSource = { kind: 'inline' };
  if (k.grad) {
    const id = scratch();
    const { b, flat } = threadBuilder();
    if (packed) {
      const view: View = { buffer: id, offset: 0, shape: [rows], strides: [1] };
      const { m, s } = rowStats(b, k, flat);
      out.push({ ...b.finish(`${k.label} [row max, sum]`, `[${m}, ${s}, 0.0, 0.0]`, view, 'float32'), stage: 0, scratch: true });
      from = { kind: 'texel', view };
    } else {
      // stats[slot, r] at slot · rows + r: slot 0 the max, slot 1 the sum (which needs the max too).
      const view: View = { buffer: id, offset: 0, shape: [2, rows], strides: [rows, 1] };
      const [slot, row] = b.decompose(flat, view.shape) as [string, string];
      const { m, s } = rowStats(b, k, row);
      out.push({ ...b.finish(`${k.label} [row max, sum]`, `(${slot} > 0.5 ? ${s} : ${m})`, view, 'float32'), stage: 0, scratch: true });
      from = { kind: 'slots', view };
    }
  }
  const stage = k.grad ? { stage: 1 } : {};
  {
    const { b, flat } = threadBuilder();
    const { m, s } = statsOf(b, k, flat, from);
    const { y, yc } = label(b, k, flat);
    const zy = b.let('z', b.read(k.logits, [flat, yc]));
    out.push({ ...b.finish(`${k.label} [loss]`, `(${y} >= 0.0 && ${y} < ${num(classes)} ? ${m} + Math.log(${s}) - ${zy} : ${num(NaN)})`, k.loss, dtypeOf(k.loss.buffer)), ...stage });
  }
  if (k.grad) {
    const { b, flat } = threadBuilder();
    const [row, col] = b.decompose(flat, k.grad.output.shape) as [string, string];
    const { m, s } = statsOf(b, k, row, from);
    const { y } = label(b, k, row);
    const p = b.let('g', `Math.exp(${b.read(k.logits, [row, col])} - ${m}) / ${s}`);
    const g = `(${p} - (${col} == ${y} ? 1.0 : 0.0)) * ${b.read(k.grad.scale, [row])}`;
    out.push({ ...b.finish(`${k.label} [grad]`, g, k.grad.output, dtypeOf(k.grad.output.buffer)), ...stage });
  }
  return out;
}
