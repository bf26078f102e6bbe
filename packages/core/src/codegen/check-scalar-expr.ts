import { isDType } from '../ir/dtype.js';
import type { ScalarExpr, ScalarOp } from './scalar-expr.js';

/** How many arguments each op of the scalar expression language takes. */
export const SCALAR_ARITY: { readonly [K in ScalarOp]: number } = {
  neg: 1, exp: 1, log: 1, log1p: 1, expm1: 1, sqrt: 1, rsqrt: 1, square: 1, abs: 1, sign: 1, tanh: 1, sigmoid: 1, relu: 1, cast: 1,
  add: 2, sub: 2, mul: 2, div: 2, pow: 2, minimum: 2, maximum: 2, lt: 2, le: 2, gt: 2, ge: 2, eq: 2, ne: 2,
  where: 3,
};

function checkNode(e: ScalarExpr, inputCount: number, who: string): void {
  if (typeof e !== 'object' || e === null) throw new Error(`${who}: expression node is not an object`);
  if (!isDType(e.dtype)) throw new Error(`${who}: unknown dtype '${String(e.dtype)}'`);
  if (e.op === 'input') {
    if (!Number.isInteger(e.index) || e.index < 0 || e.index >= inputCount) {
      throw new Error(`${who}: input(${String(e.index)}) is out of range: the expression has ${inputCount} input${inputCount === 1 ? '' : 's'}`);
    }
    return;
  }
  if (e.op === 'const') {
    if (typeof e.value !== 'number') throw new Error(`${who}: constant ${String(e.value)} is not a number`);
    return;
  }
  const arity = Object.hasOwn(SCALAR_ARITY, e.op) ? SCALAR_ARITY[e.op as ScalarOp] : undefined;
  if (arity === undefined) throw new Error(`${who}: unknown scalar op '${String(e.op)}'`);
  const args = (e as { args?: unknown }).args;
  if (!Array.isArray(args) || args.length !== arity) {
    throw new Error(`${who}: op '${e.op}' takes ${arity} argument${arity === 1 ? '' : 's'}, got ${Array.isArray(args) ? args.length : 'none'}`);
  }
}

/**
 * The DAG's nodes in evaluation order, each once, every node validated before its
 * arguments are visited: known ops with their arity, known dtypes, inputs in range, numeric
 * constants, no cycles. Every renderer starts here, so a malformed or hostile expression
 * never reaches generated source. `who` prefixes the error messages.
 *
 * @example
 * ```ts
 * for (const e of checkedScalarExprNodes(exprs, inputs.length, 'render-wgsl')) emit(e);
 * ```
 */
export function checkedScalarExprNodes(roots: readonly ScalarExpr[], inputCount: number, who: string): ScalarExpr[] {
  const done = new Set<ScalarExpr>();
  const active = new Set<ScalarExpr>();
  const order: ScalarExpr[] = [];
  const visit = (e: ScalarExpr): void => {
    if (done.has(e)) return;
    checkNode(e, inputCount, who);
    if (active.has(e)) throw new Error(`${who}: the expression has a cycle`);
    active.add(e);
    if ('args' in e) for (const a of e.args) visit(a);
    active.delete(e);
    done.add(e);
    order.push(e);
  };
  for (const r of roots) visit(r);
  return order;
}
