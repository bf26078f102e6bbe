import type { DType, ElementwiseKernel } from '@symgrad/core';
import { indexType, offsetOf, product, unravel } from './index-math.js';
import { Params } from './params.js';
import { BLOCK, blocksFor, type GeneratedKernel } from './plan.js';
import { convert, renderCudaExprs } from './render-cuda.js';

/**
 * A fused elementwise kernel: a grid-stride loop over the kernel's shape; each element's
 * multi-index is unravelled once and every view's offset is computed from it. All outputs
 * are written after all inputs of that element are read.
 *
 * @example
 * ```ts
 * const g = renderElementwise(kernel, 0, dtypes);
 * g.source; // 'extern "C" __global__ void __launch_bounds__(256) k0_elementwise(…) { … }'
 * ```
 */
export function renderElementwise(k: ElementwiseKernel, index: number, dtypes: readonly DType[], kind = 'elementwise'): GeneratedKernel {
  if (k.exprs.length !== k.outputs.length) throw new Error(`render-cuda: kernel ${index} (${kind}) has ${k.exprs.length} expressions for ${k.outputs.length} outputs`);
  const name = `k${index}_${kind}`;
  const n = product(k.shape);
  const IT = indexType(n, [...k.inputs, ...k.outputs]);
  const p = new Params(dtypes);
  const { lines: idx, dims } = unravel('i', k.shape, 'd', IT);
  const r = renderCudaExprs(k.exprs, {
    inputCount: k.inputs.length,
    storage: (i) => p.dtype(k.inputs[i]!),
    load: (i) => `${p.ref(k.inputs[i]!)}[${offsetOf(k.inputs[i]!, dims)}]`,
  });
  const stores = k.outputs.map((o, j) => `${p.ref(o, true)}[${offsetOf(o, dims)}] = ${convert(k.exprs[j]!.dtype, p.dtype(o), r.results[j]!)};`);
  const body = [...idx, ...r.lines, ...stores].map((l) => `    ${l}`).join('\n');
  const source = `extern "C" __global__ void __launch_bounds__(${BLOCK}) ${name}(${p.signature()}) {
  for (${IT} i = (${IT})blockIdx.x * ${BLOCK} + threadIdx.x; i < (${IT})${n}; i += (${IT})gridDim.x * ${BLOCK}) {
${body}
  }
}
`;
  return { source, launch: { kind: 'launch', name, grid: [blocksFor(n), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what: `kernel ${index} (${kind})` } };
}
