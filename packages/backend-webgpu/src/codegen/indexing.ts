import type { DType, ScatterAddKernel, TakeKernel, View } from '@symgrad/core';
import { linearIndex, type CodegenContext, type GeneratedKernel } from './kernel.js';
import { constant } from './wgsl-expr.js';
import { BindingTable, castValue, ELEMENT_WORKGROUP, Helpers, splitDispatch, unravel, viewOffset } from './wgsl-exports.js';

// take and scatterAdd see their operand as [outer, size, inner] and their indices as [n]
// (core's takeGeometry); both launch one invocation per element of the [outer, n, inner]
// side, unravelled into (o, j, i) = (e0, e1, e2), and resolve indices[j] as core's
// takeIndex does: a negative index counts from the end, one still outside [0, size) misses.

function module(label: string, t: BindingTable, h: Helpers, rest: string[]): string {
  return `${[`// ${label}`, t.declarations(), h.render(), ...rest].filter((l) => l !== '').join('\n')}\n`;
}

/** The launch of one invocation per element of `v`, split over the device's grid limit. */
function elementLaunch(v: View, ctx: CodegenContext): { dispatch: [number, number, number]; head: string[] } {
  const n = v.shape.reduce((a, b) => a * b, 1);
  const dispatch = splitDispatch(Math.ceil(n / ELEMENT_WORKGROUP), ctx.limits.maxComputeWorkgroupsPerDimension);
  const head = [
    `  let lin = ${linearIndex(dispatch, ELEMENT_WORKGROUP)};`,
    `  if (lin >= ${n}u) { return; }`,
    ...unravel(v.shape, 'lin', 'e').map((l) => `  ${l}`),
  ];
  return { dispatch, head };
}

/**
 * Statements that leave in `var y: i32` indices[e1] resolved against `size` (negative
 * counts from the end). `index` is the raw load; a float index is truncated as
 * roundTo(int32) does. y + size cannot overflow: y < 0 there and size ≤ 2³¹ − 1.
 */
function resolveIndex(index: string, indexD: DType, size: number, h: Helpers): string[] {
  return [
    `  var y: i32 = ${castValue(index, indexD, 'int32', h)};`,
    `  if (y < 0) { y = y + ${size}; }`,
  ];
}

/**
 * take: output[o, j, i] = input[o, y, i] with y = indices[j] resolved, or `fill` where y is
 * out of range. One invocation per output element; the fill is the constant rounded to the
 * output's dtype as the reference rounds every stored value (NaN by its bits, −2³¹ by an
 * expression, since its literal overflows).
 */
export function generateTake(k: TakeKernel, ctx: CodegenContext): GeneratedKernel {
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const size = k.input.shape[1]!;
  const inD = ctx.dtypeOf(k.input.buffer);
  const outD = ctx.dtypeOf(k.output.buffer);
  const { dispatch, head } = elementLaunch(k.output, ctx);
  const index = `${t.ref(k.indices.buffer)}[${viewOffset(k.indices, ['e1'])}]`;
  const picked = `${t.ref(k.input.buffer)}[${viewOffset(k.input, ['e0', 'y', 'e2'])}]`;
  const code = module(k.label, t, h, [
    `@compute @workgroup_size(${ELEMENT_WORKGROUP})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
    ...head,
    ...resolveIndex(index, ctx.dtypeOf(k.indices.buffer), size, h),
    `  var v = ${constant({ op: 'const', value: k.fill, dtype: outD }, h)};`,
    `  if (y >= 0 && y < ${size}) { v = ${castValue(picked, inD, outD, h)}; }`,
    `  ${t.ref(k.output.buffer, true)}[${viewOffset(k.output, ['e0', 'e1', 'e2'])}] = v;`,
    '}',
  ]);
  return { code, bindings: t.bindings, dispatch, label: k.label };
}

/**
 * scatterAdd: output[o, y, i] += updates[o, j, i] with y = indices[j] resolved; an update
 * whose index is out of range is dropped. One invocation per update element, so repeated
 * indices make invocations add into the same word concurrently: the output is bound as
 * atomic words. int32 adds with atomicAdd (wrapping modulo 2³², as roundTo(int32) does).
 * WGSL has no float atomics, so float32 adds by a compare-exchange loop on the word's bits:
 * read the word, add in f32, store the sum's bits if the word still holds what was read,
 * else retry from the value found. Sums of repeated indices therefore come in whatever
 * order the invocations win, as the Program IR allows.
 *
 * The output's offset and strides are constants in the address like any view's. The
 * Program IR's aliasing rule keeps the updates and indices out of the output's buffer
 * (`kernelAliasingProblems`); a hand-built kernel that puts them there still runs correctly
 * when they are disjoint from the output view: they are read through the same atomic
 * binding with atomicLoad, since a buffer has one binding per kernel.
 */
export function generateScatterAdd(k: ScatterAddKernel, ctx: CodegenContext): GeneratedKernel {
  const outD = ctx.dtypeOf(k.output.buffer);
  if (outD !== 'float32' && outD !== 'int32') throw new Error(`webgpu codegen: scatterAdd into a '${outD}' buffer is not supported (it adds: float32 or int32 only)`);
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const out = t.atomicRef(k.output.buffer);
  const bits = outD === 'float32';
  const load = (v: View, at: string): string => {
    if (v.buffer !== k.output.buffer) return `${t.ref(v.buffer)}[${at}]`;
    return bits ? `bitcast<f32>(atomicLoad(&${out}[${at}]))` : `atomicLoad(&${out}[${at}])`;
  };
  const size = k.output.shape[1]!;
  const { dispatch, head } = elementLaunch(k.updates, ctx);
  const index = load(k.indices, viewOffset(k.indices, ['e1']));
  const update = castValue(load(k.updates, viewOffset(k.updates, ['e0', 'e1', 'e2'])), ctx.dtypeOf(k.updates.buffer), outD, h);
  const add = bits
    ? [
      `  var seen = atomicLoad(&${out}[at]);`,
      '  loop {',
      `    let r = atomicCompareExchangeWeak(&${out}[at], seen, bitcast<u32>(bitcast<f32>(seen) + u));`,
      '    if (r.exchanged) { break; }',
      '    seen = r.old_value;',
      '  }',
    ]
    : [`  atomicAdd(&${out}[at], u);`];
  const code = module(k.label, t, h, [
    `@compute @workgroup_size(${ELEMENT_WORKGROUP})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
    ...head,
    ...resolveIndex(index, ctx.dtypeOf(k.indices.buffer), size, h),
    `  if (y < 0 || y >= ${size}) { return; }`,
    `  let u = ${update};`,
    `  let at = ${viewOffset(k.output, ['e0', 'y', 'e2'])};`,
    ...add,
    '}',
  ]);
  return { code, bindings: t.bindings, dispatch, label: k.label };
}
