import { type ElementwiseKernel, type View } from '@symgrad/core';
import { linearIndex, type CodegenContext, type GeneratedKernel } from './kernel.js';
import { renderExprs } from './wgsl-expr.js';
import {
  BindingTable, castValue, castVec4, ELEMENT_WORKGROUP, Helpers, renderExprsVec4, splitDispatch, unravel, viewOffset,
} from './wgsl-exports.js';

/**
 * Fewest elements for the vec4 form: below one full vec4 there is nothing to vectorize
 * and the scalar kernel is as fast and simpler.
 */
export const VEC4_MIN_ELEMENTS = 4;

/**
 * An elementwise kernel. Every view's offset and strides are baked into the shader as
 * constants (shapes are concrete in a Program), so a kernel needs no parameter buffer. All
 * inputs are read before any output is written, so an output may share its buffer and view
 * with an input (in place).
 *
 * When every view is laid out like the iteration space (addressed by the linear index) at
 * an offset that is a multiple of 4, each invocation handles four consecutive elements
 * through vec4 loads and stores (one 16-byte access instead of four 4-byte ones); otherwise
 * one invocation handles one element.
 */
export function generateElementwise(k: ElementwiseKernel, ctx: CodegenContext): GeneratedKernel {
  const n = k.shape.reduce((a, b) => a * b, 1);
  // A view laid out exactly like the iteration space is addressed by the linear index
  // itself: no division or modulo (each costs several instructions on GPUs).
  const rowMajor = k.shape.map((_, d) => k.shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const linear = (v: View) => v.strides.every((s, d) => k.shape[d] === 1 || s === rowMajor[d]);
  const views = [...k.inputs, ...k.outputs];
  if (n >= VEC4_MIN_ELEMENTS && views.every((v) => linear(v) && v.offset % 4 === 0)) return generateVec4(k, n, ctx);

  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const dispatch = splitDispatch(Math.ceil(n / ELEMENT_WORKGROUP), ctx.limits.maxComputeWorkgroupsPerDimension);
  const idx = k.shape.map((_, d) => `i${d}`);
  const at = (v: View) => (linear(v) ? (v.offset ? `${v.offset} + i32(lin)` : 'i32(lin)') : viewOffset(v, idx));
  const needIndex = views.some((v) => !linear(v));
  const loads = k.inputs.map((v, j) => ({ name: `x${j}`, dtype: ctx.dtypeOf(v.buffer), line: `let x${j} = ${t.ref(v.buffer)}[${at(v)}];` }));
  const r = renderExprs(k.exprs, loads.map((l) => ({ code: l.name, dtype: l.dtype })), h, 'e');
  const stores = k.outputs.map((v, j) => {
    const dt = ctx.dtypeOf(v.buffer);
    return `${t.ref(v.buffer, true)}[${at(v)}] = ${castValue(r.values[j]!, k.exprs[j]!.dtype, dt, h)};`;
  });
  const body = [
    `let lin = ${linearIndex(dispatch, ELEMENT_WORKGROUP)};`,
    `if (lin >= ${n}u) { return; }`,
    ...(needIndex ? unravel(k.shape, 'lin', 'i') : []),
    ...loads.map((l) => l.line),
    ...r.lines,
    ...stores,
  ];
  return module(k.label, t, 1, h, body, dispatch);
}

/**
 * The vec4 form: invocation q handles elements 4q … 4q+3 (every view is linear, so element
 * e of a view is word offset + e, and offset % 4 == 0 makes that vec4 offset/4 + q).
 *
 * The tail (n % 4 elements) is the last invocation's vec4, which runs past element n-1. Its
 * loads stay inside the buffer because the runtime pads every buffer to a multiple of 16
 * bytes (byteSizeOf in runtime/buffers.ts): lanes beyond n read padding or the buffer's
 * next elements, compute values nobody keeps, and cannot trap (WGSL arithmetic never
 * does). Its stores write only the lanes below n, one vector component each: WGSL's memory
 * locations are the scalar components, so `b[i].x = v.x` touches that word alone. Storing
 * the whole vec4 would clobber words past the view that another kernel's data may occupy,
 * a read-modify-write of them would race with any other writer of those words, and a
 * second scalar binding of the same buffer is not allowed (a writable storage binding
 * cannot alias another binding).
 */
function generateVec4(k: ElementwiseKernel, n: number, ctx: CodegenContext): GeneratedKernel {
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const quads = Math.ceil(n / 4);
  const full = Math.floor(n / 4);
  const dispatch = splitDispatch(Math.ceil(quads / ELEMENT_WORKGROUP), ctx.limits.maxComputeWorkgroupsPerDimension);
  const at = (v: View) => (v.offset ? `${v.offset / 4} + i32(q)` : 'i32(q)');
  const loads = k.inputs.map((v, j) => ({ name: `x${j}`, dtype: ctx.dtypeOf(v.buffer), line: `let x${j} = ${t.ref(v.buffer)}[${at(v)}];` }));
  const r = renderExprsVec4(k.exprs, loads.map((l) => ({ code: l.name, dtype: l.dtype })), h, 'e');
  const outs = k.outputs.map((v, j) => ({
    ref: `${t.ref(v.buffer, true)}[${at(v)}]`,
    value: `y${j}`,
    line: `let y${j} = ${castVec4(r.values[j]!, k.exprs[j]!.dtype, ctx.dtypeOf(v.buffer), h)};`,
  }));
  const whole = outs.map((o) => `${o.ref} = ${o.value};`);
  const stores = n % 4 === 0 ? whole : [
    `if (q < ${full}u) {`,
    ...whole.map((l) => `  ${l}`),
    '} else {',
    ...outs.flatMap((o) => ['x', 'y', 'z', 'w'].slice(0, n % 4).map((c) => `  ${o.ref}.${c} = ${o.value}.${c};`)),
    '}',
  ];
  const body = [
    `let q = ${linearIndex(dispatch, ELEMENT_WORKGROUP)};`,
    `if (q >= ${quads}u) { return; }`,
    ...loads.map((l) => l.line),
    ...r.lines,
    ...outs.map((o) => o.line),
    ...stores,
  ];
  return module(`${k.label} (vec4)`, t, 4, h, body, dispatch, k.label);
}

function module(title: string, t: BindingTable, lanes: 1 | 4, h: Helpers, body: string[], dispatch: [number, number, number], label = title): GeneratedKernel {
  const code = [
    `// ${title}`,
    t.declarations(lanes),
    h.render(),
    `@compute @workgroup_size(${ELEMENT_WORKGROUP})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
    ...body.map((l) => `  ${l}`),
    '}',
    '',
  ].filter((l) => l !== '').join('\n');
  return { code: `${code}\n`, bindings: t.bindings, dispatch, label };
}
