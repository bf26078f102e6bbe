import { sx, type ScalarExpr } from '../../codegen/scalar-expr.js';
import type { Kernel, View } from '../program.js';
import type { ProgramDraft } from './draft.js';
import { InputList, substituteInputs } from './expr-subst.js';

/**
 * Inputs that read a one-element constant buffer become constants in the expression, so
 * `x · 0.1` reads one buffer instead of two.
 */
export function inlineConstants(d: ProgramDraft): boolean {
  let any = false;
  const scalar = (v: View): number | undefined => {
    const data = d.constants.get(v.buffer);
    return data && data.length === 1 ? data[0]! : undefined;
  };
  const rebuild = (inputs: readonly View[], exprs: readonly ScalarExpr[], offset = 0): { inputs: View[]; exprs: ScalarExpr[] } | undefined => {
    if (!inputs.some((v) => scalar(v) !== undefined)) return undefined;
    const list = new InputList();
    const map = inputs.map((v) => (scalar(v) === undefined ? list.add(v) : -1));
    const exprs2 = exprs.map((e) => substituteInputs(e, (k, dt) => {
      if (k < offset) return sx.input(k, dt);
      const j = k - offset;
      const c = scalar(inputs[j]!);
      return c === undefined ? sx.input(map[j]! + offset, dt) : sx.const(c, dt);
    }));
    return { inputs: list.views, exprs: exprs2 };
  };
  d.kernels.forEach((k, i) => {
    if (!k) return;
    let next: Kernel | undefined;
    if (k.kind === 'elementwise') {
      const r = rebuild(k.inputs, k.exprs);
      if (r) next = { ...k, inputs: r.inputs, exprs: r.exprs };
    } else if (k.kind === 'reduce') {
      const r = rebuild(k.inputs, [k.prologue]);
      if (r) next = { ...k, inputs: r.inputs, prologue: r.exprs[0]! };
    } else if (k.kind === 'matmul' && k.epilogue) {
      const r = rebuild(k.epilogue.inputs, [k.epilogue.expr], 1);
      if (r) next = { ...k, epilogue: { expr: r.exprs[0]!, inputs: r.inputs } };
    }
    if (next) {
      d.kernels[i] = next;
      any = true;
    }
  });
  return any;
}
