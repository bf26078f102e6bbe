import { sx, type ScalarExpr } from '../../codegen/scalar-expr.js';
import type { ElementwiseKernel } from '../program.js';
import { BufferUsers, withinBufferLimit, writes, type ProgramDraft } from './draft.js';
import { InputList, substituteInputs } from './expr-subst.js';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Elementwise kernels over the same shape that read a common input become one kernel with
 * several outputs, so the shared input is read once. The later kernel's work moves to the
 * earlier one's position, which needs its inputs final there and its outputs untouched
 * in between.
 */
export function fuseSiblings(d: ProgramDraft): boolean {
  let any = false;
  const users = new BufferUsers(d);
  for (let i = 0; i < d.kernels.length; i++) {
    const a = d.kernels[i];
    if (a?.kind !== 'elementwise' || !a.inputs.length) continue;
    // Only later readers of one of a's inputs can share one, taken in Program order.
    const later = [...new Set(a.inputs.flatMap((v) => users.of(v.buffer).readers))].filter((j) => j > i).sort((x, y) => x - y);
    for (const j of later) {
      const b = d.kernels[j];
      if (b?.kind !== 'elementwise' || !sameShape(a.shape, b.shape)) continue;
      const shares = b.inputs.some((v) => a.inputs.some((w) => w.buffer === v.buffer));
      if (!shares) continue;
      const aOut = new Set(a.outputs.map((v) => v.buffer));
      if (b.inputs.some((v) => aOut.has(v.buffer))) continue;
      if (!users.untouchedBetween(b.inputs.map((v) => v.buffer), i, j)) continue;
      if (!users.untouchedBetween(writes(b).map((v) => v.buffer), i, j, true)) continue;
      const list = new InputList();
      const aIdx = a.inputs.map((v) => list.add(v));
      const bIdx = b.inputs.map((v) => list.add(v));
      // Each kernel's outputs keep the subtrees they share.
      const [aMemo, bMemo] = [new Map<ScalarExpr, ScalarExpr>(), new Map<ScalarExpr, ScalarExpr>()];
      const merged: ElementwiseKernel = {
        ...a,
        inputs: list.views,
        outputs: [...a.outputs, ...b.outputs],
        exprs: [
          ...a.exprs.map((e) => substituteInputs(e, (k, dt) => sx.input(aIdx[k]!, dt), aMemo)),
          ...b.exprs.map((e) => substituteInputs(e, (k, dt) => sx.input(bIdx[k]!, dt), bMemo)),
        ],
        label: `${a.label}|${b.label}`,
      };
      if (!withinBufferLimit(d, merged)) continue;
      users.replace(i, a, merged);
      users.replace(j, b, undefined);
      d.kernels[i] = merged;
      d.sources[i] = [...d.sources[i]!, ...d.sources[j]!];
      d.kernels[j] = undefined;
      any = true;
      break;
    }
  }
  return any;
}
