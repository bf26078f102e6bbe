import type { DType } from '../ir/dtype.js';
import { apply1, GraphError } from '../ir/graph.js';
import { normalizeAxis } from '../ir/type.js';
import type { Variable } from '../ir/variable.js';
import { elementwise as E } from './elementwise.js';
import { asVariable, asVariables, type Operand } from './operand.js';

function axisOf(op: string, v: Variable, axis: number): number {
  const a = normalizeAxis(axis, v.ndim);
  if (a === undefined) throw new GraphError(`${op}: axis ${axis} is out of range for ${v.describe()}`);
  return a;
}

/**
 * Neural-network functions, computed stably.
 *
 * @example
 * ```ts
 * const yPred = T.softmax(T.dot(h2, w3));
 * const loss = T.mean(T.categoricalCrossentropy(yPred, y)); // y: int32 labels
 * ```
 */
export const nnet = {
  softmax(x: Operand, axis = -1): Variable {
    const v = asVariable('softmax', x);
    return apply1('softmax', { axis: axisOf('softmax', v, axis) }, [v]);
  },
  logSoftmax(x: Operand, axis = -1): Variable {
    const v = asVariable('logSoftmax', x);
    return apply1('logSoftmax', { axis: axisOf('logSoftmax', v, axis) }, [v]);
  },
  /** −log p[label] per row for int labels, or −Σ t·log p over the last axis for one-hot/soft targets. */
  categoricalCrossentropy(probabilities: Operand, targets: Operand): Variable {
    const [p, t] = asVariables('categoricalCrossentropy', [probabilities, targets]);
    return apply1('categoricalCrossentropy', {}, [p!, t!]);
  },
  /**
   * −log softmax(logits)[label] per row, computed from the logits (stable, fused): what
   * `categoricalCrossentropy(softmax(z), y)` becomes after the stabilize rewrite.
   */
  softmaxCrossEntropy(logits: Operand, labels: Operand): Variable {
    const [z, y] = asVariables('softmaxCrossEntropy', [logits, labels]);
    return apply1('softmaxCrossEntropy', {}, [z!, y!]);
  },
  /** −(t·log p + (1 − t)·log(1 − p)) elementwise. */
  binaryCrossentropy(probabilities: Operand, targets: Operand): Variable {
    const [p, t] = asVariables('binaryCrossentropy', [probabilities, targets]);
    return E.neg(E.add(E.mul(t!, E.log(p!)), E.mul(E.sub(1, t!), E.log1p(E.neg(p!)))));
  },
  /** Rows of zeros with a 1 at each index (indices int32); out-of-range indices give zero rows. */
  oneHot(indices: Operand, depth: number, dtype: DType = 'float32'): Variable {
    const v = asVariable('oneHot', indices);
    return apply1('oneHot', { depth, dtype }, [v]);
  },
};
