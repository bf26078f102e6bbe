import { floatOf, isFloat, promoteTypes, type DType } from '../ir/dtype.js';
import { BINARY_OPS, COMPARE_OPS, defineOp, OpTypeError, UNARY_OPS, type BinaryOp, type UnaryOp } from '../ir/op.js';
import type { TensorType } from '../ir/type.js';
import { broadcastShapes } from './broadcast.js';

/** Unary ops that always produce a float (an int input becomes float32). */
const TRANSCENDENTAL = new Set<UnaryOp>(['exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'tanh', 'sigmoid']);

/** Arithmetic on bool promotes to int32, as NumPy's sum of bools does. */
function arith(d: DType): DType {
  return d === 'bool' ? 'int32' : d;
}

/**
 * The dtype a unary op produces: transcendental ops (exp, log, sqrt, tanh, …) give a float,
 * the others keep the input's dtype, except that bool arithmetic is int32.
 *
 * @example
 * ```ts
 * unaryResultDtype('exp', 'int32'); // 'float32'
 * unaryResultDtype('neg', 'bool'); // 'int32'
 * ```
 */
export function unaryResultDtype(op: UnaryOp, d: DType): DType {
  return TRANSCENDENTAL.has(op) ? floatOf(d) : arith(d);
}

/**
 * The dtype a binary arithmetic op produces: the promoted input dtype (bool arithmetic is
 * int32), and a float for div, which never truncates.
 *
 * @example
 * ```ts
 * binaryResultDtype('div', 'int32', 'int32'); // 'float32'
 * binaryResultDtype('add', 'bool', 'bool'); // 'int32'
 * ```
 */
export function binaryResultDtype(op: BinaryOp, a: DType, b: DType): DType {
  const p = arith(promoteTypes(a, b));
  return op === 'div' ? floatOf(p) : p;
}

for (const name of UNARY_OPS) {
  defineOp({
    name,
    family: 'elementwise',
    arity: 1,
    inferType: ([x]) => [{ dtype: unaryResultDtype(name, x!.dtype), shape: [...x!.shape] }],
  });
}

for (const name of BINARY_OPS) {
  defineOp({
    name,
    family: 'elementwise',
    arity: 2,
    inferType: ([a, b]) => [{ dtype: binaryResultDtype(name, a!.dtype, b!.dtype), shape: broadcastShapes([a!.shape, b!.shape]) }],
  });
}

for (const name of COMPARE_OPS) {
  defineOp({
    name,
    family: 'elementwise',
    arity: 2,
    inferType: ([a, b]) => [{ dtype: 'bool', shape: broadcastShapes([a!.shape, b!.shape]) }],
  });
}

defineOp({
  name: 'where',
  family: 'elementwise',
  arity: 3,
  inferType: ([c, a, b]: readonly TensorType[]) => {
    if (c!.dtype !== 'bool') throw new OpTypeError(`condition must be bool, got ${c!.dtype} (compare with T.gt/T.eq or cast first)`);
    return [{ dtype: promoteTypes(a!.dtype, b!.dtype), shape: broadcastShapes([c!.shape, a!.shape, b!.shape]) }];
  },
});

defineOp({
  name: 'cast',
  family: 'elementwise',
  arity: 1,
  inferType: ([x], { dtype }) => [{ dtype, shape: [...x!.shape] }],
});

export { isFloat };
