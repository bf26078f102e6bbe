import { evaluateReference } from '../../ir/evaluate.js';
import type { DType } from '../../ir/dtype.js';
import { ConstantVariable } from '../../ir/variable.js';
import { NDArray } from '../../host/ndarray.js';
import type { LocalRewrite } from '../rewrite-graph.js';

/** Folding stops above this many elements: a large constant costs more to embed than to compute. */
const MAX_FOLD = 1 << 16;

/**
 * Evaluates nodes whose inputs are all constants (in float64, rounded once to the result
 * dtype), and sizes (`sizeOf`) whose axes are statically known.
 */
export const constantFold: LocalRewrite = (node) => {
  if (node.op === 'sizeOf') {
    const { axes, dtype } = node.props as { axes: number[]; dtype: DType };
    const dims = axes.map((a) => node.inputs[0]!.shape[a]);
    if (dims.some((d) => d === null)) return undefined;
    return [new ConstantVariable(NDArray.from((dims as number[]).reduce((a, b) => a * b, 1), dtype))];
  }
  if (!node.inputs.every((x) => x instanceof ConstantVariable)) return undefined;
  if (node.outputs.some((o) => o.shape.includes(null))) return undefined;
  const size = (node.outputs[0]!.shape as number[]).reduce((a, b) => a * b, 1);
  if (size > MAX_FOLD) return undefined;
  const values = evaluateReference(node.outputs, new Map());
  return values.map((v, i) => new ConstantVariable(v.astype(node.outputs[i]!.dtype)));
};
