/**
 * Gradients of the neural-network ops:
 * - softmax s: s·(g − Σ g·s) along the axis;
 * - logSoftmax y: g − exp(y)·Σ g along the axis;
 * - categoricalCrossentropy(p, t): w.r.t. p, −t/p·g[…, None] (t = oneHot(labels) for int
 *   labels, which get no gradient); w.r.t. float targets, −log(p)·g[…, None];
 * - softmaxCrossEntropy(z, y): softmaxCrossEntropyGrad(z, y, g) = (softmax(z) − onehot(y))·g[…, None];
 * - softmaxCrossEntropyGrad(z, y, g) with cotangent c: w.r.t. g, Σ c·(softmax(z) − onehot(y))
 *   over the classes; w.r.t. z, the softmax pullback of c·g[…, None].
 */
import { apply1, constant, GraphError, T, atSite, type Variable } from '@symgrad/core';
import { broadcastReduced, castLike } from './helpers.js';
import { notDifferentiable, type GradientTable } from './types.js';

/** Built-in gradient rules and markers of the neural-network ops (softmax, logSoftmax, categoricalCrossentropy). */
export const nnetGradients: GradientTable = {
  softmax: (node, [g]) => {
    const s = node.outputs[0]!;
    const dot = T.sum(T.mul(g!, s), node.props.axis, true);
    return [castLike(T.mul(s, T.sub(g!, dot)), node.inputs[0]!)];
  },
  logSoftmax: (node, [g]) => {
    const y = node.outputs[0]!;
    return [castLike(T.sub(g!, T.mul(T.exp(y), T.sum(g!, node.props.axis, true))), node.inputs[0]!)];
  },
  categoricalCrossentropy: (node, [g]) => {
    const [p, t] = node.inputs as [Variable, Variable];
    const last = p.ndim - 1;
    const gRows = broadcastReduced(g!, p, [last], false);
    if (t.dtype === 'int32') {
      const classes = p.shape[last];
      if (classes === null || classes === undefined) {
        throw new GraphError(
          `grad: the gradient of categoricalCrossentropy with int labels needs a static number of classes, but the probabilities ${p.describe()} have an unknown last dimension; give them a static shape${atSite(node.callSite)}`,
        );
      }
      const target = T.oneHot(t, classes, p.dtype);
      return [T.neg(T.mul(T.div(target, p), gRows)), notDifferentiable];
    }
    return [
      T.neg(T.mul(T.div(t, p), gRows)),
      castLike(T.neg(T.mul(T.log(p), gRows)), t),
    ];
  },
  softmaxCrossEntropy: (node, [g]) => {
    const [z, y] = node.inputs as [Variable, Variable];
    return [apply1('softmaxCrossEntropyGrad', {}, [z, y, castLike(g!, z)]), notDifferentiable];
  },
  softmaxCrossEntropyGrad: (node, [c]) => {
    const [z, y, g] = node.inputs as [Variable, Variable, Variable];
    const last = z.ndim - 1;
    const ones = T.broadcastLike(constant(1, g.dtype), g);
    const residual = apply1('softmaxCrossEntropyGrad', {}, [z, y, ones]); // softmax(z) − onehot(y)
    const gg = T.sum(T.mul(c!, residual), last);
    const s = T.softmax(z, last);
    const u = T.mul(c!, broadcastReduced(g, z, [last], false));
    const gz = T.mul(s, T.sub(u, T.sum(T.mul(u, s), last, true)));
    return [castLike(gz, z), notDifferentiable, castLike(gg, g)];
  },
};

