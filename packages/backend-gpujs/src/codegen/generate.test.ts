import { describe, expect, it } from 'vitest';
import { sx, type DType, type Kernel, type View } from '@symgrad/core';
import { toBufferLaunch } from './buffer-launch.js';
import { generateKernel, isHostLaunch } from './generate.js';
import { KernelSourceBuilder, type KernelLaunch } from './source.js';

// The generated gpu.js source of one kernel of each kind, as file snapshots: pure functions
// of the IR, reviewable without gpu.js.
const view = (buffer: number, shape: number[], strides: number[], offset = 0): View => ({ buffer, offset, shape, strides });
const f32 = () => 'float32' as const;
/** The gpu.js launches of a kernel (every kind but `random`, which runs on the host). */
const gpuLaunches = (k: Kernel, dtypeOf: (id: number) => DType): KernelLaunch[] =>
  generateKernel(k, dtypeOf).map((l) => {
    if (isHostLaunch(l)) throw new Error(`${l.label} runs on the host`);
    return l;
  });

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
  // k = 7: one unrolled block of 4 and a 3-step tail; transA reads A by columns.
  'matmul-transA-k-tail': {
    kind: 'matmul', batch: [], m: 2, n: 3, k: 7, transA: true, transB: false, alpha: 1, beta: 0, label: 'gemmT',
    a: view(0, [7, 2], [2, 1]), b: view(1, [7, 3], [3, 1]), out: view(2, [2, 3], [3, 1]), dtype: 'float32',
  },
  'softmax-cross-entropy': {
    kind: 'softmaxCrossEntropy', logits: view(0, [2, 3], [3, 1]), labels: view(1, [2], [1]), loss: view(2, [2], [1]),
    grad: { output: view(3, [2, 3], [3, 1]), scale: view(4, [2], [0]) }, dtype: 'float32', label: 'sce',
  },
  // Row statistics into scratch buffer 2, then the elements; the input is read transposed.
  'softmax-transposed': {
    kind: 'softmax', input: view(0, [2, 3], [1, 2], 1), output: view(1, [2, 3], [3, 1]), log: false, dtype: 'float32', label: 'softmax',
  },
  'log-softmax-in-place': {
    kind: 'softmax', input: view(0, [2, 3], [3, 1]), output: view(0, [2, 3], [3, 1]), log: true, dtype: 'float32', label: 'logSoftmax',
  },
  'gather': { kind: 'gather', input: view(0, [2, 3], [3, 1]), indices: view(1, [2], [1]), output: view(2, [2], [1]), label: 'gather' },
  // Negative indices count from the end; out of range gives the fill (here int32's −2³¹).
  'take': {
    kind: 'take', input: view(0, [2, 4, 3], [1, 6, 2]), indices: view(1, [5], [2], 1), output: view(2, [2, 5, 3], [15, 3, 1]), fill: -(2 ** 31), label: 'take',
  },
  // In place: each output element reads its old value and loops over the 5 indices.
  'scatter-add': {
    kind: 'scatterAdd', updates: view(0, [2, 5, 3], [15, 3, 1]), indices: view(1, [5], [1]), output: view(2, [2, 4, 3], [12, 3, 1]), label: 'scatterAdd',
  },
  'one-hot': { kind: 'oneHot', indices: view(0, [2], [1]), depth: 3, output: view(1, [2, 3], [3, 1]), dtype: 'float32', label: 'oneHot' },
};

describe('generated gpu.js source', () => {
  it.each(Object.entries(KERNELS))('%s', async (name, k) => {
    const launches = gpuLaunches(k, f32);
    const text = launches.map((l) => `// ${l.label}: ${l.size} threads → buffer ${l.output.buffer}\n${l.source}\n`).join('\n');
    await expect(text).toMatchFileSnapshot(`__snapshots__/${name}.gpujs.txt`);
  });

  it('random: one host launch, no gpu.js source (codegen/random.ts says why)', () => {
    const k: Kernel = { kind: 'random', distribution: 'uniform', dtype: 'float32', state: view(0, [4], [1]), output: view(1, [5], [1]), label: 'rand' };
    expect(generateKernel(k, f32)).toEqual([{ host: 'random', label: 'rand', random: k }]);
  });
});

// Texture mode re-renders a launch over its whole output buffer (codegen/buffer-launch.ts).
describe('whole-buffer launches (texture mode)', () => {
  const relu = KERNELS['elementwise-strided'] as Kernel & { kind: 'elementwise' };
  it('keeps the body as is when the output view is the whole buffer', () => {
    const [l] = gpuLaunches(relu, f32);
    expect(toBufferLaunch(l!, 6)!.source).toBe(l!.source);
  });

  it('passes old values through outside a strided output view', async () => {
    // The transpose of a 2×3 block at offset 2 in a 3×4 buffer: positions 2,3,4 / 6,7,8 → columns.
    const k = { ...relu, outputs: [view(2, [2, 3], [1, 4], 2)] };
    const [l] = gpuLaunches(k, () => 'int32');
    const bl = toBufferLaunch(l!, 12)!;
    expect(bl.params).toEqual([0, 1, 2]);
    await expect(`// ${bl.label}: ${bl.size} threads → buffer ${bl.buffer}\n${bl.source}\n`).toMatchFileSnapshot('__snapshots__/buffer-launch-strided.gpujs.txt');
    // Evaluate the generated source as plain JavaScript, as gpu.js's cpu mode would.
    const run = new Function(`return ${bl.source}`)() as (this: { thread: { x: number } }, ...b: Float32Array[]) => number;
    const b0 = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
    const b1 = Float32Array.from({ length: 7 }, (_, i) => i * 0.5);
    const b2 = Float32Array.from({ length: 12 }, () => -7);
    const got = Array.from({ length: 12 }, (_, x) => run.call({ thread: { x } }, b0, b1, b2));
    const want = Array.from(b2);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) want[2 + i + 4 * j] = Math.trunc(Math.max(0, b0[i + 2 * j]! + b1[4 + j]!));
    }
    expect(got).toEqual(want);
  });

  it('refuses views whose positions are ambiguous (the runtime then uses the host fallback)', () => {
    const [l] = gpuLaunches({ ...relu, outputs: [view(2, [2, 3], [0, 1])] }, f32);
    expect(toBufferLaunch(l!, 12)).toBeUndefined();
    const [l2] = gpuLaunches({ ...relu, outputs: [view(2, [2, 3], [2, 1])] }, f32);
    expect(toBufferLaunch(l2!, 12)).toBeUndefined();
  });
});

describe('kernel source builder', () => {
  it('refuses to finish a body that does not start with the thread binding, naming the kernel', () => {
    const b = new KernelSourceBuilder();
    b.let('x', '1.0');
    expect(() => b.finish('fill', 'x0', view(0, [4], [1]), 'float32')).toThrow("gpujs codegen: kernel 'fill': the body must start with the thread binding (use threadBuilder)");
  });
});
