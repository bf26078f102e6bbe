import { describe, expect, it } from 'vitest';
import { contiguousView, sx, type ElementwiseKernel, type MatmulKernel, type Program, type SoftmaxCrossEntropyKernel, type SoftmaxKernel, type View } from '@symgrad/core';
import { seedStepProgram } from '../testing-fixtures/programs.js';
import { renderSkinnyMatmul, skinnyMatmulForm } from './kernels-matmul-skinny.js';
import { fusesRowKernel, rowTail } from './matmul-row-tail.js';
import { planProgram } from './program-source.js';

// When the loss runs inside the logits' product (the numbers: runtime/fake-cuda-skinny.test.ts's
// 'loss' cases over the fake CUDA userspace; nvcc.test.ts compiles the seed step's fused kernel).
// Buffers: 0 = A [m, k], 1 = B [k, n], 2 = logits [m, n], 3 = labels, 4 = loss, 5 = grad, 6 = scale.
const m = 37, n = 10, k = 130;
const product = (over: Partial<MatmulKernel> = {}): MatmulKernel => ({
  kind: 'matmul', batch: [], m, n, k, transA: false, transB: false, alpha: 1, beta: 0, dtype: 'float32', label: 'logits',
  a: contiguousView(0, [m, k]), b: contiguousView(1, [k, n]), out: contiguousView(2, [m, n]), ...over,
});
const loss = (over: Partial<SoftmaxCrossEntropyKernel> = {}): SoftmaxCrossEntropyKernel => ({
  kind: 'softmaxCrossEntropy', logits: contiguousView(2, [m, n]), labels: contiguousView(3, [m]), loss: contiguousView(4, [m]),
  grad: { output: contiguousView(5, [m, n]), scale: { buffer: 6, offset: 0, shape: [m], strides: [0] } }, dtype: 'float32', label: 'loss', ...over,
});
const fuses = (p: MatmulKernel, l: SoftmaxCrossEntropyKernel | SoftmaxKernel | undefined) => fusesRowKernel(p, skinnyMatmulForm(p), l);
const softmax = (over: Partial<SoftmaxKernel> = {}): SoftmaxKernel => ({ kind: 'softmax', input: contiguousView(2, [m, n]), output: contiguousView(5, [m, n]), log: false, dtype: 'float32', label: 'softmax', ...over });

describe('fusesRowKernel', () => {
  it('takes the loss of an unbatched rows product whose whole result is the logits', () => {
    expect(skinnyMatmulForm(product())).toBe('rows');
    expect(fuses(product(), loss())).toBe(true);
    expect(fuses(product(), loss({ grad: undefined }))).toBe(true);
    // A gradient overwriting the logits in place stays with the loss kernel.
    expect(fuses(product(), loss({ grad: { output: contiguousView(2, [m, n]), scale: loss().grad!.scale } }))).toBe(false);
  });

  it('takes a row softmax of the product too, in place or not, but not one writing the operands or part of the result', () => {
    expect(fuses(product(), softmax())).toBe(true);
    expect(fuses(product(), softmax({ log: true, output: contiguousView(2, [m, n]) }))).toBe(true);
    expect(fuses(product(), softmax({ output: contiguousView(0, [m, n]) }))).toBe(false);
    expect(fuses(product(), softmax({ output: { ...contiguousView(2, [m, n]), offset: n } }))).toBe(false);
    expect(fuses(product(), softmax({ input: contiguousView(5, [m, n]) }))).toBe(false);
  });

  it('leaves the loss its own kernel for other forms, batches, or other logits', () => {
    expect(fuses(product({ n: 17, b: contiguousView(1, [k, 17]), out: contiguousView(2, [m, 17]) }), loss({ logits: contiguousView(2, [m, 17]) }))).toBe(false);
    const transposed = product({ transA: true, a: contiguousView(0, [k, m]) });
    expect(skinnyMatmulForm(transposed)).toBe('columns');
    expect(fuses(transposed, loss())).toBe(false);
    expect(fuses(product({ batch: [1], a: contiguousView(0, [1, m, k]), b: contiguousView(1, [1, k, n]), out: contiguousView(2, [1, m, n]) }), loss())).toBe(false);
    expect(fuses(product(), undefined)).toBe(false);
    const offset: View = { ...contiguousView(2, [m, n]), offset: 1 };
    expect(fuses(product(), loss({ logits: offset }))).toBe(false);
    expect(fuses(product(), loss({ logits: contiguousView(7, [m, n]) }))).toBe(false);
  });

  it('refuses where one writes what the other reads (its rows run in no set order)', () => {
    expect(fuses(product(), loss({ loss: contiguousView(0, [m]) }))).toBe(false);
    expect(fuses(product(), loss({ grad: { output: contiguousView(1, [m, n]), scale: loss().grad!.scale } }))).toBe(false);
    expect(fuses(product(), loss({ labels: contiguousView(2, [m]) }))).toBe(false);
    expect(fuses(product(), loss({ grad: { output: contiguousView(5, [m, n]), scale: { ...loss().grad!.scale, buffer: 2 } } }))).toBe(false);
    // The loss overwriting a bias the product adds.
    const epilogue = { inputs: [contiguousView(4, [m, n])], expr: sx.binary('add', sx.input(0, 'float32'), sx.input(1, 'float32'), 'float32') };
    expect(fuses(product({ epilogue }), loss())).toBe(false);
    expect(fuses(product({ epilogue: { ...epilogue, inputs: [contiguousView(7, [m, n])] } }), loss())).toBe(true);
  });
});

describe('planProgram with a loss after its logits', () => {
  it("computes the seed step's loss inside the 800×1000·1000×10 product: one launch, both kernels' buffers", async () => {
    const program = await seedStepProgram([1000, 1000, 1000, 10], 800);
    const ce = program.kernels.findIndex((kk) => kk.kind === 'softmaxCrossEntropy');
    const mm = program.kernels[ce - 1]!;
    expect(mm.kind).toBe('matmul');
    const plan = planProgram(program, { gemm: 'cublasLt' });
    expect(plan.kernelNames).not.toContain(`k${ce}_softmaxCrossEntropy`);
    expect(plan.steps.filter((s) => s.kernel === ce)).toEqual([]);
    expect(plan.computedInside).toEqual(new Map([[ce, ce - 1]]));
    const step = plan.steps.find((s) => s.kernel === ce - 1)!;
    expect(step.what).toMatch(new RegExp(`^kernel ${ce - 1} \\(matmul, rows, with kernel ${ce} \\(softmaxCrossEntropy\\)\\)`));
    const lossKernel = program.kernels[ce] as SoftmaxCrossEntropyKernel;
    for (const v of [lossKernel.labels, ...(lossKernel.grad ? [lossKernel.grad.scale] : [])]) expect(step.reads).toContain(v.buffer);
    for (const v of [lossKernel.loss, ...(lossKernel.grad ? [lossKernel.grad.output] : [])]) expect(step.writes).toContain(v.buffer);
    expect(plan.source).toContain('__syncwarp();');
  });

  it('keeps the loss kernel where something runs between the product and the loss', () => {
    const relu: ElementwiseKernel = { kind: 'elementwise', shape: [m, n], inputs: [contiguousView(2, [m, n])], outputs: [contiguousView(2, [m, n])], exprs: [sx.unary('relu', sx.input(0, 'float32'))], label: 'relu' };
    const sizes: [number, 'float32' | 'int32'][] = [[m * k, 'float32'], [k * n, 'float32'], [m * n, 'float32'], [m, 'int32'], [m, 'float32'], [m * n, 'float32'], [1, 'float32']];
    const buffers: Program['buffers'] = sizes.map(([size, dtype], id) => ({ id, size, dtype, role: 'temp' }));
    const plan = planProgram({ buffers, kernels: [product(), relu, loss()] });
    expect(plan.kernelNames).toEqual(['k0_matmul', 'k1_elementwise', 'k2_softmaxCrossEntropy']);
    expect(plan.computedInside.size).toBe(0);
    const fused = planProgram({ buffers, kernels: [product(), loss()] });
    expect(fused.kernelNames).toEqual(['k0_matmul']);
  });
});

describe('renderSkinnyMatmul rejects what planProgram never asks of it', () => {
  const dtypes = ['float32', 'float32', 'float32', 'int32', 'float32', 'float32', 'float32'] as const;

  it('operands whose rank is not the batch rank plus 2', () => {
    expect(() => renderSkinnyMatmul(product({ a: contiguousView(0, [1, m, k]) }), 4, dtypes, 'rows')).toThrow('render-cuda: kernel 4 (matmul): A has rank 3, expected 2');
    expect(() => renderSkinnyMatmul(product({ epilogue: { expr: sx.input(1, 'float32'), inputs: [contiguousView(6, [n])] } }), 0, dtypes, 'rows'))
      .toThrow('render-cuda: kernel 0 (matmul): epilogue input 1 has rank 1, expected 2');
  });

  it('a per-row tail on another form, or on a batched product, or over more than 32 columns', () => {
    expect(() => renderSkinnyMatmul(product(), 2, dtypes, 'outer', rowTail(loss(), 3))).toThrow('render-cuda: kernel 2 (matmul, outer): only an unbatched rows form takes a per-row tail');
    const batched = product({ batch: [1], a: contiguousView(0, [1, m, k]), b: contiguousView(1, [1, k, n]), out: contiguousView(2, [1, m, n]) });
    expect(() => renderSkinnyMatmul(batched, 2, dtypes, 'rows', rowTail(loss(), 3))).toThrow('render-cuda: kernel 2 (matmul, rows): only an unbatched rows form takes a per-row tail');
    const wide = 40;
    const wideProduct = product({ n: wide, b: contiguousView(1, [k, wide]), out: contiguousView(2, [m, wide]) });
    const wideSoftmax = softmax({ input: contiguousView(2, [m, wide]), output: contiguousView(5, [m, wide]) });
    expect(() => renderSkinnyMatmul(wideProduct, 2, dtypes, 'rows', rowTail(wideSoftmax, 3))).toThrow('render-cuda: softmax inside a product: a warp per row takes at most 32 columns (got 40)');
  });
});
