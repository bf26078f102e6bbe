import { isFloat } from '../ir/dtype.js';
import { defineOp, OpTypeError } from '../ir/op.js';
import { formatShape } from '../ir/type.js';

for (const name of ['softmax', 'logSoftmax'] as const) {
  defineOp({
    name,
    family: 'nnet',
    arity: 1,
    inferType: ([x], { axis }) => {
      if (!isFloat(x!.dtype)) throw new OpTypeError(`input must be float, got ${x!.dtype}`);
      if (!Number.isInteger(axis) || axis < 0 || axis >= x!.shape.length) throw new OpTypeError(`axis ${axis} is out of range for rank ${x!.shape.length}`);
      return [{ dtype: x!.dtype, shape: [...x!.shape] }];
    },
  });
}

/**
 * −Σ targets·log(probabilities) over the last axis. Targets are int class labels (one rank
 * less than the probabilities) or one-hot/soft targets of the same shape.
 */
defineOp({
  name: 'categoricalCrossentropy',
  family: 'nnet',
  arity: 2,
  inferType: ([p, t]) => {
    if (!isFloat(p!.dtype)) throw new OpTypeError(`probabilities must be float, got ${p!.dtype}`);
    if (p!.shape.length < 1) throw new OpTypeError('probabilities need at least one axis (the classes)');
    const rows = p!.shape.slice(0, -1);
    if (t!.dtype === 'int32') {
      if (t!.shape.length !== rows.length || t!.shape.some((d, i) => d !== null && rows[i] !== null && d !== rows[i])) {
        throw new OpTypeError(`int labels must have shape ${formatShape(rows)} for probabilities ${formatShape(p!.shape)}, got ${formatShape(t!.shape)}`);
      }
    } else if (isFloat(t!.dtype)) {
      if (t!.dtype !== p!.dtype) throw new OpTypeError(`one-hot targets must have the probabilities' dtype ${p!.dtype}, got ${t!.dtype}`);
      if (t!.shape.length !== p!.shape.length || t!.shape.some((d, i) => d !== null && p!.shape[i] !== null && d !== p!.shape[i])) {
        throw new OpTypeError(`one-hot targets must have the probabilities' shape ${formatShape(p!.shape)}, got ${formatShape(t!.shape)}`);
      }
    } else {
      throw new OpTypeError(`targets must be int32 labels or float one-hot rows, got ${t!.dtype}`);
    }
    return [{ dtype: p!.dtype, shape: rows.map((d, i) => d ?? t!.shape[i] ?? null) }];
  },
});
