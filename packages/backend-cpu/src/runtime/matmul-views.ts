import type { View } from '@symgrad/core';
import type { BufferTable } from './kernel-step.js';
import { checkView } from './view-check.js';

/** Shape checks of a matmul's views, shared by the TypeScript and the native GEMM paths. */

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** A view's strides over [...batch, r, c], batch dims aligned right; broadcast batch dims get stride 0. */
export function matrixStrides(v: View, what: string, batch: readonly number[], rows: number, cols: number, buffers: BufferTable, exactBatch: boolean): number[] {
  const nb = batch.length;
  const vb = v.shape.length - 2;
  const expected = [...batch.slice(nb - Math.max(vb, 0)), rows, cols];
  const ok = vb >= 0 && vb <= nb && (!exactBatch || vb === nb) &&
    v.shape[vb] === rows && v.shape[vb + 1] === cols &&
    v.shape.slice(0, vb).every((d, i) => d === batch[nb - vb + i] || d === 1);
  if (!ok) throw new Error(`${what} has shape ${fmt(v.shape)}, expected ${fmt(exactBatch ? [...batch, rows, cols] : expected)}`);
  checkView(v, what, buffers);
  const strides = new Array<number>(nb + 2).fill(0);
  for (let i = 0; i < vb; i++) strides[nb - vb + i] = v.shape[i] === 1 ? 0 : v.strides[i]!;
  strides[nb] = v.strides[vb]!;
  strides[nb + 1] = v.strides[vb + 1]!;
  return strides;
}

