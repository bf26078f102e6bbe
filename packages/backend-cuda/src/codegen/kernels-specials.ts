import type { DType, GatherKernel, OneHotKernel, SoftmaxCrossEntropyKernel, SoftmaxKernel } from '@symgrad/core';
import { groupSize } from './device-prelude.js';
import { indexType, offsetOf, product, unravel } from './index-math.js';
import { Params } from './params.js';
import { BLOCK, blocksFor, type GeneratedKernel } from './plan.js';
import { computeType, convert, cudaLiteral } from './render-cuda.js';

const ind = (ls: readonly string[], n: number) => ls.map((l) => ' '.repeat(n) + l).join('\n');

function gridStride(name: string, sig: string, IT: string, n: number, body: readonly string[]): string {
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

/** What a row kernel of softmax's family needs: its C name and signature, and how to read element (row, c) in the compute type. */
interface RowKernel {
  readonly name: string;
  readonly signature: string;
  readonly dt: DType;
  readonly IT: string;
  readonly rows: number;
  readonly cols: number;
  readonly x: (c: string) => string;
}

/**
 * A kernel giving each row a group of G threads that first computes the row max m (NaN if
 * any element is NaN) and s = Σ exp(x − m) by group reductions, then runs `rest` (C lines,
 * with row, valid, lane, m and s in scope) for the row.
 */
function rowMaxSumKernel(k: RowKernel, rest: string): string {
  const G = groupSize(k.cols);
  const T = computeType(k.dt);
  const exp = k.dt === 'float32' ? 'expf' : 'exp';
  return `extern "C" __global__ void __launch_bounds__(${BLOCK}) ${k.name}(${k.signature}) {
  __shared__ ${T} sh[${BLOCK / 32}];
  const int lane = threadIdx.x % ${G};
  for (${k.IT} row0 = (${k.IT})blockIdx.x * ${BLOCK / G}; row0 < (${k.IT})${k.rows}; row0 += (${k.IT})gridDim.x * ${BLOCK / G}) {
    const ${k.IT} row = row0 + threadIdx.x / ${G};
    const bool valid = row < (${k.IT})${k.rows};
    ${T} m = ${cudaLiteral(k.dt, -Infinity)};
    if (valid) for (${k.IT} c = lane; c < ${k.cols}; c += ${G}) m = SgMax()(m, ${k.x('c')});
    m = sg_group_reduce<${G}>(m, SgMax(), sh);
    ${T} s = 0;
    if (valid) for (${k.IT} c = lane; c < ${k.cols}; c += ${G}) s += ${exp}(${k.x('c')} - m);
    s = sg_group_reduce<${G}>(s, SgSum(), sh);
${rest}
  }
}
`;
}

/**
 * Fused softmax cross-entropy, one group of threads per row: the row max and the sum of
 * exp(z − max) by group reductions, then the loss (logsumexp − z[label], NaN for a label out
 * of range) and, when asked, the gradient (softmax − onehot) · scale.
 */
export function renderSoftmaxCrossEntropy(k: SoftmaxCrossEntropyKernel, index: number, dtypes: readonly DType[]): GeneratedKernel {
  const name = `k${index}_softmaxCrossEntropy`;
  const [rows, classes] = k.logits.shape as [number, number];
  const G = groupSize(classes);
  const P = BLOCK / G;
  const views = [k.logits, k.labels, k.loss, ...(k.grad ? [k.grad.output, k.grad.scale] : [])];
  const IT = indexType(rows + BLOCK * 8192, views);
  const p = new Params(dtypes);
  const dt: DType = k.dtype === 'float64' ? 'float64' : 'float32';
  const T = computeType(dt);
  const f = (fn: string) => (dt === 'float32' ? `${fn}f` : fn);
  const zT = p.dtype(k.logits), yT = p.dtype(k.labels);
  // Register every parameter before the signature is rendered.
  const zp = p.ref(k.logits), yp = p.ref(k.labels);
  const z = (c: string) => convert(zT, dt, `(${computeType(zT)})${zp}[${offsetOf(k.logits, ['row', c])}]`);
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
  const source = rowMaxSumKernel({ name, signature: p.signature(), dt, IT, rows, cols: classes, x: z }, `    int y = -1;
    ${T} zy = 0;
    if (valid) {
      y = ${convert(yT, 'int32', `(${computeType(yT)})${yp}[${offsetOf(k.labels, ['row'])}]`)};
      if (y >= 0 && y < ${classes}) zy = ${z(`(${IT})y`)};
    }
    // Every read of this row is done before any write (the gradient may overwrite the logits in place).
    __syncthreads();
    if (valid) {
      const bool ok = y >= 0 && y < ${classes};
      if (lane == 0) {
        const ${T} loss = ok ? m + ${f('log')}(s) - zy : ${cudaLiteral(dt, NaN)};
        ${lossStore}
      }
${ind(gradLines, 6)}
    }`);
  return { source, launch: { kind: 'launch', name, grid: [blocksFor(rows, P), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what: `kernel ${index} (softmaxCrossEntropy)` } };
}

/**
 * Row softmax (or log-softmax) over the last axis, one group of threads per row: the row max
 * (NaN if any element is NaN) and the sum of exp(x − max) by group reductions, then each
 * element in the same pass that read it, so an output identical to the input is safe.
 */
export function renderSoftmax(k: SoftmaxKernel, index: number, dtypes: readonly DType[]): GeneratedKernel {
  const name = `k${index}_softmax`;
  const [rows, cols] = k.input.shape as [number, number];
  const G = groupSize(cols);
  const P = BLOCK / G;
  const IT = indexType(rows + BLOCK * 8192, [k.input, k.output]);
  const p = new Params(dtypes);
  const dt: DType = k.dtype === 'float64' ? 'float64' : 'float32';
  const T = computeType(dt);
  const f = (fn: string) => (dt === 'float32' ? `${fn}f` : fn);
  const xT = p.dtype(k.input);
  const xp = p.ref(k.input);
  const x = (c: string) => convert(xT, dt, `(${computeType(xT)})${xp}[${offsetOf(k.input, ['row', c])}]`);
  const value = k.log ? `${x('c')} - m - ls` : `${f('exp')}(${x('c')} - m) / s`;
  const store = `${p.ref(k.output, true)}[${offsetOf(k.output, ['row', 'c'])}] = ${convert(dt, p.dtype(k.output), 'v')};`;
  const source = rowMaxSumKernel({ name, signature: p.signature(), dt, IT, rows, cols, x }, `    const ${T} ls = ${f('log')}(s);
    if (valid) for (${IT} c = lane; c < ${cols}; c += ${G}) {
      const ${T} v = ${value};
      ${store}
    }`);
  return { source, launch: { kind: 'launch', name, grid: [blocksFor(rows, P), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what: `kernel ${index} (softmax)` } };
}
