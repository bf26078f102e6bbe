import { takeFill, takeGeometry } from '../../ops/indexing.js';
import { sizeOf } from '../../ir/type.js';
import { contiguousView } from '../view.js';
import type { LowerTable } from './types.js';

/**
 * take and scatterAdd view x as [outer, size, inner] around their axis and the indices as one
 * axis of n; scatterAdd copies x into its output and adds the updates there in place.
 */
export const indexingRules: LowerTable = {
  take: (ctx, { props, inputs, inTypes, outTypes, label }) => {
    const out = outTypes[0]!;
    const g = takeGeometry(inTypes[0]!.shape, props.axis, sizeOf(inTypes[1]!.shape));
    const o = ctx.temp(out.dtype, out.shape);
    if (sizeOf(out.shape) > 0) {
      ctx.emit({
        kind: 'take', input: ctx.reshape(inputs[0]!, [g.outer, g.size, g.inner], label), indices: ctx.reshape(inputs[1]!, [g.n], label),
        output: contiguousView(o.buffer, [g.outer, g.n, g.inner]), fill: props.fill ?? takeFill(out.dtype), label,
      });
    }
    return [o];
  },
  scatterAdd: (ctx, { props, inputs, inTypes, outTypes, label }) => {
    const out = outTypes[0]!;
    const g = takeGeometry(inTypes[0]!.shape, props.axis, sizeOf(inTypes[1]!.shape));
    const o = ctx.temp(out.dtype, out.shape);
    ctx.copy(inputs[0]!, o, `${label}.copy`);
    if (sizeOf(inTypes[2]!.shape) > 0) {
      ctx.emit({
        kind: 'scatterAdd', updates: ctx.reshape(inputs[2]!, [g.outer, g.n, g.inner], label), indices: ctx.reshape(inputs[1]!, [g.n], label),
        output: contiguousView(o.buffer, [g.outer, g.size, g.inner]), label,
      });
    }
    return [o];
  },
};
