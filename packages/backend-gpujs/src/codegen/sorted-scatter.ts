import type { ScatterAddKernel, View } from '@symgrad/core';
import { floatLiteral as num } from './expr.js';
import { checkGeometry, resolvedIndex } from './indexing.js';
import type { DTypeOf } from './kernels.js';
import { threadBuilder, type KernelLaunch } from './source.js';

/**
 * Texture mode's scatterAdd over many indices. WebGL has no scattered writes, so the plain
 * launch (indexing.ts) has every output element test every index: O(outer · size · inner · n)
 * reads, minutes for an embedding table's gradient on a software renderer. Here the indices
 * are sorted first, by counting instead of by passes (a sorting network would need a launch,
 * and a compiled shader, per pass):
 *
 * - stage 0: the resolved indices packed four to a texel, an index out of range as `size`;
 * - stage 1: each index's rank among them, by (index, position): n²/16 texel reads in all;
 * - stage 2: the sorted list, `[index, position, 0, 0]` per rank: each rank finds its entry
 *   among the packed ranks;
 * - stage 3: each output element finds its row's run in the sorted list by binary search and
 *   adds the updates of that run to its old value.
 *
 * A run is in position order, so the sums are the plain launch's, in the same order: the same
 * bits, run after run. Cost O(n² / 16 + outer · size · inner · (log n + run length)).
 * Measured on Chromium's WebGL2 (SwiftShader): an embedding step over a 5000×64 table and
 * 1,024 ids (take, sum, the scatterAdd update, the loss read) 2,360 ms plain, 32 ms sorted.
 */

/** Whether sorting pays: many indices, and a table with more elements than there are indices. */
export function sortsScatter(k: ScatterAddKernel): boolean {
  const n = k.indices.shape[0] ?? 0;
  return n >= 64 && k.output.shape.reduce((a, b) => a * b, 1) >= n;
}

const scratchView = (buffer: number, size: number): View => ({ buffer, offset: 0, shape: [size], strides: [1] });

/**
 * The four launches of a sorted scatterAdd, their scratch buffers from `scratch()`.
 *
 * @example
 * ```ts
 * const [keys, ranks, sorted, out] = sortedScatterAddLaunches(k, () => 'float32', () => next++);
 * out.params; // [output, updates, sorted]
 * ```
 */
export function sortedScatterAddLaunches(k: ScatterAddKernel, dtypeOf: DTypeOf, scratch: () => number): KernelLaunch[] {
  checkGeometry('scatterAdd', k.label, k.output, k.indices, k.updates);
  const size = k.output.shape[1]!;
  const n = k.indices.shape[0]!;
  const n4 = Math.ceil(n / 4);
  const keys = scratchView(scratch(), n4);
  const ranks = scratchView(scratch(), n4);
  const sorted = scratchView(scratch(), n);
  const lanes = [0, 1, 2, 3];

  // Stage 0: keys[q] = the resolved indices 4q … 4q + 3; out of range → size, past n → size + 1
  // (after every real one, so those lanes rank n and above and are never looked up).
  const stage0 = (() => {
    const { b, flat } = threadBuilder();
    const key = lanes.map((c) => {
      const j = b.let('j', `${flat} * 4.0 + ${num(c)}`);
      const lines = b.lines.length;
      const y = resolvedIndex(b, k.indices, j, size);
      const body = b.lines.splice(lines);
      const v = b.let('k', num(size + 1));
      b.lines.push(`if (${j} < ${num(n)}) {`, ...body.map((l) => `  ${l}`), `  ${v} = (${y} >= 0.0 && ${y} < ${num(size)} ? ${y} : ${num(size)});`, '}');
      return v;
    });
    return { ...b.finish(`${k.label} [keys]`, `[${key.join(', ')}]`, keys, 'float32'), stage: 0, scratch: true };
  })();

  // Stage 1: ranks[q] lane c = #{i : (key_i, i) < (key_j, j)} for j = 4q + c.
  const stage1 = (() => {
    const { b, flat } = threadBuilder();
    const mine = b.let('km', b.readAt(keys.buffer, flat));
    const r = lanes.map(() => b.let('r', '0.0'));
    b.loop(n4, (t) => {
      const other = b.let('ko', b.readAt(keys.buffer, t));
      for (const c of lanes) {
        for (const d of lanes) {
          // Position i = 4t + d against j = 4·flat + c: i < j ⇔ t < flat, or t = flat and d < c.
          const before = d < c ? `${t} <= ${flat}` : `${t} < ${flat}`;
          b.lines.push(`if (${other}[${d}] < ${mine}[${c}] || (${other}[${d}] == ${mine}[${c}] && ${before})) {`, `  ${r[c]} = ${r[c]} + 1.0;`, '}');
        }
      }
    });
    return { ...b.finish(`${k.label} [ranks]`, `[${r.join(', ')}]`, ranks, 'float32'), stage: 1, scratch: true };
  })();

  // Stage 2: sorted[p] = [key, position] of the index of rank p.
  const stage2 = (() => {
    const { b, flat } = threadBuilder();
    const key = b.let('k', '0.0');
    const pos = b.let('j', '0.0');
    b.loop(n4, (t) => {
      const rt = b.let('rt', b.readAt(ranks.buffer, t));
      for (const d of lanes) {
        const kt = b.fresh('kt');
        // The key is fetched only by the lane that matches: one texel read more per rank.
        b.lines.push(`if (${rt}[${d}] == ${flat}) {`, `  let ${kt} = ${b.readAt(keys.buffer, t)};`, `  ${key} = ${kt}[${d}];`, `  ${pos} = ${t} * 4.0 + ${num(d)};`, '}');
      }
    });
    return { ...b.finish(`${k.label} [sorted]`, `[${key}, ${pos}, 0.0, 0.0]`, sorted, 'float32'), stage: 2, scratch: true };
  })();

  // Stage 3: output[o, v, i] += the updates of row v's run, found by binary search.
  const stage3 = (() => {
    const { b, flat } = threadBuilder();
    const idx = b.decompose(flat, k.output.shape);
    const [o, row, i] = idx as [string, string, string];
    const acc = b.let('a', b.read(k.output, idx));
    // lo = #{p : sorted[p].key < row}, by halving steps from the largest power of two ≤ n.
    const lo = b.let('lo', '0.0');
    for (let step = 2 ** Math.floor(Math.log2(n)); step >= 1; step /= 2) {
      const e = b.fresh('e');
      b.lines.push(`if (${lo} + ${num(step)} <= ${num(n)}) {`, `  let ${e} = ${b.readAt(sorted.buffer, `${lo} + ${num(step - 1)}`)};`, `  if (${e}[0] < ${row}) {`, `    ${lo} = ${lo} + ${num(step)};`, '  }', '}');
    }
    const q = b.fresh('q');
    const p = b.let('p', lo);
    const e = b.fresh('e');
    const j = b.fresh('j');
    b.lines.push(
      `for (let ${q} = 0; ${q} < ${n}; ${q}++) {`,
      `  if (${p} >= ${num(n)}) {`, '    break;', '  }',
      `  let ${e} = ${b.readAt(sorted.buffer, p)};`,
      `  if (${e}[0] != ${row}) {`, '    break;', '  }',
      `  let ${j} = ${e}[1];`,
      `  ${acc} = ${acc} + ${b.read(k.updates, [o, j, i])};`,
      `  ${p} = ${p} + 1.0;`,
      '}',
    );
    return { ...b.finish(k.label, acc, k.output, dtypeOf(k.output.buffer)), stage: 3 };
  })();

  return [stage0, stage1, stage2, stage3];
}
