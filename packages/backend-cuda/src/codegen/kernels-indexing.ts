import type { DType, ScatterAddKernel, TakeKernel, View } from '@symgrad/core';
import { indexType, offsetOf, product, unravel } from './index-math.js';
import { Params } from './params.js';
import { BLOCK, blocksFor, type GeneratedKernel } from './plan.js';
import { computeType, convert, cudaLiteral } from './render-cuda.js';
import { gridStride } from './kernels-specials.js';

/**
 * take and scatterAdd: slices of a [outer, size, inner] table picked (take) or added to
 * (scatterAdd) at the indices of a [n] int32 view, as core's `takeIndex` resolves them: an
 * index in [-size, 0) counts from the end, one outside [-size, size) fills (take) or is
 * dropped (scatterAdd). Both are grid-stride loops over the [outer, n, inner] side, one
 * thread per element, so a thread reads one index and touches one element of the table.
 */

const fmt = (v: View) => `[${v.shape.join(', ')}]`;

/**
 * The table's axis size, once the views have the geometry both kinds share: table
 * [outer, size, inner], indices [n], slices [outer, n, inner]. A Program that breaks it
 * would read or write outside its views, so it is refused rather than rendered.
 */
function axisSize(kind: string, index: number, table: [string, View], indices: View, slices: [string, View]): number {
  const [t, s] = [table[1].shape, slices[1].shape];
  const ok = t.length === 3 && s.length === 3 && indices.shape.length === 1 && t[0] === s[0] && t[2] === s[2] && indices.shape[0] === s[1];
  if (!ok) {
    throw new Error(`render-cuda: kernel ${index} (${kind}): ${table[0]} ${fmt(table[1])}, indices ${fmt(indices)} and ${slices[0]} ${fmt(slices[1])} do not agree: expected ${table[0]} [outer, size, inner], indices [n] and ${slices[0]} [outer, n, inner]`);
  }
  return t[1]!;
}

/**
 * The lines that set `y` to slice j's index resolved against `size` (j is `dims[1]`): a
 * negative index counts from the end. y + size cannot overflow: y < 0 and size < 2³¹.
 */
function indexLines(p: Params, indices: View, j: string, size: number): string[] {
  const idxT = p.dtype(indices);
  return [
    `const int y0 = ${convert(idxT, 'int32', `(${computeType(idxT)})${p.ref(indices)}[${offsetOf(indices, [j])}]`)};`,
    `const int y = y0 < 0 ? y0 + ${size} : y0;`,
  ];
}

/**
 * output[o, j, i] = input[o, y, i] with y = indices[j] resolved as above, or `fill` (a
 * literal of the output's dtype: NaN, −2³¹, 0, …) where y is out of range. The input is read
 * only in range, so a fill never reads outside the input's view.
 */
export function renderTake(k: TakeKernel, index: number, dtypes: readonly DType[]): GeneratedKernel {
  const name = `k${index}_take`;
  const size = axisSize('take', index, ['input', k.input], k.indices, ['output', k.output]);
  const n = product(k.output.shape);
  const IT = indexType(n, [k.input, k.indices, k.output]);
  const p = new Params(dtypes);
  const { lines, dims } = unravel('i', k.output.shape, 'd', IT);
  const inT = p.dtype(k.input), outT = p.dtype(k.output);
  const value = convert(inT, outT, `(${computeType(inT)})${p.ref(k.input)}[${offsetOf(k.input, [dims[0]!, `(${IT})y`, dims[2]!])}]`);
  const body = [
    ...lines,
    ...indexLines(p, k.indices, dims[1]!, size),
    `${p.ref(k.output, true)}[${offsetOf(k.output, dims)}] = (y >= 0 && y < ${size}) ? ${value} : ${cudaLiteral(outT, k.fill)};`,
  ];
  return { source: gridStride(name, p.signature(), IT, n, body), launch: { kind: 'launch', name, grid: [blocksFor(n), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what: `kernel ${index} (take)` } };
}

/** The dtypes CUDA's atomicAdd takes (double needs sm_60 or later: Pascal onwards). */
const ATOMIC_DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

/**
 * output[o, y, i] += updates[o, j, i] in place for every j, y = indices[j] resolved as above;
 * an update whose index is out of range is dropped. Threads of different j may hit the same
 * element, so each adds with atomicAdd: the sum of a repeated index comes out in whatever
 * order the threads arrive (float sums may differ in their last bits from run to run).
 */
export function renderScatterAdd(k: ScatterAddKernel, index: number, dtypes: readonly DType[]): GeneratedKernel {
  const name = `k${index}_scatterAdd`;
  const size = axisSize('scatterAdd', index, ['output', k.output], k.indices, ['updates', k.updates]);
  const n = product(k.updates.shape);
  const IT = indexType(n, [k.updates, k.indices, k.output]);
  const p = new Params(dtypes);
  const outT = p.dtype(k.output), updT = p.dtype(k.updates);
  if (!ATOMIC_DTYPES.includes(outT)) throw new Error(`render-cuda: kernel ${index} (scatterAdd): the output is ${outT}; atomicAdd adds ${ATOMIC_DTYPES.join(', ')}`);
  const { lines, dims } = unravel('i', k.updates.shape, 'd', IT);
  const update = convert(updT, outT, `(${computeType(updT)})${p.ref(k.updates)}[${offsetOf(k.updates, dims)}]`);
  const body = [
    ...lines,
    ...indexLines(p, k.indices, dims[1]!, size),
    `if (y >= 0 && y < ${size}) atomicAdd(&${p.ref(k.output, true)}[${offsetOf(k.output, [dims[0]!, `(${IT})y`, dims[2]!])}], ${update});`,
  ];
  return { source: gridStride(name, p.signature(), IT, n, body), launch: { kind: 'launch', name, grid: [blocksFor(n), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what: `kernel ${index} (scatterAdd)` } };
}
