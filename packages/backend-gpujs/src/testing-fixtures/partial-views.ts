/**
 * Test-only: outputs into part of a buffer, for texture mode (Node stand-in and WebGL2).
 * Buffer 2 (10 elements) gets a transposed 3×2 block at offset 1, which buffer-launch.ts
 * inverts (the launch stays on the GPU; old values pass through); buffer 3 (8 elements) a
 * view with strides [2, 3] (positions 0 3 2 5 4 7), which has no greedy inverse, so that
 * launch makes one host round trip (the fallback).
 */
import { sx, type Program } from '@symgrad/core';
import type { KernelCase } from '@symgrad/core/testing/reference';

export function partialViewsCase(): KernelCase {
  const add = sx.binary('add', sx.input(0, 'float32'), sx.input(1, 'float32'), 'float32');
  const src = (buffer: number) => ({ buffer, offset: 0, shape: [3, 2], strides: [2, 1] });
  const program: Program = {
    buffers: [
      { id: 0, dtype: 'float32', size: 6, role: 'input' }, { id: 1, dtype: 'float32', size: 6, role: 'input' },
      { id: 2, dtype: 'float32', size: 10, role: 'output' }, { id: 3, dtype: 'float32', size: 8, role: 'output' },
    ],
    kernels: [
      { kind: 'elementwise', shape: [3, 2], label: 'block', inputs: [src(0), src(1)], outputs: [{ buffer: 2, offset: 1, shape: [3, 2], strides: [1, 4] }], exprs: [add] },
      { kind: 'elementwise', shape: [3, 2], label: 'interleaved', inputs: [src(0), src(1)], outputs: [{ buffer: 3, offset: 0, shape: [3, 2], strides: [2, 3] }], exprs: [add] },
    ],
  };
  return { program, init: program.buffers.map((b) => Float64Array.from({ length: b.size }, (_, i) => (b.id + 1) * 10 + i)) };
}
