import { sx } from '../../codegen/scalar-expr.js';
import { REDUCE_OPS, type ReduceOp } from '../../ir/op.js';
import { sizeOf } from '../../ir/type.js';
import type { View } from '../program.js';
import { contiguousView } from '../view.js';
import type { LowerRule, LowerTable } from './types.js';

/** A reduce kernel writes only the kept dims; keepdims is a view with size-1 axes. */
function keptView(out: View, keptShape: readonly number[]): View {
  return contiguousView(out.buffer, keptShape, out.offset);
}

const reduceRule = (ctx: Parameters<LowerRule<ReduceOp>>[0], { op, props, inputs, inTypes, outTypes, label }: Parameters<LowerRule<ReduceOp>>[1]) => {
  const x = inTypes[0]!;
  const out = outTypes[0]!;
  const kept = x.shape.filter((_, i) => !props.axes.includes(i));
  const buf = ctx.newBuffer(out.dtype, sizeOf(kept), 'temp');
  const output = contiguousView(buf, kept);
  const input = sx.input(0, x.dtype);
  ctx.emit({
    kind: 'reduce', op, shape: [...x.shape], axes: [...props.axes], inputs: [inputs[0]!],
    prologue: input.dtype === out.dtype ? input : sx.unary('cast', input, out.dtype), output, label,
  });
  return [keptView(output, out.shape)];
};

export const reduceRules: LowerTable = {
  argmax: (ctx, { props, inputs, inTypes, outTypes, label }) => {
    const x = inTypes[0]!;
    const kept = x.shape.filter((_, i) => i !== props.axis);
    const output = contiguousView(ctx.newBuffer('int32', sizeOf(kept), 'temp'), kept);
    ctx.emit({ kind: 'reduce', op: 'argmax', shape: [...x.shape], axes: [props.axis], inputs: [inputs[0]!], prologue: sx.input(0, x.dtype), output, label });
    return [keptView(output, outTypes[0]!.shape)];
  },
  sizeOf: (ctx, { props, inTypes, outTypes }) => {
    const n = props.axes.reduce((acc, a) => acc * inTypes[0]!.shape[a]!, 1);
    return [ctx.scalarConstant(n, outTypes[0]!.dtype)];
  },
};
for (const op of REDUCE_OPS) (reduceRules as Record<string, unknown>)[op] = reduceRule;
