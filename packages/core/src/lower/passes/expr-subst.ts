export { substituteInputs } from '../../codegen/scalar-expr.js';
import type { View } from '../program.js';
import { sameViewExact } from './draft.js';

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
