import { takeIndex, type ScatterAddKernel, type TakeKernel, type View } from '@symgrad/core';
import type { BufferTable, KernelStep } from './kernel-step.js';
import { checkView } from './view-check.js';

/**
 * take and scatterAdd in plain TypeScript over strided [outer, size|n, inner] views: each is
 * a copy or an add per element, so the loops are memory-bound and no code is generated.
 * scatterAdd adds in index order, so repeated indices sum deterministically here.
 */

/**
 * The views of take or scatterAdd checked against each other: `big` [outer, size, inner]
 * (take's input, scatterAdd's output), `indices` [n], `small` [outer, n, inner].
 */
function checkedGeometry(big: [string, View], indices: View, small: [string, View], buffers: BufferTable): { outer: number; size: number; inner: number; n: number } {
  const [bigName, b] = big;
  if (b.shape.length !== 3) throw new Error(`${bigName} has shape [${b.shape.join(', ')}], expected [outer, size, inner]`);
  const [outer, size, inner] = b.shape as [number, number, number];
  const n = indices.shape[0]!;
  checkView(b, bigName, buffers);
  checkView(indices, 'indices', buffers, [n]);
  checkView(small[1], small[0], buffers, [outer, n, inner]);
  return { outer, size, inner, n };
}

/** output[o, j, i] = input[o, indices[j], i], `fill` where the index is out of range. */
export function compileTake(k: TakeKernel, buffers: BufferTable): KernelStep {
  const { outer, size, inner, n } = checkedGeometry(['input', k.input], k.indices, ['output', k.output], buffers);
  const [xo, xs, xi] = k.input.strides as [number, number, number];
  const [oo, on, oi] = k.output.strides as [number, number, number];
  const is = k.indices.strides[0]!;
  return (data) => {
    const x = data[k.input.buffer]!;
    const idx = data[k.indices.buffer]!;
    const out = data[k.output.buffer]!;
    for (let j = 0; j < n; j++) {
      const y = takeIndex(idx[k.indices.offset + j * is]!, size);
      for (let o = 0; o < outer; o++) {
        const po = k.output.offset + o * oo + j * on;
        if (y === undefined) {
          for (let i = 0; i < inner; i++) out[po + i * oi] = k.fill;
          continue;
        }
        const px = k.input.offset + o * xo + y * xs;
        for (let i = 0; i < inner; i++) out[po + i * oi] = x[px + i * xi]!;
      }
    }
  };
}

/** output[o, indices[j], i] += updates[o, j, i] in index order; out-of-range indices are dropped. */
export function compileScatterAdd(k: ScatterAddKernel, buffers: BufferTable): KernelStep {
  const { outer, size, inner, n } = checkedGeometry(['output', k.output], k.indices, ['updates', k.updates], buffers);
  const [oo, os, oi] = k.output.strides as [number, number, number];
  const [uo, un, ui] = k.updates.strides as [number, number, number];
  const is = k.indices.strides[0]!;
  return (data) => {
    const u = data[k.updates.buffer]!;
    const idx = data[k.indices.buffer]!;
    const out = data[k.output.buffer]!;
    for (let j = 0; j < n; j++) {
      const y = takeIndex(idx[k.indices.offset + j * is]!, size);
      if (y === undefined) continue;
      for (let o = 0; o < outer; o++) {
        const po = k.output.offset + o * oo + y * os;
        const pu = k.updates.offset + o * uo + j * un;
        for (let i = 0; i < inner; i++) out[po + i * oi] += u[pu + i * ui]!;
      }
    }
  };
}
