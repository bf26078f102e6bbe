import { isFloat } from '../ir/dtype.js';
import { defineOp, OpTypeError } from '../ir/op.js';
import { formatShape } from '../ir/type.js';
import { RANDOM_DISTRIBUTIONS } from '../random/philox.js';

defineOp({
  name: 'random',
  family: 'random',
  arity: { min: 1 },
  inferType: ([state, like, ...rest], { distribution, dtype, shape }) => {
    if (!RANDOM_DISTRIBUTIONS.includes(distribution)) throw new OpTypeError(`distribution must be one of ${RANDOM_DISTRIBUTIONS.join(', ')}, got '${String(distribution)}'`);
    if (distribution === 'bits' ? dtype !== 'int32' : !isFloat(dtype)) {
      throw new OpTypeError(distribution === 'bits' ? `bits are int32, got dtype ${dtype}` : `${distribution} numbers must be float32 or float64, got dtype ${dtype}`);
    }
    if (state!.dtype !== 'int32' || state!.shape.length !== 1 || (state!.shape[0] !== null && state!.shape[0] !== 4)) {
      throw new OpTypeError(`the state must be int32 [4] (key and counter words), got ${state!.dtype} ${formatShape(state!.shape)}`);
    }
    if (rest.length) throw new OpTypeError(`expected a state and at most one shape-giving tensor, got ${rest.length + 2} inputs`);
    if ((shape === null) === (like === undefined)) throw new OpTypeError('give either a shape or a tensor to take the shape of, not both or neither');
    if (shape && shape.some((d) => !Number.isInteger(d) || d < 0)) throw new OpTypeError(`shape must hold non-negative integers, got [${shape.join(', ')}]`);
    return [{ dtype, shape: shape ? [...shape] : [...like!.shape] }, { dtype: 'int32', shape: [4] }];
  },
});
