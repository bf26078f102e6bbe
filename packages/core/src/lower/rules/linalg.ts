import { sizeOf } from '../../ir/type.js';
import type { LoweringContext } from '../context.js';
import type { View } from '../program.js';
import { contiguousView } from '../view.js';
import type { LowerTable } from './types.js';

/**
 * Brings a matrix operand to the layout the matmul kernel takes: the last two axes stored
 * row-major (last stride 1, row stride ≥ columns), flipping the transpose flag when the
 * view is a transposed one, copying otherwise. Batch axes broadcast to `batch`.
 */
export function matmulOperand(ctx: LoweringContext, v: View, trans: boolean, batch: readonly number[], label: string): { view: View; trans: boolean } {
  const r = v.shape.length;
  const rows = v.shape[r - 2]!;
  const cols = v.shape[r - 1]!;
  const rs = v.strides[r - 2]!;
  const cs = v.strides[r - 1]!;
  const off = batch.length - (r - 2);
  const batchStrides = batch.map((d, i) => (i < off ? 0 : v.shape[i - off] === d && d !== 1 ? v.strides[i - off]! : 0));
  const make = (shape: number[], strides: number[]): View => ({ buffer: v.buffer, offset: v.offset, shape: [...batch, ...shape], strides: [...batchStrides, ...strides] });
  if ((cs === 1 || cols === 1) && (rows === 1 || rs >= cols)) return { view: make([rows, cols], [rows === 1 ? cols : rs, 1]), trans };
  if ((rs === 1 || rows === 1) && (cols === 1 || cs >= rows)) return { view: make([cols, rows], [cols === 1 ? rows : cs, 1]), trans: !trans };
  const copy = ctx.contiguous({ ...v }, label);
  return matmulOperand(ctx, copy, trans, batch, label);
}

export const linalgRules: LowerTable = {
  matmul: (ctx, { props, inputs, inTypes, outTypes, label }) => {
    const out = outTypes[0]!;
    const r = out.shape.length;
    const batch = out.shape.slice(0, -2);
    const m = out.shape[r - 2]!;
    const n = out.shape[r - 1]!;
    const a = inTypes[0]!;
    const k = props.transA ? a.shape[a.shape.length - 2]! : a.shape[a.shape.length - 1]!;
    const A = matmulOperand(ctx, inputs[0]!, props.transA, batch, label);
    const B = matmulOperand(ctx, inputs[1]!, props.transB, batch, label);
    const o = contiguousView(ctx.newBuffer(out.dtype, sizeOf(out.shape), 'temp'), out.shape);
    ctx.emit({ kind: 'matmul', batch, m, n, k, a: A.view, b: B.view, transA: A.trans, transB: B.trans, alpha: 1, beta: 0, out: o, dtype: out.dtype, label });
    return [o];
  },
};
