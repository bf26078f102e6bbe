import { applyOp, topoSort } from '../ir/graph.js';
import type { Apply, Variable } from '../ir/variable.js';

/** What a local rewrite may ask about the graph around the node it is offered. */
export interface RewriteContext {
  /**
   * How many nodes (and function outputs) read `v` in the graph being rewritten:
   * Infinity for a variable the sweep has not seen (one a rewrite made and did not
   * return), so a rewrite that needs a single reader leaves it alone.
   */
  uses(v: Variable): number;
}

/**
 * A local rewrite: given a node whose inputs are already rewritten, returns replacements
 * for its outputs (same dtypes and shapes), or undefined to keep it.
 */
export type LocalRewrite = (node: Apply, graph: RewriteContext) => readonly Variable[] | undefined;

/**
 * Rebuilds the graph of `outputs` bottom-up, offering every node to `rewrite`. Nodes
 * whose inputs did not change are reused, so an unchanged graph comes back identical.
 * Nodes that no output needs are dropped on the way (dead-code elimination is free).
 *
 * @example
 * ```ts
 * // sqrt(square(x)) → abs(x): one op instead of two, and no overflow in square.
 * const sqrtOfSquare: LocalRewrite = (node) => {
 *   const inner = node.op === 'sqrt' ? node.inputs[0]!.owner : undefined;
 *   return inner?.op === 'square' && isFloat(inner.inputs[0]!.dtype) ? [apply1('abs', {}, inner.inputs)] : undefined;
 * };
 * const { outputs, changed } = rewriteGraph([T.sqrt(T.square(x)).sum()], sqrtOfSquare); // sum(abs(x)), true
 * ```
 */
export function rewriteGraph(outputs: readonly Variable[], rewrite: LocalRewrite): { outputs: Variable[]; changed: boolean } {
  const map = new Map<Variable, Variable>();
  const nodes = topoSort(outputs);
  // Readers in the original graph; a rebuilt or replacing variable inherits its original's.
  const uses = new Map<Variable, number>();
  const read = (v: Variable, n = 1) => uses.set(v, (uses.get(v) ?? 0) + n);
  for (const node of nodes) for (const x of node.inputs) read(x);
  for (const o of outputs) read(o);
  const graph: RewriteContext = { uses: (v) => uses.get(v) ?? Infinity };
  let changed = false;
  for (const node of nodes) {
    const inputs = node.inputs.map((x) => map.get(x) ?? x);
    const rebuilt = inputs.some((x, i) => x !== node.inputs[i]) ? applyOp(node.op, node.props, inputs, node.callSite) : node.outputs;
    if (rebuilt !== node.outputs) rebuilt.forEach((r, i) => uses.set(r, uses.get(node.outputs[i]!) ?? 0));
    const replaced = rewrite(rebuilt[0]!.owner!, graph) ?? rebuilt;
    if (replaced !== rebuilt) changed = true;
    node.outputs.forEach((o, i) => {
      const n = replaced[i]!;
      if (n !== o) map.set(o, n);
      if (n !== o && n.name === undefined && n.owner) n.name = o.name;
      if (replaced !== rebuilt) read(n, uses.get(o) ?? 0);
    });
  }
  return { outputs: outputs.map((o) => map.get(o) ?? o), changed };
}

/**
 * Applies a local rewrite until nothing changes (at most `limit` sweeps), for rewrites
 * whose result exposes another match.
 *
 * @example
 * ```ts
 * const [y] = rewriteToFixpoint([loss], sqrtOfSquare); // sqrtOfSquare: see rewriteGraph
 * ```
 */
export function rewriteToFixpoint(outputs: readonly Variable[], rewrite: LocalRewrite, limit = 8): Variable[] {
  let cur = [...outputs];
  for (let i = 0; i < limit; i++) {
    const r = rewriteGraph(cur, rewrite);
    cur = r.outputs;
    if (!r.changed) break;
  }
  return cur;
}
