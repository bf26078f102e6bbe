import type { ScalarExpr } from '../../codegen/scalar-expr.js';
import type { View } from '../program.js';
import { sameViewExact } from './draft.js';

/** Rebuilds an expression with each input(k) replaced by `replace(k)`, keeping shared subtrees shared. */
export function substituteInputs(expr: ScalarExpr, replace: (index: number, dtype: ScalarExpr['dtype']) => ScalarExpr): ScalarExpr {
  const memo = new Map<ScalarExpr, ScalarExpr>();
  const go = (e: ScalarExpr): ScalarExpr => {
    const hit = memo.get(e);
    if (hit) return hit;
    let r: ScalarExpr;
    if (e.op === 'input') r = replace(e.index, e.dtype);
    else if (e.op === 'const') r = e;
    else r = { ...e, args: e.args.map(go) } as unknown as ScalarExpr;
    memo.set(e, r);
    return r;
  };
  return go(expr);
}

/**
 * Collects views into a deduplicated input list: `add(view)` returns the index of an
 * identical view already present, or appends it.
 */
export class InputList {
  readonly views: View[] = [];
  add(v: View): number {
    const i = this.views.findIndex((w) => sameViewExact(w, v));
    if (i >= 0) return i;
    this.views.push(v);
    return this.views.length - 1;
  }
}
