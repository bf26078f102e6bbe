import { atSite, GraphError, kindOf, T, Variable } from '@symgrad/core';
import { grad, type DisconnectedPolicy } from './grad.js';

export interface JacobianOptions {
  /** What to do when `y` does not depend on a `wrt` (see `grad`); default 'raise'. */
  readonly disconnected?: 'raise' | 'zero';
  /** Refuse outputs with more elements than this (one gradient graph per element); default 4096. */
  readonly maxElements?: number;
}

/**
 * The Jacobian of `y` with respect to `wrt`, shaped `[...y.shape, ...wrt.shape]`: row `i`
 * is the gradient of the `i`-th element of the flattened `y`. `y` needs a static shape
 * (one gradient graph is built per element, so keep it to a few thousand elements); `wrt`
 * may have at most one unknown dimension. Given an array of variables, returns one
 * Jacobian per variable.
 *
 * @example
 * ```ts
 * const x = T.dvector('x', { shape: [3] });
 * const J = jacobian(T.mul(x, x), x); // [3, 3]: diag(2x)
 * await fn([x], J)([1, 2, 3]);        // [[2, 0, 0], [0, 4, 0], [0, 0, 6]]
 * ```
 */
export function jacobian(y: Variable, wrt: Variable, opts?: JacobianOptions): Variable;
export function jacobian(y: Variable, wrt: readonly Variable[], opts?: JacobianOptions): Variable[];
export function jacobian(y: Variable, wrt: Variable | readonly Variable[], opts: JacobianOptions = {}): Variable | Variable[] {
  if (!(y instanceof Variable)) throw new GraphError(`jacobian: y must be a symbolic variable, got ${kindOf(y)}`);
  if (y.shape.some((d) => d === null)) {
    throw new GraphError(`jacobian: y ${y.describe()} needs a static shape (every dimension known), to build one gradient per element${atSite(y.callSite)}`);
  }
  const list: readonly Variable[] = Array.isArray(wrt) ? wrt : [wrt as Variable];
  list.forEach((w, k) => {
    if (w instanceof Variable && w.shape.filter((d) => d === null).length > 1) {
      throw new GraphError(`jacobian: wrt${Array.isArray(wrt) ? `[${k}]` : ''} ${w.describe()} has several unknown dimensions; give it a static shape (at most one unknown)${atSite(w.callSite)}`);
    }
  });
  const yShape = y.shape as number[];
  const n = yShape.reduce((a, b) => a * b, 1);
  const max = opts.maxElements ?? 4096;
  if (n > max) throw new GraphError(`jacobian: y ${y.describe()} has ${n} elements, more than maxElements ${max} (one gradient graph is built per element)`);
  const policy: DisconnectedPolicy = opts.disconnected ?? 'raise';
  const dims = (w: Variable): number[] => w.shape.map((d) => d ?? -1);
  if (y.ndim === 0) {
    const g = grad(y, list, { disconnected: policy });
    return Array.isArray(wrt) ? g : g[0]!;
  }
  const flat = T.reshape(y, [n]);
  const rows: Variable[][] = list.map(() => []);
  for (let i = 0; i < n; i++) {
    const yi = T.reshape(T.slice(flat, [i, i + 1]), []);
    grad(yi, list, { disconnected: policy }).forEach((g, k) => rows[k]!.push(T.reshape(g, [1, ...dims(list[k]!)])));
  }
  const out = rows.map((r, k) => T.reshape(r.length === 1 ? r[0]! : T.concat(r, 0), [...yShape, ...dims(list[k]!)]));
  return Array.isArray(wrt) ? out : out[0]!;
}

/**
 * The Hessian–vector product H·v of a scalar `cost`, computed without forming H as the
 * gradient of a gradient: `grad(Σ grad(cost, wrt)·v, wrt)`. With several variables, `v`
 * holds one tensor per variable and the result one per variable (the blocks of H·v).
 *
 * @example
 * ```ts
 * const x = T.dvector('x');
 * const v = T.dvector('v');
 * const cost = T.sum(T.pow(x, 3));         // H = diag(6x)
 * const hv = hessianVectorProduct(cost, x, v);
 * await fn([x, v], hv)([1, 2], [1, 1]);    // [6, 12]
 * ```
 */
export function hessianVectorProduct(cost: Variable, wrt: Variable, v: Variable, opts?: { disconnected?: 'raise' | 'zero' }): Variable;
export function hessianVectorProduct(cost: Variable, wrt: readonly Variable[], v: readonly Variable[], opts?: { disconnected?: 'raise' | 'zero' }): Variable[];
export function hessianVectorProduct(
  cost: Variable, wrt: Variable | readonly Variable[], v: Variable | readonly Variable[], opts: { disconnected?: 'raise' | 'zero' } = {},
): Variable | Variable[] {
  const ws: readonly Variable[] = Array.isArray(wrt) ? wrt : [wrt as Variable];
  const vs: readonly Variable[] = Array.isArray(v) ? v : [v as Variable];
  if (Array.isArray(wrt) !== Array.isArray(v) || ws.length !== vs.length) {
    const form = (a: Variable | readonly Variable[]): string => (Array.isArray(a) ? `an array of ${a.length}` : 'a single variable');
    throw new GraphError(`hessianVectorProduct: v must mirror wrt (one tensor per variable): wrt is ${form(wrt)} and v is ${form(v)}`);
  }
  const gs = grad(cost, ws, { disconnected: opts.disconnected ?? 'raise' });
  const dots = gs.map((g, k) => T.sum(T.mul(g, vs[k]!)));
  const s = dots.reduce((a, b) => T.add(a, b));
  // A gradient that does not depend on a variable (cost linear in it) gives a zero block.
  const hv = grad(s, ws, { disconnected: 'zero' });
  return Array.isArray(wrt) ? hv : hv[0]!;
}
