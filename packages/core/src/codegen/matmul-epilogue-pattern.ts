import type { DType } from '../ir/dtype.js';
import type { ScalarExpr } from './scalar-expr.js';

/**
 * The matmul epilogues that GEMM libraries fuse themselves (cuBLASLt's epilogues, a native
 * GEMM's store loop), recognised in a MatmulKernel's epilogue expression. Input 0 is the
 * product, input 1 the epilogue's first view:
 * - `relu`: relu(input 0)
 * - `reluMask`: where(input 1 > 0, input 0, 0), the gradient of a relu given its output
 * - `bias`: input 0 + input 1 (either order)
 * - `reluBias`: relu(input 0 + input 1)
 */
export type MatmulEpiloguePattern = 'relu' | 'reluMask' | 'bias' | 'reluBias';

const isInput = (e: ScalarExpr, index: number, dtype: DType) => e.op === 'input' && e.index === index && e.dtype === dtype;
const isZero = (e: ScalarExpr) => e.op === 'const' && Object.is(e.value, 0);

const isBiasAdd = (e: ScalarExpr, dtype: DType): boolean =>
  e.op === 'add' && e.dtype === dtype &&
  ((isInput(e.args[0], 0, dtype) && isInput(e.args[1], 1, dtype)) || (isInput(e.args[0], 1, dtype) && isInput(e.args[1], 0, dtype)));

/**
 * Which library epilogue computes exactly `expr` (evalScalarExpr's semantics) for a matmul in
 * `dtype`, or undefined. `input1Storage` is the storage dtype of the epilogue's first view:
 * patterns reading it need it stored in the matmul's dtype (a float32 sum of two float32
 * values rounds the same computed in float32 or in float64, so libraries that accumulate in
 * either agree).
 *
 * @example
 * ```ts
 * const x = sx.input(0, 'float32');
 * matmulEpiloguePattern(sx.unary('relu', x), 'float32', undefined); // 'relu'
 * ```
 */
export function matmulEpiloguePattern(expr: ScalarExpr, dtype: DType, input1Storage: DType | undefined): MatmulEpiloguePattern | undefined {
  if (expr.dtype !== dtype) return undefined;
  if (expr.op === 'relu' && isInput(expr.args[0], 0, dtype)) return 'relu';
  if (input1Storage !== dtype) return undefined;
  if (expr.op === 'where') {
    const [cond, yes, no] = expr.args;
    if (cond.op === 'gt' && isInput(cond.args[0], 1, dtype) && isZero(cond.args[1]) && isInput(yes, 0, dtype) && isZero(no)) return 'reluMask';
  }
  if (isBiasAdd(expr, dtype)) return 'bias';
  if (expr.op === 'relu' && isBiasAdd(expr.args[0], dtype)) return 'reluBias';
  return undefined;
}
