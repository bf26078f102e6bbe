import type { DType, ReduceKernel } from '@symgrad/core';
import { linearGroup, linearIndex, type CodegenContext, type GeneratedKernel } from './kernel.js';
import { renderExprs } from './wgsl-expr.js';
import { BindingTable, castValue, Helpers, isFloatD, splitDispatch, unravel, viewOffset, wgslType } from './wgsl-exports.js';

/** Reductions at most this long run one invocation per output; longer ones a workgroup per output. */
export const SERIAL_REDUCE_MAX = 64;
/** Threads of a tree-reduction workgroup. */
export const TREE_WORKGROUP = 256;
const SERIAL_WORKGROUP = 64;
const NONE = '0xffffffffu';

/**
 * A reduce kernel. Short reductions loop in one invocation per output element (in order,
 * as the reference sums). Long ones give each output a workgroup: every invocation loops
 * over a strided share of the reduced elements, then a tree reduction in workgroup memory
 * combines the partials. argmax carries (value, index) pairs; ties and NaNs keep the first
 * index whatever order partials meet in. Accumulation is in the prologue's dtype (bool
 * accumulates as i32); the epilogue sees the reduced value (for argmax, the index).
 */
export function generateReduce(k: ReduceKernel, ctx: CodegenContext): GeneratedKernel {
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const kept = k.shape.map((_, d) => d).filter((d) => !k.axes.includes(d));
  const keptShape = kept.map((d) => k.shape[d]!);
  const redShape = k.axes.map((d) => k.shape[d]!);
  const nOut = keptShape.reduce((a, b) => a * b, 1);
  const r = redShape.reduce((a, b) => a * b, 1);
  const accD: DType = k.prologue.dtype; // argmax compares values in the prologue's dtype too
  const accT = wgslType(accD);
  const float = isFloatD(accD);
  const inf = float ? `${h.use('sg_inf')}()` : '';
  const ident = k.op === 'sum' ? (float ? '0.0f' : '0i')
    : k.op === 'min' ? (float ? inf : '2147483647i')
      : (float ? `(-${inf})` : 'i32(-2147483647 - 1)');
  const combine = (acc: string, pos: string, x: string, xi: string): string => {
    switch (k.op) {
      case 'sum': return `${acc} = ${acc} + ${x};`;
      case 'max': return `${acc} = ${float ? h.use('sg_max') : 'max'}(${acc}, ${x});`;
      case 'min': return `${acc} = ${float ? h.use('sg_min') : 'min'}(${acc}, ${x});`;
      case 'argmax': return `if (better(${acc}, ${pos}, ${x}, ${xi})) { ${acc} = ${x}; ${pos} = ${xi}; }`;
    }
  };
  if (k.op === 'argmax' && float) h.use('sg_isnan');

  // The element at (kept index o, reduced index r): the prologue over the inputs.
  const idx = k.shape.map((_, d) => (kept.includes(d) ? `o${kept.indexOf(d)}` : `r${k.axes.indexOf(d)}`));
  const loads = k.inputs.map((v, j) => ({ name: `x${j}`, dtype: ctx.dtypeOf(v.buffer), line: `let x${j} = ${t.ref(v.buffer)}[${viewOffset(v, idx)}];` }));
  const pro = renderExprs([k.prologue], loads.map((l) => ({ code: l.name, dtype: l.dtype })), h, 'p');
  const elemFn = [
    `fn element(o: u32, r: u32) -> ${accT} {`,
    ...[...unravel(keptShape, 'o', 'o'), ...unravel(redShape, 'r', 'r'), ...loads.map((l) => l.line), ...pro.lines, `return ${pro.values[0]};`].map((l) => `  ${l}`),
    '}',
  ];
  // The reduced value in the prologue's dtype (a bool sum is "any"), then the epilogue, then the store.
  const reduced = k.op === 'argmax' ? `select(i32(pos), 0i, pos == ${NONE})` : accD === 'bool' ? 'select(0i, 1i, acc != 0i)' : 'acc';
  const reducedD: DType = k.op === 'argmax' ? 'int32' : accD;
  const epi = k.epilogue ? renderExprs([k.epilogue], [{ code: 'v', dtype: reducedD }], h, 'q') : { lines: [], values: ['v'] };
  const outD = ctx.dtypeOf(k.output.buffer);
  const finishFn = [
    `fn finish(o: u32, acc: ${accT}, pos: u32) {`,
    ...[
      ...unravel(keptShape, 'o', 'o'),
      `let v = ${reduced};`,
      ...epi.lines,
      `${t.ref(k.output.buffer, true)}[${viewOffset(k.output, kept.map((_, j) => `o${j}`))}] = ${castValue(epi.values[0]!, k.epilogue?.dtype ?? reducedD, outD, h)};`,
    ].map((l) => `  ${l}`),
    '}',
  ];
  const betterFn = k.op !== 'argmax' ? [] : [
    `fn better(av: ${accT}, ai: u32, bv: ${accT}, bi: u32) -> bool {`,
    `  if (bi == ${NONE}) { return false; }`,
    `  if (ai == ${NONE}) { return true; }`,
    ...(float ? [
      '  let an = sg_isnan(av);',
      '  let bn = sg_isnan(bv);',
      '  if (an || bn) { return bn && (!an || bi < ai); }',
    ] : []),
    '  return bv > av || (bv == av && bi < ai);',
    '}',
  ];

  const serial = r <= SERIAL_REDUCE_MAX;
  let main: string[];
  let dispatch: [number, number, number];
  if (serial) {
    dispatch = splitDispatch(Math.ceil(nOut / SERIAL_WORKGROUP), ctx.limits.maxComputeWorkgroupsPerDimension);
    main = [
      `@compute @workgroup_size(${SERIAL_WORKGROUP})`,
      'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
      `  let o = ${linearIndex(dispatch, SERIAL_WORKGROUP)};`,
      `  if (o >= ${nOut}u) { return; }`,
      `  var acc: ${accT} = ${ident};`,
      `  var pos: u32 = ${NONE};`,
      `  for (var r = 0u; r < ${r}u; r = r + 1u) {`,
      `    let x = element(o, r);`,
      `    ${combine('acc', 'pos', 'x', 'r')}`,
      '  }',
      '  finish(o, acc, pos);',
      '}',
    ];
  } else {
    dispatch = splitDispatch(nOut, ctx.limits.maxComputeWorkgroupsPerDimension);
    const wg = TREE_WORKGROUP;
    main = [
      `var<workgroup> sv: array<${accT}, ${wg}>;`,
      `var<workgroup> si: array<u32, ${wg}>;`,
      `@compute @workgroup_size(${wg})`,
      'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {',
      `  let o = ${linearGroup(dispatch)};`,
      `  if (o >= ${nOut}u) { return; }`,
      `  var acc: ${accT} = ${ident};`,
      `  var pos: u32 = ${NONE};`,
      `  for (var r = lid.x; r < ${r}u; r = r + ${wg}u) {`,
      `    let x = element(o, r);`,
      `    ${combine('acc', 'pos', 'x', 'r')}`,
      '  }',
      '  sv[lid.x] = acc;',
      '  si[lid.x] = pos;',
      '  workgroupBarrier();',
      `  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {`,
      '    if (lid.x < s) {',
      '      var a = sv[lid.x];',
      '      var p = si[lid.x];',
      '      let b = sv[lid.x + s];',
      '      let q = si[lid.x + s];',
      `      ${combine('a', 'p', 'b', 'q')}`,
      '      sv[lid.x] = a;',
      '      si[lid.x] = p;',
      '    }',
      '    workgroupBarrier();',
      '  }',
      '  if (lid.x == 0u) { finish(o, sv[0], si[0]); }',
      '}',
    ];
  }
  const code = [`// ${k.label} (${k.op}, ${serial ? 'serial' : 'tree'})`, t.declarations(), h.render(), ...betterFn, ...elemFn, ...finishFn, ...main]
    .filter((l) => l !== '').join('\n');
  return { code: `${code}\n`, bindings: t.bindings, dispatch, label: k.label };
}
