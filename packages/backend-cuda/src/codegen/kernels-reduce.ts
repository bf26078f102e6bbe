import type { DType, ReduceKernel } from '@symgrad/core';
import { groupSize } from './device-prelude.js';
import { indexType, offsetOf, product, unravel } from './index-math.js';
import { Params } from './params.js';
import { BLOCK, blocksFor, type GeneratedKernel } from './plan.js';
import { computeType, convert, cudaLiteral, renderCudaExprs } from './render-cuda.js';

const COMBINE = { sum: 'SgSum', max: 'SgMax', min: 'SgMin' } as const;

/**
 * A reduce kernel over any axes: one group of G threads (G = 32…256) per output element,
 * 256 / G output elements per block, a grid-stride loop over groups of rows. Each thread
 * strides over the reduced index space (unravelled over the reduced axes, so any axes work
 * through index math), folding the prologue into a private accumulator; the group then
 * reduces with warp shuffles and shared memory, and its first thread applies the epilogue.
 *
 * @example
 * ```ts
 * renderReduce(kernel, 2, dtypes).launch; // { name: 'k2_reduce', block: [256, 1, 1], … }
 * ```
 */
export function renderReduce(k: ReduceKernel, index: number, dtypes: readonly DType[]): GeneratedKernel {
  const name = `k${index}_reduce`;
  const rank = k.shape.length;
  for (const a of k.axes) if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`render-cuda: kernel ${index} (reduce): axis ${String(a)} is out of range for rank ${rank} (shape [${k.shape.join(', ')}])`);
  if (!(k.op in COMBINE) && k.op !== 'argmax') throw new Error(`render-cuda: kernel ${index} (reduce): unknown reduce op '${String(k.op)}' (sum, max, min or argmax)`);
  if (k.op === 'argmax' && k.axes.length !== 1) throw new Error(`render-cuda: kernel ${index} (reduce): argmax reduces exactly one axis, got ${k.axes.length}`);
  const keptAxes = k.shape.map((_, d) => d).filter((d) => !k.axes.includes(d));
  const redAxes = [...k.axes].sort((a, b) => a - b);
  const keptShape = keptAxes.map((d) => k.shape[d]!);
  const redShape = redAxes.map((d) => k.shape[d]!);
  const rows = product(keptShape);
  const length = product(redShape);
  const G = groupSize(length);
  const P = BLOCK / G;
  const IT = indexType(Math.max(rows, length) + BLOCK * 8192, [...k.inputs, k.output]);
  const p = new Params(dtypes);

  const accDtype: DType = k.prologue.dtype === 'bool' ? 'int32' : k.prologue.dtype;
  const ACC = computeType(accDtype);
  const keptIdx = unravel('row', keptShape, 'q', IT);
  const redIdx = unravel('j', redShape, 'u', IT);
  const dims: string[] = new Array<string>(rank);
  keptAxes.forEach((d, i) => (dims[d] = keptIdx.dims[i]!));
  redAxes.forEach((d, i) => (dims[d] = redIdx.dims[i]!));
  const pro = renderCudaExprs([k.prologue], {
    inputCount: k.inputs.length,
    storage: (i) => p.dtype(k.inputs[i]!),
    load: (i) => `${p.ref(k.inputs[i]!)}[${offsetOf(k.inputs[i]!, dims)}]`,
  });
  const x = convert(k.prologue.dtype, accDtype, pro.results[0]!);
  const argmax = k.op === 'argmax';
  const identity = k.op === 'sum' ? cudaLiteral(accDtype, 0) : k.op === 'min' ? cudaLiteral(accDtype, Infinity) : cudaLiteral(accDtype, -Infinity);
  const fold = argmax
    ? `if (sg_arg_takes(acc, ai, ${x}, (int)j)) { acc = ${x}; ai = (int)j; }`
    : `acc = ${COMBINE[k.op as 'sum']}()(acc, ${x});`;
  const reduceCall = argmax ? `sg_group_argmax<${G}>(acc, ai, sh, shi);` : `acc = sg_group_reduce<${G}>(acc, ${COMBINE[k.op as 'sum']}(), sh);`;

  // The reduced value in the prologue's dtype (the index for argmax), then the epilogue.
  const redDtype: DType = argmax ? 'int32' : k.prologue.dtype;
  const red = argmax ? '(ai == 0x7fffffff ? 0 : ai)' : convert(accDtype, redDtype, 'acc');
  const epi = k.epilogue
    ? renderCudaExprs([k.epilogue], { inputCount: 1, storage: () => redDtype, load: () => 'red', prefix: 'e' })
    : { lines: [], results: ['red'] };
  const outDtype = k.epilogue?.dtype ?? redDtype;
  const store = `${p.ref(k.output, true)}[${offsetOf(k.output, keptIdx.dims)}] = ${convert(outDtype, p.dtype(k.output), epi.results[0]!)};`;
  const ind = (ls: readonly string[], n: number) => ls.map((l) => ' '.repeat(n) + l).join('\n');

  const source = `extern "C" __global__ void __launch_bounds__(${BLOCK}) ${name}(${p.signature()}) {
  __shared__ ${ACC} sh[${BLOCK / 32}];
${argmax ? `  __shared__ int shi[${BLOCK / 32}];\n` : ''}  const int lane = threadIdx.x % ${G};
  for (${IT} row0 = (${IT})blockIdx.x * ${P}; row0 < (${IT})${rows}; row0 += (${IT})gridDim.x * ${P}) {
    const ${IT} row = row0 + threadIdx.x / ${G};
    ${ACC} acc = ${identity};
${argmax ? '    int ai = 0x7fffffff;\n' : ''}    if (row < (${IT})${rows}) {
${ind(keptIdx.lines, 6)}
      for (${IT} j = lane; j < (${IT})${length}; j += ${G}) {
${ind([...redIdx.lines, ...pro.lines, fold], 8)}
      }
    }
    ${reduceCall}
    if (row < (${IT})${rows} && lane == 0) {
${ind(keptIdx.lines, 6)}
      const ${computeType(redDtype)} red = ${red};
${ind([...epi.lines, store], 6)}
    }
  }
}
`;
  return { source, launch: { kind: 'launch', name, grid: [blocksFor(rows, P), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what: `kernel ${index} (reduce ${k.op})` } };
}
