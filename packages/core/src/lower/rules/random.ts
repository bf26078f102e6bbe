import type { LowerTable } from './types.js';

export const randomRules: LowerTable = {
  random: (ctx, { props, inputs, outTypes, label }) => {
    const out = outTypes[0]!;
    const output = ctx.temp(out.dtype, out.shape);
    const next = ctx.temp('int32', [4]);
    ctx.emit({ kind: 'random', distribution: props.distribution, state: ctx.contiguous(inputs[0]!, label), output, next, dtype: out.dtype, label });
    return [output, next];
  },
};
