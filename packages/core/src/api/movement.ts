import { apply1, applyOp, GraphError } from '../ir/graph.js';
import { normalizeAxis, type Dim } from '../ir/type.js';
import type { Variable } from '../ir/variable.js';
import { asVariable, asVariables, type Operand } from './operand.js';

/** One axis of a slice: `null` keeps the axis whole, a number picks one index (dropping the axis), a tuple is [start, end, step]. */
export type SliceSpec = null | number | readonly [number | null, (number | null)?, number?];

/**
 * Views and layout: reshape, transpose, broadcast, slice, concatenate.
 *
 * @example
 * ```ts
 * const xt = T.transpose(x);            // reverses axes
 * const flat = T.reshape(img, [-1, 784]);
 * const firstCols = T.slice(x, null, [0, 10]);
 * const both = T.concat([a, b], 1);
 * ```
 */
export const movement = {
  reshape(x: Operand, shape: readonly number[]): Variable {
    const v = asVariable('reshape', x);
    return apply1('reshape', { shape: [...shape] }, [v]);
  },
  /** Collapses all axes into one. */
  flatten(x: Operand): Variable {
    return movement.reshape(x, [-1]);
  },
  /** Permutes axes; reverses them when `perm` is omitted. */
  transpose(x: Operand, perm?: readonly number[]): Variable {
    const v = asVariable('transpose', x);
    const p = perm ? perm.map((a) => normalizeAxis(a, v.ndim) ?? a) : v.shape.map((_, i) => v.ndim - 1 - i);
    return apply1('transpose', { perm: p }, [v]);
  },
  broadcastTo(x: Operand, shape: readonly number[]): Variable {
    return apply1('broadcastTo', { shape: [...shape] }, [asVariable('broadcastTo', x)]);
  },
  /** Broadcasts `x` to the shape of `like` (known at call time). */
  broadcastLike(x: Operand, like: Variable): Variable {
    return apply1('broadcastLike', {}, [asVariable('broadcastLike', x), like]);
  },
  /** Reshapes `x` to the shape of `like` (known at call time). */
  reshapeLike(x: Operand, like: Variable): Variable {
    return apply1('reshapeLike', {}, [asVariable('reshapeLike', x), like]);
  },
  /** Inserts a length-1 axis. */
  expandDims(x: Operand, axis: number): Variable {
    const v = asVariable('expandDims', x);
    const a = normalizeAxis(axis, v.ndim + 1);
    if (a === undefined) throw new GraphError(`expandDims: axis ${axis} is out of range for ${v.describe()}`);
    const shape = v.shape.map((d) => d ?? -1);
    if (shape.filter((d) => d === -1).length > 1) {
      throw new GraphError(`expandDims: ${v.describe()} has several unknown dimensions; give the variable a static shape`);
    }
    shape.splice(a, 0, 1);
    return movement.reshape(v, shape);
  },
  /**
   * NumPy-style basic slicing, one spec per leading axis (missing specs keep the axis).
   * Negative bounds count from the end; steps are positive.
   */
  slice(x: Operand, ...specs: SliceSpec[]): Variable {
    const v = asVariable('slice', x);
    if (specs.length > v.ndim) throw new GraphError(`slice: ${specs.length} specs for ${v.describe()}`);
    const begin: number[] = [];
    const end: (number | null)[] = [];
    const step: number[] = [];
    const drop: number[] = [];
    v.shape.forEach((_, i) => {
      const s = specs[i];
      if (s === null || s === undefined) { begin.push(0); end.push(null); step.push(1); }
      else if (typeof s === 'number') {
        if (!Number.isInteger(s)) throw new GraphError(`slice: index ${s} on axis ${i} of ${v.describe()} is not an integer`);
        begin.push(s); end.push(s === -1 ? null : s + 1); step.push(1); drop.push(i);
      } else { begin.push(s[0] ?? 0); end.push(s[1] ?? null); step.push(s[2] ?? 1); }
    });
    const r = apply1('slice', { begin, end, step }, [v]);
    if (!drop.length) return r;
    const kept: Dim[] = r.shape.filter((_, i) => !drop.includes(i));
    if (kept.filter((d) => d === null).length > 1) {
      throw new GraphError(`slice: indexing an axis of ${v.describe()} drops it, which needs at most one unknown remaining dimension; use a [i, i + 1] range instead`);
    }
    return movement.reshape(r, kept.map((d) => d ?? -1));
  },
  /** Joins tensors along an existing axis. */
  concat(xs: readonly Operand[], axis = 0): Variable {
    const vs = asVariables('concat', xs);
    if (!vs.length) throw new GraphError('concat: needs at least one tensor');
    const a = normalizeAxis(axis, vs[0]!.ndim);
    if (a === undefined) throw new GraphError(`concat: axis ${axis} is out of range for ${vs[0]!.describe()}`);
    return apply1('concat', { axis: a }, vs);
  },
  /** Splits `x` along `axis` into pieces shaped like `likes` (the transpose of concat). */
  splitLike(x: Operand, likes: readonly Variable[], axis: number): Variable[] {
    return applyOp('splitLike', { axis }, [asVariable('splitLike', x), ...likes]);
  },
};

