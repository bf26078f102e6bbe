import { sx, type ScalarExpr } from '../../codegen/scalar-expr.js';
import { BINARY_OPS, COMPARE_OPS, UNARY_OPS, type BinaryOp, type CompareOp, type UnaryOp } from '../../ir/op.js';
import { broadcastView } from '../view.js';
import type { LowerRule, LowerTable } from './types.js';

/** One elementwise kernel per op: the op applied to broadcast views of its inputs. */
const elementwiseRule = (ctx: Parameters<LowerRule<'add'>>[0], { op, inputs, inTypes, outTypes, label }: Parameters<LowerRule<UnaryOp | BinaryOp | CompareOp>>[1]) => {
  const out = outTypes[0]!;
  const args = inTypes.map((t, i) => sx.input(i, t.dtype));
  const expr: ScalarExpr = args.length === 1 ? sx.unary(op as UnaryOp, args[0]!, out.dtype) : sx.binary(op as BinaryOp | CompareOp, args[0]!, args[1]!, out.dtype);
  return [ctx.elementwise(out.shape, inputs.map((v) => broadcastView(v, out.shape)), expr, label)];
};

export const elementwiseRules: LowerTable = {
  where: (ctx, { inputs, inTypes, outTypes, label }) => {
    const out = outTypes[0]!;
    const [c, a, b] = inTypes.map((t, i) => sx.input(i, t.dtype));
    return [ctx.elementwise(out.shape, inputs.map((v) => broadcastView(v, out.shape)), sx.where(c!, a!, b!, out.dtype), label)];
  },
  cast: (ctx, { inputs, inTypes, outTypes, label }) => {
    const out = outTypes[0]!;
    return [ctx.elementwise(out.shape, [inputs[0]!], sx.unary('cast', sx.input(0, inTypes[0]!.dtype), out.dtype), label)];
  },
};
for (const op of [...UNARY_OPS, ...BINARY_OPS, ...COMPARE_OPS]) {
  (elementwiseRules as Record<string, unknown>)[op] = elementwiseRule;
}
