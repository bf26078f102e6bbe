import type { DType, GatherKernel, OneHotKernel, SoftmaxCrossEntropyKernel, SoftmaxKernel, View } from '@symgrad/core';
import { groupSize } from './device-prelude.js';
import { indexType, offsetOf, product, unravel } from './index-math.js';
import { Params } from './params.js';
import { BLOCK, blocksFor, type GeneratedKernel } from './plan.js';
import { computeType, convert, cudaLiteral } from './render-cuda.js';

const ind = (ls: readonly string[], n: number) => ls.map((l) => ' '.repeat(n) + l).join('\n');

/** A kernel whose body runs once per element i of n, in a grid-stride loop (any grid covers every element). */
export function gridStride(name: string, sig: string, IT: string, n: number, body: readonly string[]): string {
  return `extern "C" __global__ void __launch_bounds__(${BLOCK}) ${name}(${sig}) {
  for (${IT} i = (${IT})blockIdx.x * ${BLOCK} + threadIdx.x; i < (${IT})${n}; i += (${IT})gridDim.x * ${BLOCK}) {
${ind(body, 4)}
  }
}
`;
}

/** output[r] = input[r, indices[r]], NaN (0 for integer outputs) when the index is out of range. */
export function renderGather(k: GatherKernel, index: number, dtypes: readonly DType[]): GeneratedKernel {
  const name = `k${index}_gather`;
  const [rows, classes] = k.input.shape as [number, number];
  const IT = indexType(rows * 2, [k.input, k.indices, k.output]);
  const p = new Params(dtypes);
  const inT = p.dtype(k.input), outT = p.dtype(k.output), idxT = p.dtype(k.indices);
  const body = [
    `const int y = ${convert(idxT, 'int32', `(${computeType(idxT)})${p.ref(k.indices)}[${offsetOf(k.indices, ['i'])}]`)};`,
    `${p.ref(k.output, true)}[${offsetOf(k.output, ['i'])}] = (y >= 0 && y < ${classes}) ? ${convert(inT, outT, `(${computeType(inT)})${p.ref(k.input)}[${offsetOf(k.input, ['i', `(${IT})y`])}]`)} : ${cudaLiteral(outT, NaN)};`,
  ];
  return { source: gridStride(name, p.signature(), IT, rows, body), launch: { kind: 'launch', name, grid: [blocksFor(rows), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what: `kernel ${index} (gather)` } };
}

/** output[..., c] = indices[...] == c ? 1 : 0. */
export function renderOneHot(k: OneHotKernel, index: number, dtypes: readonly DType[]): GeneratedKernel {
  const name = `k${index}_oneHot`;
  const shape = k.output.shape;
  const n = product(shape);
  const IT = indexType(n, [k.indices, k.output]);
  const p = new Params(dtypes);
  const { lines, dims } = unravel('i', shape, 'd', IT);
  const idxT = p.dtype(k.indices), outT = p.dtype(k.output);
  const c = dims[dims.length - 1]!;
  const body = [
    ...lines,
    `const int y = ${convert(idxT, 'int32', `(${computeType(idxT)})${p.ref(k.indices)}[${offsetOf(k.indices, dims.slice(0, -1))}]`)};`,
    `${p.ref(k.output, true)}[${offsetOf(k.output, dims)}] = (${IT})y == ${c} ? ${cudaLiteral(outT, 1)} : ${cudaLiteral(outT, 0)};`,
  ];
  return { source: gridStride(name, p.signature(), IT, n, body), launch: { kind: 'launch', name, grid: [blocksFor(n), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what: `kernel ${index} (oneHot)` } };
}

/**
 * One kernel of softmax's family (softmax cross-entropy, row softmax) over the rows of its
 * [rows, cols] input, as the row kernels below and the per-row tails in other kernels need it.
 */
interface RowSpec {
  /** The kernel kind, for names and messages. */
  readonly kind: string;
  readonly rows: number;
  readonly cols: number;
  /** The compute dtype. */
  readonly dt: DType;
  /** Every view the kernel reads or writes. */
  readonly views: readonly View[];
  /** Registers the input and returns how to read element (row, c) in the compute type. */
  readonly input: (p: Params) => (c: string) => string;
  /**
   * The lines that finish a row once its max m and s = Σ exp(x − m) are known (row, valid,
   * lane in scope; G threads per row); `barrier` orders the row's reads before its writes
   * where the kernel needs that.
   */
  readonly finish: (p: Params, IT: string, G: number, x: (c: string) => string, barrier: string) => string[];
}

/** The compute dtype of a softmax-family kernel: float64 stays float64, everything else is computed in float32. */
const rowDtype = (dtype: DType): DType => (dtype === 'float64' ? 'float64' : 'float32');

/**
 * The lines giving a row's group of G threads (row, valid and lane in scope) the row max m
 * (NaN if any element is NaN) and s = Σ exp(x − m), by group reductions through `sh` (every
 * thread of the block takes part when G > 32).
 */
function rowMaxSumLines(dt: DType, IT: string, cols: number, G: number, x: (c: string) => string, sh: string): string[] {
  const T = computeType(dt);
  const exp = dt === 'float32' ? 'expf' : 'exp';
  return [
    `${T} m = ${cudaLiteral(dt, -Infinity)};`,
    `if (valid) for (${IT} c = lane; c < ${cols}; c += ${G}) m = SgMax()(m, ${x('c')});`,
    `m = sg_group_reduce<${G}>(m, SgMax(), ${sh});`,
    `${T} s = 0;`,
    `if (valid) for (${IT} c = lane; c < ${cols}; c += ${G}) s += ${exp}(${x('c')} - m);`,
    `s = sg_group_reduce<${G}>(s, SgSum(), ${sh});`,
  ];
}

/**
 * A kernel of its own for `spec`, each row a group of G threads: the row max m and
 * s = Σ exp(x − m) (rowMaxSumLines), then the spec's finishing lines.
 */
function renderRowKernel(spec: RowSpec, index: number, dtypes: readonly DType[]): GeneratedKernel {
  const name = `k${index}_${spec.kind}`;
  const G = groupSize(spec.cols);
  const P = BLOCK / G;
  const IT = indexType(spec.rows + BLOCK * 8192, spec.views);
  const p = new Params(dtypes);
  // Register every parameter before the signature is rendered.
  const x = spec.input(p);
  const rest = spec.finish(p, IT, G, x, '__syncthreads();');
  const source = `extern "C" __global__ void __launch_bounds__(${BLOCK}) ${name}(${p.signature()}) {
  __shared__ ${computeType(spec.dt)} sh[${BLOCK / 32}];
  const int lane = threadIdx.x % ${G};
  for (${IT} row0 = (${IT})blockIdx.x * ${P}; row0 < (${IT})${spec.rows}; row0 += (${IT})gridDim.x * ${P}) {
    const ${IT} row = row0 + threadIdx.x / ${G};
    const bool valid = row < (${IT})${spec.rows};
${ind([...rowMaxSumLines(spec.dt, IT, spec.cols, G, x, 'sh'), ...rest], 4)}
  }
}
`;
  return { source, launch: { kind: 'launch', name, grid: [blocksFor(spec.rows, P), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what: `kernel ${index} (${spec.kind})` } };
}

/**
 * `spec` for row `row` as lines for a kernel that gives each row a warp (lane = the thread's
 * lane) and has just stored the row (`row` warp-uniform, possibly past the last row): the
 * warp's barrier, so the row is read back from memory as the kernel it replaces would read
 * it, then row, valid, m, s and the finishing lines. For at most 32 columns.
 */
function warpRowTail(spec: RowSpec, p: Params, IT: string, row: string): string[] {
  if (spec.cols > 32) throw new Error(`render-cuda: ${spec.kind} inside a product: a warp per row takes at most 32 columns (got ${spec.cols})`);
  const x = spec.input(p);
  const lines = [
    '__syncwarp();',
    `const ${IT} row = ${row};`,
    `const bool valid = row < (${IT})${spec.rows};`,
    ...rowMaxSumLines(spec.dt, IT, spec.cols, 32, x, `(${computeType(spec.dt)}*)0`),
    ...spec.finish(p, IT, 32, x, '__syncwarp();'),
  ];
  return ['{', ...lines.map((l) => `  ${l}`), '}'];
}

/** A RowSpec's `input`: registers view `v` ([rows, cols]) and reads element (row, c) in compute dtype `dt`. */
function rowReader(v: View, dt: DType): RowSpec['input'] {
  return (p) => {
    const vT = p.dtype(v);
    const vp = p.ref(v);
    return (c) => convert(vT, dt, `(${computeType(vT)})${vp}[${offsetOf(v, ['row', c])}]`);
  };
}

/** What both row kinds start from: the [rows, cols] view's sizes, the compute dtype and its C type, math names in that precision (expf / exp), and the row reader. */
function rowBasics(v: View, dtype: DType) {
  const [rows, cols] = v.shape as [number, number];
  const dt = rowDtype(dtype);
  return { rows, cols, dt, T: computeType(dt), f: (fn: string) => (dt === 'float32' ? `${fn}f` : fn), input: rowReader(v, dt) };
}

/**
 * Softmax cross-entropy: the loss (logsumexp − z[label], NaN for a label out of range) and,
 * when asked, the gradient (softmax − onehot) · scale. Every read of a row is done before any
 * write (the gradient may overwrite the logits in place).
 */
function crossEntropySpec(k: SoftmaxCrossEntropyKernel): RowSpec {
  const { rows, cols: classes, dt, T, f, input } = rowBasics(k.logits, k.dtype);
  const finish = (p: Params, IT: string, G: number, z: (c: string) => string, barrier: string) => {
    const yT = p.dtype(k.labels);
    const yp = p.ref(k.labels);
    const lossStore = `${p.ref(k.loss, true)}[${offsetOf(k.loss, ['row'])}] = ${convert(dt, p.dtype(k.loss), 'loss')};`;
    const gradLines = k.grad
      ? [
          `const ${T} sc = ${convert(p.dtype(k.grad.scale), dt, `(${computeType(p.dtype(k.grad.scale))})${p.ref(k.grad.scale)}[${offsetOf(k.grad.scale, ['row'])}]`)};`,
          `for (${IT} c = lane; c < ${classes}; c += ${G}) {`,
          `  const ${T} g = (${f('exp')}(${z('c')} - m) / s - (c == (${IT})y ? (${T})1 : (${T})0)) * sc;`,
          `  ${p.ref(k.grad.output, true)}[${offsetOf(k.grad.output, ['row', 'c'])}] = ${convert(dt, p.dtype(k.grad.output), 'g')};`,
          '}',
        ]
      : [];
    return [
      'int y = -1;',
      `${T} zy = 0;`,
      'if (valid) {',
      `  y = ${convert(yT, 'int32', `(${computeType(yT)})${yp}[${offsetOf(k.labels, ['row'])}]`)};`,
      `  if (y >= 0 && y < ${classes}) zy = ${z(`(${IT})y`)};`,
      '}',
      '// Every read of this row is done before any write (the gradient may overwrite the logits in place).',
      barrier,
      'if (valid) {',
      `  const bool ok = y >= 0 && y < ${classes};`,
      '  if (lane == 0) {',
      `    const ${T} loss = ok ? m + ${f('log')}(s) - zy : ${cudaLiteral(dt, NaN)};`,
      `    ${lossStore}`,
      '  }',
      ...gradLines.map((l) => `  ${l}`),
      '}',
    ];
  };
  return { kind: 'softmaxCrossEntropy', rows, cols: classes, dt, views: crossEntropyViews(k), input, finish };
}

/**
 * Row softmax (or log-softmax): each element computed in the same pass that reads it, so an
 * output identical to the input is safe without a barrier.
 */
function softmaxSpec(k: SoftmaxKernel): RowSpec {
  const { rows, cols, dt, T, f, input } = rowBasics(k.input, k.dtype);
  const finish = (p: Params, IT: string, G: number, x: (c: string) => string) => [
    `const ${T} ls = ${f('log')}(s);`,
    `if (valid) for (${IT} c = lane; c < ${cols}; c += ${G}) {`,
    `  const ${T} v = ${k.log ? `${x('c')} - m - ls` : `${f('exp')}(${x('c')} - m) / s`};`,
    `  ${p.ref(k.output, true)}[${offsetOf(k.output, ['row', 'c'])}] = ${convert(dt, p.dtype(k.output), 'v')};`,
    '}',
  ];
  return { kind: 'softmax', rows, cols, dt, views: softmaxViews(k), input, finish };
}

/** Every view softmax cross-entropy kernel `k` reads or writes. */
export function crossEntropyViews(k: SoftmaxCrossEntropyKernel): View[] {
  return [k.logits, k.labels, k.loss, ...(k.grad ? [k.grad.output, k.grad.scale] : [])];
}

/** Every view row softmax kernel `k` reads or writes. */
export const softmaxViews = (k: SoftmaxKernel): View[] => [k.input, k.output];

/**
 * Fused softmax cross-entropy, one group of threads per row: the row max and the sum of
 * exp(z − max) by group reductions, then the loss (logsumexp − z[label], NaN for a label out
 * of range) and, when asked, the gradient (softmax − onehot) · scale.
 */
export function renderSoftmaxCrossEntropy(k: SoftmaxCrossEntropyKernel, index: number, dtypes: readonly DType[]): GeneratedKernel {
  return renderRowKernel(crossEntropySpec(k), index, dtypes);
}

/**
 * Row softmax (or log-softmax) over the last axis, one group of threads per row: the row max
 * (NaN if any element is NaN) and the sum of exp(x − max) by group reductions, then each
 * element in the same pass that read it, so an output identical to the input is safe.
 */
export function renderSoftmax(k: SoftmaxKernel, index: number, dtypes: readonly DType[]): GeneratedKernel {
  return renderRowKernel(softmaxSpec(k), index, dtypes);
}

/**
 * Softmax cross-entropy for row `row` of its logits, as lines for a kernel that gives each
 * row a warp (lane = the thread's lane) and has just stored the row's logits: a matmul
 * producing the logits (kernels-matmul-skinny.ts's `rows` form) finishes the loss without
 * another launch. The results are those of the kernel it replaces; `p` is the kernel's
 * parameter list. For at most 32 classes.
 *
 * @example
 * ```ts
 * const lines = crossEntropyWarpLines(ce, params, 'int', 'i');
 * ```
 */
export function crossEntropyWarpLines(k: SoftmaxCrossEntropyKernel, p: Params, IT: string, row: string): string[] {
  return warpRowTail(crossEntropySpec(k), p, IT, row);
}

/**
 * Row softmax (or log-softmax) of row `row`, as lines for a kernel that gives each row a warp
 * and has just stored the row (see crossEntropyWarpLines): a classifier's probabilities from
 * the product of its logits, in the same launch. For at most 32 columns.
 *
 * @example
 * ```ts
 * const lines = softmaxWarpLines(softmax, params, 'int', 'i');
 * ```
 */
export function softmaxWarpLines(k: SoftmaxKernel, p: Params, IT: string, row: string): string[] {
  return warpRowTail(softmaxSpec(k), p, IT, row);
}
