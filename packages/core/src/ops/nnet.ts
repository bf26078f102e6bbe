import { isFloat } from '../ir/dtype.js';
import { defineOp, OpTypeError } from '../ir/op.js';
import { formatShape, type TensorType } from '../ir/type.js';

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

function checkLogitsLabels(z: TensorType, y: TensorType): void {
  if (!isFloat(z.dtype)) throw new OpTypeError(`logits must be float, got ${z.dtype}`);
  if (z.shape.length < 1) throw new OpTypeError('logits need at least one axis (the classes)');
  if (y.dtype !== 'int32') throw new OpTypeError(`labels must be int32, got ${y.dtype}`);
  const rows = z.shape.slice(0, -1);
  if (y.shape.length !== rows.length || y.shape.some((d, i) => d !== null && rows[i] !== null && d !== rows[i])) {
    throw new OpTypeError(`labels must have shape ${formatShape(rows)} for logits ${formatShape(z.shape)}, got ${formatShape(y.shape)}`);
  }
}

defineOp({
  name: 'softmaxCrossEntropy',
  family: 'nnet',
  arity: 2,
  inferType: ([z, y]) => {
    checkLogitsLabels(z!, y!);
    return [{ dtype: z!.dtype, shape: z!.shape.slice(0, -1).map((d, i) => d ?? y!.shape[i] ?? null) }];
  },
});

defineOp({
  name: 'softmaxCrossEntropyGrad',
  family: 'nnet',
  arity: 3,
  inferType: ([z, y, g]) => {
    checkLogitsLabels(z!, y!);
    if (g!.dtype !== z!.dtype) throw new OpTypeError(`the cotangent must have the logits' dtype ${z!.dtype}, got ${g!.dtype}`);
    return [{ dtype: z!.dtype, shape: [...z!.shape] }];
  },
});
