import type { SoftmaxKernel } from '@symgrad/core';
import { linearGroup, type CodegenContext, type GeneratedKernel } from './kernel.js';
import { BindingTable, castValue, Helpers, splitDispatch, viewOffset } from './wgsl-exports.js';

/** Invocations per workgroup (the 256 every non-matmul kernel is checked for). */
export const SOFTMAX_WORKGROUP = 256;
/**
 * Most row elements one invocation keeps in registers between the passes; a longer share
 * (rows over 16 · 256 elements) is read again from memory in each pass instead.
 */
export const SOFTMAX_CACHED_MAX = 16;

/** How a softmax kernel spreads its rows over invocations (pure; exported for tests). */
export interface SoftmaxLayout {
  /** Invocations that share one row: a power of two, at most the workgroup. */
  readonly lanes: number;
  /** Rows per workgroup (workgroup / lanes). */
  readonly rowsPerGroup: number;
  readonly groups: number;
  /** Elements per invocation, kept in registers, or 0 when the row is re-read per pass. */
  readonly cached: number;
}

export function softmaxLayout(rows: number, cols: number): SoftmaxLayout {
  // As many lanes as the row has elements (a power of two for the tree), so short rows
  // share a workgroup rather than leave most of its invocations idle.
  let lanes = 1;
  while (lanes < cols && lanes < SOFTMAX_WORKGROUP) lanes *= 2;
  const rowsPerGroup = SOFTMAX_WORKGROUP / lanes;
  const perLane = Math.max(1, Math.ceil(cols / lanes));
  return { lanes, rowsPerGroup, groups: Math.ceil(rows / rowsPerGroup), cached: perLane <= SOFTMAX_CACHED_MAX ? perLane : 0 };
}

/** A tree reduction over each row's `lanes` slots of `red`, leaving the row's result in its first slot. */
function segmentTree(lanes: number, op: (a: string, b: string) => string): string[] {
  if (lanes === 1) return [];
  return [
    '  workgroupBarrier();',
    `  for (var s = ${lanes / 2}u; s > 0u; s = s >> 1u) {`,
    `    if (lane < s) { red[lid.x] = ${op('red[lid.x]', 'red[lid.x + s]')}; }`,
    '    workgroupBarrier();',
    '  }',
  ];
}

/**
 * Row softmax (or log-softmax) over the last axis of [rows, cols] views, core's optional
 * `softmax` kind: `lanes` invocations per row, several rows per workgroup when rows are
 * short, the row's max (NaN if any element is NaN) and Σ exp(x − max) by tree reductions
 * in workgroup memory, then each element written by the invocation that read it, so an
 * output identical to the input is safe. A share of up to SOFTMAX_CACHED_MAX elements per
 * invocation is read from memory once and kept in registers (unrolled scalars, which no
 * compiler demotes to memory as it may a private array); a longer one is read once per pass.
 */
export function generateSoftmax(k: SoftmaxKernel, ctx: CodegenContext): GeneratedKernel {
  const h = new Helpers();
  const t = new BindingTable(ctx.dtypeOf);
  const [rows, cols] = k.input.shape as [number, number];
  const lay = softmaxLayout(rows, cols);
  const { lanes, rowsPerGroup } = lay;
  const dispatch = splitDispatch(lay.groups, ctx.limits.maxComputeWorkgroupsPerDimension);
  const xD = ctx.dtypeOf(k.input.buffer);
  const load = (c: string) => castValue(`${t.ref(k.input.buffer)}[${viewOffset(k.input, ['r', c])}]`, xD, 'float32', h);
  const outD = ctx.dtypeOf(k.output.buffer);
  const store = (c: string, v: string) => `${t.ref(k.output.buffer, true)}[${viewOffset(k.output, ['r', c])}] = ${castValue(`select(${v}, ${h.use('sg_nan')}(), bad)`, 'float32', outD, h)};`;
  const mx = h.use('sg_max');
  const inf = h.use('sg_inf');
  // Softmax keeps exp(x − m) from the sum pass; log-softmax keeps x.
  const value = (x: string) => (k.log ? `${x} - m - ls` : `${x} / s`);

  let passes: { max: string[]; sum: string[]; write: string[] };
  if (lay.cached) {
    const els = Array.from({ length: lay.cached }, (_, i) => ({ c: `c${i}`, x: `x${i}`, at: i === 0 ? 'lane' : `lane + ${i * lanes}u` }));
    passes = {
      max: els.flatMap(({ c, x, at }) => [`  let ${c} = ${at};`, `  var ${x} = 0.0f;`, `  if (${c} < n) { ${x} = ${load(c)}; pm = ${mx}(pm, ${x}); }`]),
      sum: els.map(({ c, x }) => (k.log ? `  if (${c} < n) { ps = ps + exp(${x} - m); }` : `  if (${c} < n) { ${x} = exp(${x} - m); ps = ps + ${x}; }`)),
      write: els.map(({ c, x }) => `  if (${c} < n) { ${store(c, value(x))} }`),
    };
  } else {
    const loop = (body: string) => `  for (var c = lane; c < n; c = c + ${lanes}u) { ${body} }`;
    passes = {
      max: [loop(`pm = ${mx}(pm, ${load('c')});`)],
      sum: [loop(`ps = ps + exp(${load('c')} - m);`)],
      write: [loop(k.log ? store('c', `${load('c')} - m - ls`) : store('c', `exp(${load('c')} - m) / s`))],
    };
  }

  const group = linearGroup(dispatch);
  const rowOf = rowsPerGroup === 1 ? group : `${dispatch[1] > 1 ? `(${group})` : group} * ${rowsPerGroup}u + ${lanes === 1 ? 'lid.x' : `lid.x / ${lanes}u`}`;
  const code = `${[
    `// ${k.label} (${k.log ? 'log-softmax' : 'softmax'}, ${lanes} lanes × ${rowsPerGroup} row${rowsPerGroup === 1 ? '' : 's'} per workgroup, ${lay.cached ? `${lay.cached} cached per lane` : 're-read per pass'})`,
    t.declarations(),
    h.render(),
    `var<workgroup> red: array<f32, ${SOFTMAX_WORKGROUP}>;`,
    `@compute @workgroup_size(${SOFTMAX_WORKGROUP})`,
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {',
    `  let r = ${rowOf};`,
    lanes === 1 ? '  let lane = 0u;' : lanes === SOFTMAX_WORKGROUP ? '  let lane = lid.x;' : `  let lane = lid.x % ${lanes}u;`,
    // No early return: every invocation must reach the barriers. A row past the end (a
    // workgroup's last rows, an idle group of a 2-D split) reads and writes nothing.
    `  let n = select(0u, ${cols}u, r < ${rows}u);`,
    `  var pm = -${inf}();`,
    ...passes.max,
    '  red[lid.x] = pm;',
    ...segmentTree(lanes, (a, b) => `${mx}(${a}, ${b})`),
    '  let m = red[lid.x - lane];',
    '  workgroupBarrier();',
    '  var ps = 0.0f;',
    ...passes.sum,
    '  red[lid.x] = ps;',
    ...segmentTree(lanes, (a, b) => `${a} + ${b}`),
    '  let s = red[lid.x - lane];',
    ...(k.log ? ['  let ls = log(s);'] : []),
    // A max of ±∞ or NaN makes the whole row NaN (∞ − ∞ in the sum), said by bits since WGSL
    // may assume arithmetic never meets ∞ or NaN (SwiftShader gives 0 for exp(∞ − ∞)).
    '  let bad = (bitcast<u32>(m) & 0x7fffffffu) >= 0x7f800000u;',
    ...passes.write,
    '}',
  ].filter((l) => l !== '').join('\n')}\n`;
  return { code, bindings: t.bindings, dispatch, label: k.label };
}
