import { OpTypeError } from '../ir/op.js';
import { formatShape, type Dim } from '../ir/type.js';

/**
 * NumPy broadcasting of static shapes, Theano-style: a dimension broadcasts only when its
 * static size is 1; an unknown (`null`) dimension must equal its partner at run time.
 * Throws an OpTypeError naming the axis that does not broadcast.
 *
 * @example
 * ```ts
 * broadcastShapes([[2, 1], [1, 3]]); // [2, 3]
 * broadcastShapes([[null, 1], [3]]); // [null, 3]
 * ```
 */
export function broadcastShapes(shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim | undefined;
    for (const s of shapes) {
      const x = s[s.length - rank + i];
      if (x === undefined) continue;
      if (d === undefined || d === 1) d = x;
      else if (x === 1) continue;
      else if (d === null) d = x;
      else if (x !== null && x !== d) {
        throw new OpTypeError(`shapes ${shapes.map(formatShape).join(' and ')} cannot be broadcast (axis ${i - rank}: ${d} vs ${x})`);
      }
    }
    out.push(d === undefined ? 1 : d);
  }
  return out;
}

/**
 * Checks that `from` broadcasts to the concrete or static shape `to` (numpy's broadcast_to),
 * throwing an OpTypeError otherwise; a pair with a `null` dimension passes, to be checked
 * again with concrete shapes.
 *
 * @example
 * ```ts
 * checkBroadcastTo([3], [2, 3]); // ok
 * checkBroadcastTo([3], [2, 4]); // throws: cannot broadcast [3] to [2, 4] (axis 1: 3 vs 4)
 * ```
 */
export function checkBroadcastTo(from: readonly Dim[], to: readonly Dim[]): void {
  if (from.length > to.length) throw new OpTypeError(`cannot broadcast ${formatShape(from)} to ${formatShape(to)}: more dimensions than the target`);
  const off = to.length - from.length;
  from.forEach((d, i) => {
    const t = to[off + i]!;
    if (d === 1 || d === t || (d === null && t === null)) return;
    if (d === null || t === null) return; // checked again with concrete shapes
    throw new OpTypeError(`cannot broadcast ${formatShape(from)} to ${formatShape(to)} (axis ${off + i}: ${d} vs ${t})`);
  });
}
