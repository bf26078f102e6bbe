import type { GatherKernel, OneHotKernel, SoftmaxCrossEntropyKernel } from '@symgrad/core';
import { linearGroup, linearIndex, type CodegenContext, type GeneratedKernel } from './kernel.js';
import { BindingTable, castValue, ELEMENT_WORKGROUP, Helpers, isFloatD, splitDispatch, unravel, viewOffset } from './wgsl-exports.js';

function module(label: string, t: BindingTable, h: Helpers, rest: string[]): string {
  return `${[`// ${label}`, t.declarations(), h.render(), ...rest].filter((l) => l !== '').join('\n')}\n`;
}

/** The label index at a view position as i32 (float labels are truncated as roundTo(int32) does). */
function labelValue(code: string, dtype: import('@symgrad/core').DType, h: Helpers): string {
  return castValue(code, dtype, 'int32', h);
}

/** output[r] = input[r, indices[r]]; an index out of range gives NaN (0 in an integer output). */
export function generateGather(k: GatherKernel, ctx: CodegenContext): GeneratedKernel {
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const rows = k.output.shape[0] ?? 1;
  const classes = k.input.shape[1]!;
  const dispatch = splitDispatch(Math.ceil(rows / ELEMENT_WORKGROUP), ctx.limits.maxComputeWorkgroupsPerDimension);
  const inD = ctx.dtypeOf(k.input.buffer);
  const outD = ctx.dtypeOf(k.output.buffer);
  const idxD = ctx.dtypeOf(k.indices.buffer);
  const missing = isFloatD(inD) ? `${h.use('sg_nan')}()` : '0i';
  const code = module(k.label, t, h, [
    `@compute @workgroup_size(${ELEMENT_WORKGROUP})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
    `  let r = ${linearIndex(dispatch, ELEMENT_WORKGROUP)};`,
    `  if (r >= ${rows}u) { return; }`,
    `  let y = ${labelValue(`${t.ref(k.indices.buffer)}[${viewOffset(k.indices, ['r'])}]`, idxD, h)};`,
    `  var v = ${missing};`,
    `  if (y >= 0 && y < ${classes}) { v = ${t.ref(k.input.buffer)}[${viewOffset(k.input, ['r', 'u32(y)'])}]; }`,
    `  ${t.ref(k.output.buffer, true)}[${viewOffset(k.output, ['r'])}] = ${castValue('v', inD, outD, h)};`,
    '}',
  ]);
  return { code, bindings: t.bindings, dispatch, label: k.label };
}

/** output[..., c] = indices[...] == c ? 1 : 0. */
export function generateOneHot(k: OneHotKernel, ctx: CodegenContext): GeneratedKernel {
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const n = k.output.shape.reduce((a, b) => a * b, 1);
  const rank = k.output.shape.length;
  const dispatch = splitDispatch(Math.ceil(n / ELEMENT_WORKGROUP), ctx.limits.maxComputeWorkgroupsPerDimension);
  const idx = k.output.shape.map((_, d) => `i${d}`);
  const idxD = ctx.dtypeOf(k.indices.buffer);
  const outD = ctx.dtypeOf(k.output.buffer);
  const load = `${t.ref(k.indices.buffer)}[${viewOffset(k.indices, idx.slice(0, -1))}]`;
  const hit = isFloatD(idxD) ? `(${load} == f32(i${rank - 1}))` : `(${load} == i32(i${rank - 1}))`;
  const code = module(k.label, t, h, [
    `@compute @workgroup_size(${ELEMENT_WORKGROUP})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
    `  let lin = ${linearIndex(dispatch, ELEMENT_WORKGROUP)};`,
    `  if (lin >= ${n}u) { return; }`,
    ...unravel(k.output.shape, 'lin', 'i').map((l) => `  ${l}`),
    `  ${t.ref(k.output.buffer, true)}[${viewOffset(k.output, idx)}] = ${castValue(`select(0i, 1i, ${hit})`, 'int32', outD, h)};`,
    '}',
  ]);
  return { code, bindings: t.bindings, dispatch, label: k.label };
}

const SCE_WORKGROUP = 64;

/**
 * Softmax cross-entropy, one workgroup per row: a tree max, a tree sum of exp(z − max),
 * then loss = max + log(sum) − z[label] (NaN for a label out of range) and, when asked,
 * grad[c] = (exp(z[c] − max)/sum − [c = label]) · scale.
 */
export function generateSoftmaxCrossEntropy(k: SoftmaxCrossEntropyKernel, ctx: CodegenContext): GeneratedKernel {
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const [rows, classes] = k.logits.shape as [number, number];
  const dispatch = splitDispatch(rows, ctx.limits.maxComputeWorkgroupsPerDimension);
  const zD = ctx.dtypeOf(k.logits.buffer);
  const z = (c: string) => castValue(`${t.ref(k.logits.buffer)}[${viewOffset(k.logits, ['r', c])}]`, zD, 'float32', h);
  const y = labelValue(`${t.ref(k.labels.buffer)}[${viewOffset(k.labels, ['r'])}]`, ctx.dtypeOf(k.labels.buffer), h);
  const lossD = ctx.dtypeOf(k.loss.buffer);
  const mx = h.use('sg_max');
  const nan = h.use('sg_nan');
  const wg = SCE_WORKGROUP;
  const tree = (op: (a: string, b: string) => string) => [
    '  workgroupBarrier();',
    `  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {`,
    `    if (lid.x < s) { red[lid.x] = ${op('red[lid.x]', 'red[lid.x + s]')}; }`,
    '    workgroupBarrier();',
    '  }',
  ];
  const grad = k.grad
    ? [
      `  let sc = ${castValue(`${t.ref(k.grad.scale.buffer)}[${viewOffset(k.grad.scale, ['r'])}]`, ctx.dtypeOf(k.grad.scale.buffer), 'float32', h)};`,
      `  for (var c = lid.x; c < ${classes}u; c = c + ${wg}u) {`,
      `    let g = (exp(${z('c')} - m) / s - select(0.0f, 1.0f, i32(c) == y)) * sc;`,
      `    ${t.ref(k.grad.output.buffer, true)}[${viewOffset(k.grad.output, ['r', 'c'])}] = ${castValue('g', 'float32', ctx.dtypeOf(k.grad.output.buffer), h)};`,
      '  }',
    ]
    : [];
  const code = module(k.label, t, h, [
    `var<workgroup> red: array<f32, ${wg}>;`,
    `@compute @workgroup_size(${wg})`,
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {',
    `  let r = ${linearGroup(dispatch)};`,
    `  if (r >= ${rows}u) { return; }`,
    `  var pm = -${h.use('sg_inf')}();`,
    `  for (var c = lid.x; c < ${classes}u; c = c + ${wg}u) { pm = ${mx}(pm, ${z('c')}); }`,
    '  red[lid.x] = pm;',
    ...tree((a, b) => `${mx}(${a}, ${b})`),
    '  let m = red[0];',
    '  workgroupBarrier();',
    '  var ps = 0.0f;',
    `  for (var c = lid.x; c < ${classes}u; c = c + ${wg}u) { ps = ps + exp(${z('c')} - m); }`,
    '  red[lid.x] = ps;',
    ...tree((a, b) => `${a} + ${b}`),
    '  let s = red[0];',
    `  let y = ${y};`,
    '  if (lid.x == 0u) {',
    `    var loss = ${nan}();`,
    `    if (y >= 0 && y < ${classes}) { loss = m + log(s) - ${z('u32(y)')}; }`,
    `    ${t.ref(k.loss.buffer, true)}[${viewOffset(k.loss, ['r'])}] = ${castValue('loss', 'float32', lossD, h)};`,
    '  }',
    ...grad,
    '}',
  ]);
  return { code, bindings: t.bindings, dispatch, label: k.label };
}
