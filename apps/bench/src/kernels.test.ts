import { describe, expect, it } from 'vitest';
import { kernelFlops, kernelInputShapes, kernelSpecs, largeGemmSkip } from './kernels.js';

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
});
