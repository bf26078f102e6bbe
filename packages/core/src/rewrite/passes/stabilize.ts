import { apply1 } from '../../ir/graph.js';
import type { Variable } from '../../ir/variable.js';
import { producer, sameType, uniformConstant } from '../match.js';
import type { LocalRewrite } from '../rewrite-graph.js';

/** x when `v` is 1 + x or x + 1 with a scalar-like constant 1 that does not change x's type. */
function onePlus(v: Variable): Variable | undefined {
  const add = producer(v, 'add');
  if (!add) return undefined;
  const [a, b] = add.inputs as [Variable, Variable];
  if (uniformConstant(a) === 1 && sameType(b, v)) return b;
  if (uniformConstant(b) === 1 && sameType(a, v)) return a;
  return undefined;
}

/**
 * Numerically stable forms: log(softmax(x)) → logSoftmax(x), log(1 + x) → log1p(x),
 * exp(x) − 1 → expm1(x), log(sigmoid(x)) → −softplus(−x), and
 * categoricalCrossentropy(softmax(z), int labels) → softmaxCrossEntropy(z, labels), whose
 * gradient is softmax(z) − onehot(labels) with no one-hot tensor and no log of a probability.
 */
export const stabilize: LocalRewrite = (node) => {
  const x = node.inputs[0]!;
  const out = node.outputs[0]!;
  switch (node.op) {
    case 'log': {
      const sm = producer(x, 'softmax');
      if (sm) return [apply1('logSoftmax', sm.props, [sm.inputs[0]!], node.callSite)];
      const inner = onePlus(x);
      if (inner) return [apply1('log1p', {}, [inner], node.callSite)];
      const sig = producer(x, 'sigmoid');
      if (sig) {
        // log σ(x) = −softplus(−x) = −(relu(−x) + log1p(exp(−|x|)))
        const z = sig.inputs[0]!;
        const nz = apply1('neg', {}, [z]);
        const tail = apply1('log1p', {}, [apply1('exp', {}, [apply1('neg', {}, [apply1('abs', {}, [z])])])]);
        return [apply1('neg', {}, [apply1('add', {}, [apply1('relu', {}, [nz]), tail])])];
      }
      return undefined;
    }
    case 'sub': {
      const e = producer(x, 'exp');
      if (e && uniformConstant(node.inputs[1]!) === 1 && sameType(x, out)) return [apply1('expm1', {}, [e.inputs[0]!], node.callSite)];
      return undefined;
    }
    case 'categoricalCrossentropy': {
      const sm = producer(x, 'softmax');
      const y = node.inputs[1]!;
      if (!sm || y.dtype !== 'int32' || sm.props.axis !== x.ndim - 1) return undefined;
      return [apply1('softmaxCrossEntropy', {}, [sm.inputs[0]!, y], node.callSite)];
    }
    default:
      return undefined;
  }
};
