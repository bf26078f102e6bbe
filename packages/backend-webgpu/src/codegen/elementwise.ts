import type { ElementwiseKernel, View } from '@symgrad/core';
import { linearIndex, type CodegenContext, type GeneratedKernel } from './kernel.js';
import { renderExprs } from './wgsl-expr.js';
import { BindingTable, castValue, ELEMENT_WORKGROUP, Helpers, splitDispatch, unravel, viewOffset } from './wgsl-exports.js';

/**
 * An elementwise kernel: one invocation per element of the iteration shape. Every view's
 * offset and strides are baked into the shader as constants (shapes are concrete in a
 * Program), so a kernel needs no parameter buffer. All inputs are read before any output
 * is written, so an output may share its buffer and view with an input (in place).
 */
export function generateElementwise(k: ElementwiseKernel, ctx: CodegenContext): GeneratedKernel {
  const n = k.shape.reduce((a, b) => a * b, 1);
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const dispatch = splitDispatch(Math.ceil(n / ELEMENT_WORKGROUP), ctx.limits.maxComputeWorkgroupsPerDimension);
  const idx = k.shape.map((_, d) => `i${d}`);
  // A view laid out exactly like the iteration space is addressed by the linear index
  // itself: no division or modulo (each costs several instructions on GPUs).
  const rowMajor = k.shape.map((_, d) => k.shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const linear = (v: View) => v.strides.every((s, d) => k.shape[d] === 1 || s === rowMajor[d]);
  const at = (v: View) => (linear(v) ? (v.offset ? `${v.offset} + i32(lin)` : 'i32(lin)') : viewOffset(v, idx));
  const needIndex = [...k.inputs, ...k.outputs].some((v) => !linear(v));
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
  const code = [
    `// ${k.label}`,
    t.declarations(),
    h.render(),
    `@compute @workgroup_size(${ELEMENT_WORKGROUP})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
    ...body.map((l) => `  ${l}`),
    '}',
    '',
  ].filter((l) => l !== '').join('\n');
  return { code: `${code}\n`, bindings: t.bindings, dispatch, label: k.label };
}
