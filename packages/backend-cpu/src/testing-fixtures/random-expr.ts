import { BINARY_OPS, COMPARE_OPS, sx, UNARY_OPS, type DType, type ScalarExpr } from '@symgrad/core';
import { SPECIAL_VALUES, type Rng } from './random.js';

export const ALL_DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

export interface ExprOptions {
  /** Dtype of each input node (drawn at random when omitted). */
  readonly inputDtypes?: readonly DType[];
  /** Dtypes interior nodes are drawn from. */
  readonly dtypes?: readonly DType[];
  /** Extra roots to return besides the last node (shared subtrees). */
  readonly roots?: number;
}

/** A random DAG over `inputs` inputs with `nodes` op nodes; nodes are drawn from a pool, so subtrees are shared. */
export function randomExprs(rng: Rng, inputs: number, nodes: number, rootDtypes: readonly DType[], opts: ExprOptions = {}): ScalarExpr[] {
  const dtypes = opts.dtypes ?? ALL_DTYPES;
  const pool: ScalarExpr[] = [];
  for (let k = 0; k < inputs; k++) pool.push(sx.input(k, opts.inputDtypes?.[k] ?? rng.pick(dtypes)));
  pool.push(sx.const(rng.pick(SPECIAL_VALUES), rng.pick(dtypes)));
  const base = pool.length;
  for (let i = 0; i < nodes; i++) {
    const dtype = rng.pick(dtypes);
    const r = rng.next();
    const a = () => rng.pick(pool);
    let e: ScalarExpr;
    if (r < 0.4) e = sx.unary(rng.pick(UNARY_OPS), a(), dtype);
    else if (r < 0.7) e = sx.binary(rng.pick(BINARY_OPS), a(), a(), dtype);
    else if (r < 0.8) e = sx.binary(rng.pick(COMPARE_OPS), a(), a(), dtype);
    else if (r < 0.87) e = sx.where(a(), a(), a(), dtype);
    else if (r < 0.95) e = sx.unary('cast', a(), dtype);
    else e = sx.const(rng.pick(SPECIAL_VALUES) * (rng.bool() ? 1 : rng.uniform(-3, 3)), dtype);
    pool.push(e);
  }
  // Each root: a cast of a random pool node (the last one first) to the wanted dtype.
  return rootDtypes.map((d, i) => sx.unary('cast', i === 0 ? pool[pool.length - 1]! : pool[rng.int(Math.min(base, pool.length - 1), pool.length - 1)]!, d));
}

/** A random input value: special values, small floats and ints, and wide magnitudes. */
export function randomScalar(rng: Rng): number {
  const r = rng.next();
  if (r < 0.35) return rng.pick(SPECIAL_VALUES);
  if (r < 0.7) return rng.uniform(-4, 4);
  if (r < 0.85) return rng.int(-5, 5);
  return rng.uniform(-1, 1) * 10 ** rng.int(-40, 40);
}
