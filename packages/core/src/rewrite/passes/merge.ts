import { propsKey } from '../../ir/op.js';
import { ConstantVariable, type Variable } from '../../ir/variable.js';
import type { LocalRewrite } from '../rewrite-graph.js';

/** Constants up to this size are compared by value. */
const MAX_KEYED_CONSTANT = 4096;

/**
 * Common-subexpression elimination: nodes with the same op, props and inputs are computed
 * once; equal small constants become one. Returns a fresh rewrite (it keeps a table).
 */
export function createMerge(): LocalRewrite {
  const nodes = new Map<string, readonly Variable[]>();
  const constants = new Map<string, ConstantVariable>();
  const canonical = (v: Variable): Variable => {
    if (!(v instanceof ConstantVariable) || v.value.size > MAX_KEYED_CONSTANT) return v;
    const key = `${v.dtype}|${v.value.shape.join(',')}|${Array.from(v.value.data).join(',')}`;
    const have = constants.get(key);
    if (have) return have;
    constants.set(key, v);
    return v;
  };
  return (node) => {
    const inputs = node.inputs.map(canonical);
    const key = `${node.op}|${propsKey(node.props as object)}|${inputs.map((x) => x.id).join(',')}`;
    const have = nodes.get(key);
    if (have) return have;
    // Keyed on canonical inputs, so a later node using an equal constant finds this one.
    nodes.set(key, node.outputs);
    return undefined;
  };
}
