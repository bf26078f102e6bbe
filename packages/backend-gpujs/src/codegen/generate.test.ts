import { describe, expect, it } from 'vitest';
import { sx, type Kernel, type View } from '@symgrad/core';
import { generateKernel } from './generate.js';

// The generated gpu.js source of one kernel of each kind, as file snapshots: pure functions
// of the IR, reviewable without gpu.js.
const view = (buffer: number, shape: number[], strides: number[], offset = 0): View => ({ buffer, offset, shape, strides });
const f32 = () => 'float32' as const;

const KERNELS: Record<string, Kernel> = {
  'elementwise-strided': {
    kind: 'elementwise', shape: [2, 3], label: 'relu(add)',
    inputs: [view(0, [2, 3], [1, 2]), view(1, [2, 3], [0, 1], 4)], outputs: [view(2, [2, 3], [3, 1])],
    exprs: [sx.unary('relu', sx.binary('add', sx.input(0, 'float32'), sx.input(1, 'float32'), 'float32'))],
  },
  'reduce-argmax': {
    kind: 'reduce', op: 'argmax', shape: [4, 5], axes: [1], label: 'argmax',
    inputs: [view(0, [4, 5], [5, 1])], prologue: sx.input(0, 'float32'), output: view(1, [4], [1]),
  },
  'matmul-transB-beta-epilogue': {
    kind: 'matmul', batch: [], m: 3, n: 2, k: 4, transA: false, transB: true, alpha: 0.5, beta: 1, label: 'gemm',
    a: view(0, [3, 4], [4, 1]), b: view(1, [2, 4], [4, 1]), out: view(2, [3, 2], [2, 1]), dtype: 'float32',
    epilogue: { expr: sx.unary('tanh', sx.input(0, 'float32')), inputs: [] },
  },
  'softmax-cross-entropy': {
    kind: 'softmaxCrossEntropy', logits: view(0, [2, 3], [3, 1]), labels: view(1, [2], [1]), loss: view(2, [2], [1]),
    grad: { output: view(3, [2, 3], [3, 1]), scale: view(4, [2], [0]) }, dtype: 'float32', label: 'sce',
  },
  'gather': { kind: 'gather', input: view(0, [2, 3], [3, 1]), indices: view(1, [2], [1]), output: view(2, [2], [1]), label: 'gather' },
  'one-hot': { kind: 'oneHot', indices: view(0, [2], [1]), depth: 3, output: view(1, [2, 3], [3, 1]), dtype: 'float32', label: 'oneHot' },
};

describe('generated gpu.js source', () => {
  it.each(Object.entries(KERNELS))('%s', async (name, k) => {
    const launches = generateKernel(k, f32);
    const text = launches.map((l) => `// ${l.label}: ${l.size} threads → buffer ${l.output.buffer}\n${l.source}\n`).join('\n');
    await expect(text).toMatchFileSnapshot(`__snapshots__/${name}.gpujs.txt`);
  });
});
