import { sx } from '../../codegen/scalar-expr.js';
import { resolveSliceAxis } from '../../ops/movement.js';
import type { View } from '../program.js';
import { broadcastView, sliceView, transposeView } from '../view.js';
import type { ConcreteType, LowerTable } from './types.js';

function sliceOf(v: View, shape: readonly number[], p: { begin: number[]; end: (number | null)[]; step: number[] }): View {
  const axes = shape.map((d, i) => resolveSliceAxis(d, p.begin[i]!, p.end[i]!, p.step[i]!));
  return sliceView(v, axes.map((a) => a.start), p.step, axes.map((a) => a.length));
}

/** Offsets along `axis` where each piece starts when pieces are laid end to end. */
function pieceViews(whole: View, pieces: readonly ConcreteType[], axis: number): View[] {
  let at = 0;
  return pieces.map((t) => {
    const start = whole.shape.map((_, i) => (i === axis ? at : 0));
    at += t.shape[axis]!;
    return sliceView(whole, start, whole.shape.map(() => 1), t.shape);
  });
}

/** Movement ops are views (strides and offsets); only a reshape of a non-contiguous view copies. */
export const movementRules: LowerTable = {
  transpose: (_ctx, { props, inputs }) => [transposeView(inputs[0]!, props.perm)],
  reshape: (ctx, { inputs, outTypes, label }) => [ctx.reshape(inputs[0]!, outTypes[0]!.shape, label)],
  reshapeLike: (ctx, { inputs, outTypes, label }) => [ctx.reshape(inputs[0]!, outTypes[0]!.shape, label)],
  broadcastTo: (_ctx, { inputs, outTypes }) => [broadcastView(inputs[0]!, outTypes[0]!.shape)],
  broadcastLike: (_ctx, { inputs, outTypes }) => [broadcastView(inputs[0]!, outTypes[0]!.shape)],
  slice: (_ctx, { props, inputs, inTypes }) => [sliceOf(inputs[0]!, inTypes[0]!.shape, props)],
  padSlice: (ctx, { props, inputs, inTypes, outTypes, label }) => {
    const out = outTypes[0]!;
    const o = ctx.temp(out.dtype, out.shape);
    ctx.emit({ kind: 'elementwise', shape: [...out.shape], inputs: [], outputs: [o], exprs: [sx.const(0, out.dtype)], label: `${label}.zeros` });
    ctx.copy(inputs[0]!, sliceOf(o, inTypes[1]!.shape, props), label);
    return [o];
  },
  concat: (ctx, { props, inputs, inTypes, outTypes, label }) => {
    const out = outTypes[0]!;
    const o = ctx.temp(out.dtype, out.shape);
    pieceViews(o, inTypes, props.axis).forEach((dst, i) => ctx.copy(inputs[i]!, dst, label));
    return [o];
  },
  splitLike: (_ctx, { props, inputs, inTypes }) => pieceViews(inputs[0]!, inTypes.slice(1), props.axis),
};
