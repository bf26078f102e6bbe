import { describe, expect, it } from 'vitest';
import type { NDArray } from '@symgrad/core';
import { relativeError } from '@symgrad/core/testing/reference';
import { prepareTfjsKernel } from './peers/tfjs.js';
import { decoderOperands, embeddingOperands, LSTM_LR, lstmOperands, transformerOperands, kernelFlops, kernelInputShapes, kernelSpecs, largeGemmSkip, prepareSymgradKernel, symgradEmbeddingStep, type KernelSpec } from './kernels.js';

const ONCE = { warmup: 0, minReps: 1, maxReps: 1, budgetMs: 0 };

/** A training-step row on symgrad cpu: it reports its kernel count, and three runs lower the loss. */
async function expectTrainingStep(spec: KernelSpec): Promise<void> {
  const r = await prepareSymgradKernel(spec, 'symgrad cpu', ONCE);
  expect(r.note).toMatch(/^\d+ kernel\(s\)$/);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push(((await r.run()) as NDArray).data[0]!);
  expect(losses[2]).toBeLessThan(losses[0]!);
  r.dispose?.();
}

describe('the kernel set', () => {
  it('times sgemm at the seed shape and at 2048³, plain and with either operand transposed; --quick keeps two plain ones', () => {
    const gemms = kernelSpecs(false).filter((s) => s.kind === 'gemm').map((s) => s.name);
    expect(gemms).toEqual([
      'sgemm A·B 800×1000×1000', 'sgemm Aᵀ·B 800×1000×1000', 'sgemm A·Bᵀ 800×1000×1000',
      'sgemm A·B 2048×2048×2048', 'sgemm Aᵀ·B 2048×2048×2048', 'sgemm A·Bᵀ 2048×2048×2048',
    ]);
    expect(kernelSpecs(true).filter((s) => s.kind === 'gemm').map((s) => s.name)).toEqual(['sgemm A·B 800×1000×1000', 'sgemm A·B 1024×1024×1024']);
    const t = kernelSpecs(false)[1]!;
    expect(kernelInputShapes(t)).toEqual([[1000, 800], [1000, 1000]]);
    expect(kernelFlops(t)).toBe(2 * 800 * 1000 * 1000);
  });

  it('lets the slow peers skip 2048³ where a run would take seconds, saying why', () => {
    const [ab800, , , ab2048, atb2048] = kernelSpecs(false);
    expect(largeGemmSkip(ab800!, 'typescript')).toBeUndefined();
    expect(largeGemmSkip(ab800!, 'tfjs-wasm')).toBeUndefined();
    expect(largeGemmSkip(ab2048!, 'tfjs-wasm')).toBeUndefined();
    expect(largeGemmSkip(atb2048!, 'tfjs-wasm')).toMatch(/^skipped at 2048³ transposed/);
    expect(largeGemmSkip(ab2048!, 'typescript')).toMatch(/^skipped at 2048³ \(~4 s a run/);
  });

  it('has an embedding step: a lookup, its gradient and the dense SGD update of the table', async () => {
    const e = kernelSpecs(false).find((k) => k.kind === 'embedding')!;
    expect(e).toEqual({ kind: 'embedding', name: 'embedding step 50000×64, 4096 ids', vocab: 50000, dim: 64, tokens: 4096 });
    expect(kernelSpecs(true).find((k) => k.kind === 'embedding')!.name).toBe('embedding step 10000×32, 1024 ids');
    expect(kernelInputShapes(e)).toEqual([[50000, 64], [4096], [4096, 64]]);
    expect(kernelFlops(e)).toBe(5 * 4096 * 64);
    // On symgrad: two steps move the table by −0.1 · (the rows' gradients summed at each id) each.
    const small = { kind: 'embedding', name: 'embedding step 7×3, 11 ids', vocab: 7, dim: 3, tokens: 11 } as const;
    const o = embeddingOperands(small);
    expect(new Set(o.ids).size).toBeLessThan(11); // repeated ids
    const { step, state: [table], args } = symgradEmbeddingStep(small);
    const loss = (await step(...args)) as NDArray;
    await step(...args);
    let first = 0;
    for (let j = 0; j < 11; j++) for (let d = 0; d < 3; d++) first += o.table[o.ids[j]! * 3 + d]! * o.rowGrad[j * 3 + d]!;
    const want = Float64Array.from(o.table);
    for (let j = 0; j < 11; j++) for (let d = 0; d < 3; d++) want[o.ids[j]! * 3 + d]! -= 2 * 0.1 * o.rowGrad[j * 3 + d]!;
    expect(relativeError([loss.data[0]!], [first])).toBeLessThan(1e-6);
    expect(relativeError(table!.get().data, want)).toBeLessThan(1e-6);
    step.dispose();
    const r = await prepareSymgradKernel(small, 'symgrad cpu', { warmup: 0, minReps: 1, maxReps: 1, budgetMs: 0 });
    expect(r.note).toMatch(/^\d+ kernel\(s\)$/);
    await r.run();
    r.dispose?.();
  });

  it('has an LSTM step: nn\'s LSTM, backpropagation through time and SGD, its loss Σ h_last · outGrad', async () => {
    const l = kernelSpecs(false).find((k) => k.kind === 'lstm')!;
    expect(l).toEqual({ kind: 'lstm', name: 'LSTM step 32×40×64 → 128', batch: 32, steps: 40, features: 64, units: 128 });
    expect(kernelSpecs(true).find((k) => k.kind === 'lstm')!.name).toBe('LSTM step 8×10×16 → 32');
    expect(kernelInputShapes(l)).toEqual([[32, 40, 64], [32, 128]]);
    expect(kernelFlops(l)).toBe(6 * 32 * 40 * 4 * 128 * (64 + 128));
    const small = { kind: 'lstm', name: 'LSTM step 2×3×2 → 3', batch: 2, steps: 3, features: 2, units: 3 } as const;
    const o = lstmOperands(small);
    expect([o.x.length, o.outGrad.length]).toEqual([12, 6]);
    expect(LSTM_LR).toBe(0.01);
    const r = await prepareSymgradKernel(small, 'symgrad cpu', { warmup: 0, minReps: 1, maxReps: 1, budgetMs: 0 });
    expect(r.note).toMatch(/^\d+ kernel\(s\)$/);
    expect(r.flops).toBe(6 * 2 * 3 * 12 * 5);
    // Each run is an SGD step on a loss that the update lowers: the loss read back falls.
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push(((await r.run()) as NDArray).data[0]!);
    expect(losses[2]).toBeLessThan(losses[0]!);
    r.dispose?.();
  });

  it('has a transformer encoder step: nn\'s TransformerEncoder, SGD, its loss Σ out · outGrad', async () => {
    const t = kernelSpecs(false).at(-2)!;
    expect(t).toEqual({ kind: 'transformer', name: 'transformer encoder step 32×40×64, 4 heads, ff 128', batch: 32, steps: 40, features: 64, heads: 4, ffDim: 128 });
    expect(kernelSpecs(true).at(-2)!.name).toBe('transformer encoder step 8×10×32, 2 heads, ff 64');
    expect(kernelInputShapes(t)).toEqual([[32, 40, 64], [32, 40, 64]]);
    expect(kernelFlops(t)).toBe(6 * 32 * 40 * (4 * 64 * 64 + 2 * 40 * 64 + 2 * 64 * 128));
    const small = { kind: 'transformer', name: 'transformer encoder step 2×3×4, 2 heads, ff 5', batch: 2, steps: 3, features: 4, heads: 2, ffDim: 5 } as const;
    const o = transformerOperands(small);
    expect([o.x.length, o.outGrad.length]).toEqual([24, 24]);
    await expectTrainingStep(small);
    await expect(prepareTfjsKernel(small, 'wasm', ONCE)).rejects.toThrow('transformer encoder step 2×3×4, 2 heads, ff 5: tfjs-layers has no attention layer, so tfjs has no transformer step to time');
  });

  it('ends with a transformer decoder step: nn\'s TransformerDecoder in a FunctionalModel of target and memory, SGD, its loss Σ out · outGrad', async () => {
    const t = kernelSpecs(false).at(-1)!;
    expect(t).toEqual({ kind: 'decoder', name: 'transformer decoder step 32×40×64 reading 40 memory steps, 4 heads, ff 128', batch: 32, steps: 40, memorySteps: 40, features: 64, heads: 4, ffDim: 128 });
    expect(kernelSpecs(true).at(-1)!.name).toBe('transformer decoder step 8×10×32 reading 10 memory steps, 2 heads, ff 64');
    expect(kernelInputShapes(t)).toEqual([[32, 40, 64], [32, 40, 64], [32, 40, 64]]);
    expect(kernelFlops(t)).toBe(2 * 32 * (3 * 40 * (6 * 64 * 64 + 2 * 40 * 64 + 2 * 40 * 64 + 2 * 64 * 128) + 2 * 40 * 2 * 64 * 64));
    const small = { kind: 'decoder', name: 'transformer decoder step 2×3×4 reading 5 memory steps, 2 heads, ff 5', batch: 2, steps: 3, memorySteps: 5, features: 4, heads: 2, ffDim: 5 } as const;
    const o = decoderOperands(small);
    expect([o.x.length, o.memory.length, o.outGrad.length]).toEqual([24, 40, 24]);
    await expectTrainingStep(small);
    await expect(prepareTfjsKernel(small, 'wasm', ONCE)).rejects.toThrow('transformer decoder step 2×3×4 reading 5 memory steps, 2 heads, ff 5: tfjs-layers has no attention layer, so tfjs has no transformer step to time');
  });
});
