import { sx } from '../../codegen/scalar-expr.js';
import { sizeOf } from '../../ir/type.js';
import type { LoweringContext } from '../context.js';
import type { View } from '../program.js';
import { broadcastView, contiguousView } from '../view.js';
import type { ConcreteType, LowerTable } from './types.js';

/** The row max and Σ exp(x − max) along `axis`, as views broadcast back to x's shape. */
function expSums(ctx: LoweringContext, x: View, t: ConcreteType, axis: number, label: string): { max: View; sum: View } {
  const kept = t.shape.filter((_, i) => i !== axis);
  const keep1 = t.shape.map((d, i) => (i === axis ? 1 : d));
  const mBuf = contiguousView(ctx.newBuffer(t.dtype, sizeOf(kept), 'temp'), kept);
  ctx.emit({ kind: 'reduce', op: 'max', shape: [...t.shape], axes: [axis], inputs: [x], prologue: sx.input(0, t.dtype), output: mBuf, label: `${label}.max` });
  const max = broadcastView(contiguousView(mBuf.buffer, keep1), t.shape);
  const sBuf = contiguousView(ctx.newBuffer(t.dtype, sizeOf(kept), 'temp'), kept);
  const shifted = sx.unary('exp', sx.binary('sub', sx.input(0, t.dtype), sx.input(1, t.dtype), t.dtype));
  ctx.emit({ kind: 'reduce', op: 'sum', shape: [...t.shape], axes: [axis], inputs: [x, max], prologue: shifted, output: sBuf, label: `${label}.sum` });
  return { max, sum: broadcastView(contiguousView(sBuf.buffer, keep1), t.shape) };
}

/** Softmax along the last axis as one fused row kernel, for a backend that runs it. */
function rowSoftmax(ctx: LoweringContext, x: View, t: ConcreteType, log: boolean, label: string): View {
  const cols = t.shape[t.shape.length - 1]!;
  const rows = sizeOf(t.shape) / Math.max(cols, 1);
  const output = ctx.temp(t.dtype, [rows, cols]);
  ctx.emit({ kind: 'softmax', input: ctx.reshape(x, [rows, cols], label), output, log, dtype: t.dtype, label });
  return contiguousView(output.buffer, t.shape);
}

const lastAxis = (t: ConcreteType, axis: number): boolean => axis === t.shape.length - 1;

export const nnetRules: LowerTable = {
  softmax: (ctx, { props, inputs, inTypes, label }) => {
    const t = inTypes[0]!;
    if (ctx.supports('softmax') && lastAxis(t, props.axis)) return [rowSoftmax(ctx, inputs[0]!, t, false, label)];
    const { max, sum } = expSums(ctx, inputs[0]!, t, props.axis, label);
    const [x, m, s] = [0, 1, 2].map((i) => sx.input(i, t.dtype));
    const e = sx.binary('div', sx.unary('exp', sx.binary('sub', x!, m!, t.dtype)), s!, t.dtype);
    return [ctx.elementwise(t.shape, [inputs[0]!, max, sum], e, label)];
  },
  logSoftmax: (ctx, { props, inputs, inTypes, label }) => {
    const t = inTypes[0]!;
    if (ctx.supports('softmax') && lastAxis(t, props.axis)) return [rowSoftmax(ctx, inputs[0]!, t, true, label)];
    const { max, sum } = expSums(ctx, inputs[0]!, t, props.axis, label);
    const [x, m, s] = [0, 1, 2].map((i) => sx.input(i, t.dtype));
    const e = sx.binary('sub', sx.binary('sub', x!, m!, t.dtype), sx.unary('log', s!), t.dtype);
    return [ctx.elementwise(t.shape, [inputs[0]!, max, sum], e, label)];
  },
  categoricalCrossentropy: (ctx, { inputs, inTypes, outTypes, label }) => {
    const p = inTypes[0]!;
    const out = outTypes[0]!;
    const classes = p.shape[p.shape.length - 1]!;
    const rows = sizeOf(out.shape);
    if (inTypes[1]!.dtype === 'int32') {
      const probs = ctx.reshape(inputs[0]!, [rows, classes], label);
      const labels = ctx.reshape(inputs[1]!, [rows], label);
      const picked = ctx.temp(p.dtype, [rows]);
      ctx.emit({ kind: 'gather', input: probs, indices: labels, output: picked, label: `${label}.gather` });
      const loss = ctx.elementwise([rows], [picked], sx.unary('neg', sx.unary('log', sx.input(0, p.dtype))), label);
      return [contiguousView(loss.buffer, out.shape)];
    }
    const o = contiguousView(ctx.newBuffer(p.dtype, rows, 'temp'), out.shape);
    const [pi, ti] = [sx.input(0, p.dtype), sx.input(1, p.dtype)];
    ctx.emit({
      kind: 'reduce', op: 'sum', shape: [...p.shape], axes: [p.shape.length - 1], inputs: [inputs[0]!, inputs[1]!],
      prologue: sx.binary('mul', ti, sx.unary('log', pi), p.dtype), epilogue: sx.unary('neg', sx.input(0, p.dtype)), output: o, label,
    });
    return [o];
  },
  softmaxCrossEntropy: (ctx, { inputs, inTypes, outTypes, label }) => {
    const z = inTypes[0]!;
    const classes = z.shape[z.shape.length - 1]!;
    const rows = sizeOf(outTypes[0]!.shape);
    const loss = ctx.temp(z.dtype, [rows]);
    ctx.emit({ kind: 'softmaxCrossEntropy', logits: ctx.reshape(inputs[0]!, [rows, classes], label), labels: ctx.reshape(inputs[1]!, [rows], label), loss, dtype: z.dtype, label });
    return [contiguousView(loss.buffer, outTypes[0]!.shape)];
  },
  softmaxCrossEntropyGrad: (ctx, { inputs, inTypes, outTypes, label }) => {
    const z = inTypes[0]!;
    const classes = z.shape[z.shape.length - 1]!;
    const rows = sizeOf(z.shape) / Math.max(classes, 1);
    const loss = ctx.temp(z.dtype, [rows]);
    const grad = ctx.temp(z.dtype, [rows, classes]);
    const g = inputs[2]!;
    const scale = g.shape.length === 1 ? g : ctx.reshape(g, [rows], label);
    ctx.emit({
      kind: 'softmaxCrossEntropy', logits: ctx.reshape(inputs[0]!, [rows, classes], label), labels: ctx.reshape(inputs[1]!, [rows], label),
      loss, grad: { output: grad, scale }, dtype: z.dtype, label,
    });
    return [contiguousView(grad.buffer, outTypes[0]!.shape)];
  },
  oneHot: (ctx, { props, inputs, outTypes, label }) => {
    const out = outTypes[0]!;
    const o = ctx.temp(out.dtype, out.shape);
    ctx.emit({ kind: 'oneHot', indices: inputs[0]!, depth: props.depth, output: o, dtype: out.dtype, label });
    return [o];
  },
};
