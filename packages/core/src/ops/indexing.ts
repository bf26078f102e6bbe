import { defineOp, OpTypeError } from '../ir/op.js';

defineOp({
  name: 'oneHot',
  family: 'indexing',
  arity: 1,
  inferType: ([idx], { depth, dtype }) => {
    if (idx!.dtype !== 'int32') throw new OpTypeError(`indices must be int32, got ${idx!.dtype}`);
    if (!Number.isInteger(depth) || depth <= 0) throw new OpTypeError(`depth must be a positive integer, got ${depth}`);
    return [{ dtype, shape: [...idx!.shape, depth] }];
  },
});
