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

/** softplus(z) = relu(z) + log1p(exp(−|z|)), finite for every finite z. */
function softplus(z: Variable): Variable {
  const tail = apply1('log1p', {}, [apply1('exp', {}, [apply1('neg', {}, [apply1('abs', {}, [z])])])]);
  return apply1('add', {}, [apply1('relu', {}, [z]), tail]);
}

/**
 * Numerically stable forms: log(softmax(x)) → logSoftmax(x), log(1 + x) → log1p(x),
 * exp(x) − 1 → expm1(x), log(sigmoid(x)) → −softplus(−x), log(1 − sigmoid(x)) and
 * log1p(−sigmoid(x)) → −softplus(x) (so binaryCrossentropy of a sigmoid is stable),
 * categoricalCrossentropy(softmax(z), one-hot t) → −Σ t·logSoftmax(z), and
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
      // log σ(z) = −softplus(−z)
      if (sig) return [apply1('neg', {}, [softplus(apply1('neg', {}, [sig.inputs[0]!]))])];
      const oneMinus = producer(x, 'sub');
      const sig2 = oneMinus && uniformConstant(oneMinus.inputs[0]!) === 1 && sameType(oneMinus.inputs[1]!, x) ? producer(oneMinus.inputs[1]!, 'sigmoid') : undefined;
      // log(1 − σ(z)) = −softplus(z)
      if (sig2) return [apply1('neg', {}, [softplus(sig2.inputs[0]!)])];
      return undefined;
    }
    case 'log1p': {
      const n = producer(x, 'neg');
      const sig = n && producer(n.inputs[0]!, 'sigmoid');
      // log1p(−σ(z)) = log(1 − σ(z)) = −softplus(z)
      return sig ? [apply1('neg', {}, [softplus(sig.inputs[0]!)])] : undefined;
    }
    case 'sub': {
      const e = producer(x, 'exp');
      if (e && uniformConstant(node.inputs[1]!) === 1 && sameType(x, out)) return [apply1('expm1', {}, [e.inputs[0]!], node.callSite)];
      return undefined;
    }
    case 'categoricalCrossentropy': {
      const sm = producer(x, 'softmax');
      const y = node.inputs[1]!;
      if (!sm || sm.props.axis !== x.ndim - 1) return undefined;
      if (y.dtype === 'int32') return [apply1('softmaxCrossEntropy', {}, [sm.inputs[0]!, y], node.callSite)];
      // One-hot or soft targets: −Σ t·logSoftmax(z) never takes the log of a probability.
      const ls = apply1('logSoftmax', sm.props, [sm.inputs[0]!], node.callSite);
      return [apply1('neg', {}, [apply1('sum', { axes: [x.ndim - 1], keepdims: false }, [apply1('mul', {}, [y, ls])])])];
    }
    default:
      return undefined;
  }
};
