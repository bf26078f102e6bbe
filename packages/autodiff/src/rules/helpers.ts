import { apply1, constant, formatShape, GraphError, isFloat, T, type Dim, type DType, type Variable } from '@symgrad/core';

/**
 * Reduces a cotangent that was broadcast to `shape` back to that (static) shape: sums over
 * the leading axes `shape` lacks, then, with keepdims, over axes where `shape` has a static
 * size 1 and the cotangent does not. Following Theano, only static size-1 dimensions
 * broadcast, so a `null` dimension is never summed.
 *
 * @example
 * ```ts
 * // x: [3, 1], y: [1, 4] → x + y: [3, 4]
 * sumToShape(g, x.shape); // [3, 1]
 * sumToShape(g, [4]);     // [4]
 * ```
 */
export function sumToShape(g: Variable, shape: readonly Dim[]): Variable {
  const extra = g.ndim - shape.length;
  if (extra < 0) throw new GraphError(`sumToShape: cotangent ${g.describe()} has fewer dimensions than the target shape ${formatShape(shape)} (it sums axes away, never adds them)`);
  let out = g;
  if (extra > 0) out = apply1('sum', { axes: range(extra), keepdims: false }, [out]);
  const axes = shape.flatMap((d, i) => (d === 1 && out.shape[i] !== 1 ? [i] : []));
  if (axes.length) out = apply1('sum', { axes, keepdims: true }, [out]);
  return out;
}

/** `sumToShape` to `x`'s shape, then cast to `x`'s dtype when it is a float. */
export function reduceLike(g: Variable, x: Variable): Variable {
  return castLike(sumToShape(g, x.shape), x);
}

/** Casts `g` to `x`'s dtype when `x` is a float of another dtype. */
export function castLike(g: Variable, x: Variable): Variable {
  return isFloat(x.dtype) && g.dtype !== x.dtype ? T.cast(g, x.dtype) : g;
}

/**
 * Zeros with `like`'s shape (static where known, else taken from `like` at run time), e.g.
 * the gradient of a disconnected variable or of an unused `splitLike` piece.
 *
 * @example
 * ```ts
 * zerosLike(T.dmatrix('w'));              // broadcastLike(0, w): float64[?, ?]
 * zerosLike(tensor('float32', [3, 2]));   // broadcastTo(0, [3, 2])
 * ```
 */
export function zerosLike(like: Variable, dtype: DType = like.dtype): Variable {
  const zero = constant(0, dtype);
  if (like.shape.every((d) => d !== null)) return T.broadcastTo(zero, like.shape as number[]);
  return T.broadcastLike(zero, like);
}

/**
 * Inserts size-1 axes at `axes` (sorted positions in `x`'s rank) into `g`, the result of
 * reducing `x` over `axes` without keepdims. Uses a reshape when at most one dimension is
 * unknown, else reshapes like a free view of `x` (a length-1 slice along `axes`).
 */
export function expandReduced(g: Variable, x: Variable, axes: readonly number[]): Variable {
  if (!axes.length || g.ndim === x.ndim) return g;
  const target: Dim[] = [];
  let k = 0;
  for (let i = 0; i < x.ndim; i++) target.push(axes.includes(i) ? 1 : g.shape[k++] ?? null);
  if (target.filter((d) => d === null).length <= 1) return T.reshape(g, target.map((d) => d ?? -1));
  const like = apply1('slice', {
    begin: x.shape.map(() => 0),
    end: x.shape.map((_, i) => (axes.includes(i) ? 1 : null)),
    step: x.shape.map(() => 1),
  }, [x]);
  return T.reshapeLike(g, like);
}

/** A cotangent of a reduction over `axes` spread back over `x`'s shape. */
export function broadcastReduced(g: Variable, x: Variable, axes: readonly number[], keepdims: boolean): Variable {
  return T.broadcastLike(keepdims ? g : expandReduced(g, x, axes), x);
}

/** Gives `g` the static shape of `x` where `g`'s dims are unknown but `x`'s are known (a free reshape). */
export function withStaticShape(g: Variable, x: Variable): Variable {
  if (g.ndim !== x.ndim || !x.shape.some((d, i) => d !== null && g.shape[i] === null)) return g;
  if (x.shape.filter((d) => d === null).length <= 1) return T.reshape(g, x.shape.map((d) => d ?? -1));
  return T.reshapeLike(g, x);
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
