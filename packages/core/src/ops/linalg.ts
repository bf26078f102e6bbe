import { isFloat } from '../ir/dtype.js';
import { defineOp, OpTypeError } from '../ir/op.js';
import { formatShape } from '../ir/type.js';
import { broadcastShapes } from './broadcast.js';

/**
 * Batched matrix product over the last two axes; leading (batch) axes broadcast.
 * transA/transB transpose the last two axes of an operand.
 */
defineOp({
  name: 'matmul',
  family: 'linalg',
  arity: 2,
  inferType: ([a, b], { transA, transB }) => {
    if (a!.shape.length < 2 || b!.shape.length < 2) {
      throw new OpTypeError(`operands need at least 2 dimensions, got ${formatShape(a!.shape)} and ${formatShape(b!.shape)}`);
    }
    if (a!.dtype !== b!.dtype || !isFloat(a!.dtype)) {
      throw new OpTypeError(`operands must share a float dtype, got ${a!.dtype} and ${b!.dtype} (use T.cast)`);
    }
    const ra = a!.shape.length;
    const rb = b!.shape.length;
    const m = transA ? a!.shape[ra - 1]! : a!.shape[ra - 2]!;
    const ka = transA ? a!.shape[ra - 2]! : a!.shape[ra - 1]!;
    const kb = transB ? b!.shape[rb - 1]! : b!.shape[rb - 2]!;
    const n = transB ? b!.shape[rb - 2]! : b!.shape[rb - 1]!;
    if (ka !== null && kb !== null && ka !== kb) {
      throw new OpTypeError(`inner dimensions differ: ${formatShape(a!.shape)}${transA ? 'ᵀ' : ''} · ${formatShape(b!.shape)}${transB ? 'ᵀ' : ''} (${ka} vs ${kb})`);
    }
    const batch = broadcastShapes([a!.shape.slice(0, -2), b!.shape.slice(0, -2)]);
    return [{ dtype: a!.dtype, shape: [...batch, m, n] }];
  },
});
