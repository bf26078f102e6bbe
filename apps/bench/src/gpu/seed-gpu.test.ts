import { describe, expect, it } from 'vitest';
import '@symgrad/backend-cpu';
import { mlpData } from '../data.js';
import { uniformF32 } from '../data.js';
import '@symgrad/backend-gpujs';
import { NDArray } from '@symgrad/core';
import { symgradEmbeddingStep } from '../kernels.js';
import { GEMM_TOLERANCE, gemmName, gemmSampleError, GPU_GEMMS, profileSeedStep, SMALL_GEMMS, timeCheckedStep, timeEmbeddingStep, timeGemm, timeLstmStep, timeSeedStep, timeTransformerStep, timeDecoderStep } from './seed-gpu.js';

// The GPU benchmark's timing code, run on the cpu backend at small sizes: what it measures
// must be a real training step (the loss falls) and a real product; the numbers are not checked.
describe('GPU benchmark workloads', () => {
  it('times the seed step with data and weights in shared variables', async () => {
    const d = mlpData({ rows: 37, features: 29, hidden: 23, classes: 10 });
    const t = await timeSeedStep('cpu', 'fp32', d, 30);
    expect(t.peer).toBe('symgrad cpu');
    expect(t.item).toBe('seed step fp32');
    expect(t.us).toBeGreaterThan(0);
    expect(t.tflops).toBeGreaterThan(0);
    expect(t.losses[0]).toBeGreaterThan(t.losses[1]!);
    expect(t.note).toMatch(/^\d+ kernels; first call \d+ ms; with the loss read every step \d+ µs\/step$/);
  });

  it('profiles the seed step per kernel (the cpu backend times its own steps)', async () => {
    const d = mlpData({ rows: 37, features: 29, hidden: 23, classes: 10 });
    const p = await profileSeedStep('cpu', 'fp32', d, 3);
    expect(p.item).toBe('seed step fp32 profile');
    expect(p.clock).toBe('device');
    expect(p.kernels.filter((k) => k.label.startsWith('matmul')).length).toBeGreaterThanOrEqual(5);
    expect(p.kernels.every((k) => Number.isFinite(k.us) && k.us >= 0)).toBe(true);
    expect(p.note).toMatch(/^kernel +label +ms\/call +share\n/);
  });

  it('times transposed and plain GEMMs, named by shape', async () => {
    for (const s of SMALL_GEMMS) {
      const t = await timeGemm('cpu', 'fp32', s, 3);
      expect(t.item).toBe(`${gemmName(s)} fp32`);
      expect(t.tflops).toBeCloseTo((2 * s.m * s.n * s.k) / t.us / 1e6, 12);
      expect(t.note).toMatch(/^sampled error \d\.\de[-+]\d+$/);
    }
    // Several independent products per call: µs per product, each result checked.
    const four = await timeGemm('cpu', 'fp32', SMALL_GEMMS[1]!, 3, 'n', 4);
    expect(four.item).toBe(`${gemmName(SMALL_GEMMS[1]!)} ×4 per call fp32`);
    expect(four.note).toMatch(/^n; 4 independent products per call, µs per product; sampled error \d\.\de[-+]\d+$/);
    expect(four.tflops).toBeCloseTo((2 * 37 * 50 * 41) / four.us / 1e6, 12);
    expect(GPU_GEMMS.map(gemmName)).toEqual(['sgemm 800×1000×1000', 'sgemm 800×1000×1000 Bᵀ', 'sgemm 1000×1000×800 Aᵀ', 'sgemm 2048×2048×2048']);
  });

  it('times the embedding step after checking its table against the cpu backend (a sparse update: no whole-table kernel)', async () => {
    const t = await timeEmbeddingStep('cpu', { kind: 'embedding', name: 'embedding step 101×7, 53 ids', vocab: 101, dim: 7, tokens: 53 }, 3);
    expect(t).toMatchObject({ peer: 'symgrad cpu', item: 'embedding step 101×7, 53 ids', reps: 3 });
    expect(t.us).toBeGreaterThan(0);
    expect(t.note).toMatch(/^4 kernels; table after two steps vs cpu: 0\.0e\+0$/);
  });

  it('times the LSTM step after checking its weights against the cpu backend (on gpujs here, whose kernels differ)', async () => {
    const s = { kind: 'lstm', name: 'LSTM step 3×4×2 → 5', batch: 3, steps: 4, features: 2, units: 5 } as const;
    const t = await timeLstmStep('gpujs', s, 2);
    expect(t).toMatchObject({ peer: 'symgrad gpujs', item: s.name, reps: 2 });
    expect(t.us).toBeGreaterThan(0);
    expect(t.note).toMatch(/^\d+ kernels; weights after two steps vs cpu: \d\.\de[-+]\d+$/);
    expect(Number(/vs cpu: (\S+)$/.exec(t.note!)![1])).toBeLessThanOrEqual(1e-4);
  });

  it('times the transformer step after checking its weights, norm-wise over the whole state (the key bias\'s gradient is 0 in exact arithmetic, noise on any backend)', async () => {
    const s = { kind: 'transformer', name: 'transformer encoder step 3×5×8, 2 heads, ff 6', batch: 3, steps: 5, features: 8, heads: 2, ffDim: 6 } as const;
    const t = await timeTransformerStep('gpujs', s, 2);
    expect(t).toMatchObject({ peer: 'symgrad gpujs', item: s.name, reps: 2 });
    expect(t.note).toMatch(/^\d+ kernels; weights after two steps vs cpu: \d\.\de[-+]\d+$/);
    expect(Number(/vs cpu: (\S+)$/.exec(t.note!)![1])).toBeLessThanOrEqual(1e-5);
  });

  it('times the transformer decoder step (target attending to a memory of other steps) after checking its weights against the cpu backend', async () => {
    const s = { kind: 'decoder', name: 'transformer decoder step 3×5×8 reading 4 memory steps, 2 heads, ff 6', batch: 3, steps: 5, memorySteps: 4, features: 8, heads: 2, ffDim: 6 } as const;
    const t = await timeDecoderStep('gpujs', s, 2);
    expect(t).toMatchObject({ peer: 'symgrad gpujs', item: s.name, reps: 2 });
    expect(t.note).toMatch(/^\d+ kernels; weights after two steps vs cpu: \d\.\de[-+]\d+$/);
    expect(Number(/vs cpu: (\S+)$/.exec(t.note!)![1])).toBeLessThanOrEqual(1e-5);
  });

  it('refuses to time a step whose state after two steps differs from the cpu backend\'s, saying by how much', async () => {
    const s = { kind: 'embedding', name: 'embedding step 101×7, 53 ids', vocab: 101, dim: 7, tokens: 53 } as const;
    let calls = 0;
    // The first step built (the backend's) starts from another table.
    const build = (backend: string) => {
      const t = symgradEmbeddingStep(s, backend);
      if (calls++ === 0) t.state[0]!.set(new NDArray('float32', [101, 7], new Float32Array(707)));
      return t;
    };
    await expect(timeCheckedStep('cpu', s, 2, build, 'table', 1e-5)).rejects.toThrow(/^embedding step 101×7, 53 ids: after two steps, this backend's table and the cpu backend's differ by \d\.\d\de[-+]\d+ \(tolerance 0\.00001\)$/);
  });

  it('checks sampled GEMM entries against float64, so a wrong kernel is not timed', () => {
    for (const s of SMALL_GEMMS) {
      const a = uniformF32(s.m * s.k, 1);
      const b = uniformF32(s.k * s.n, 2);
      const c = new Float64Array(s.m * s.n);
      for (let i = 0; i < s.m; i++) {
        for (let j = 0; j < s.n; j++) {
          for (let p = 0; p < s.k; p++) c[i * s.n + j] += a[s.transA ? p * s.m + i : i * s.k + p]! * b[s.transB ? j * s.k + p : p * s.n + j]!;
        }
      }
      expect(gemmSampleError(s, a, b, c, s.m * s.n)).toBeLessThan(1e-15);
      expect(gemmSampleError(s, a, b, Float32Array.from(c))).toBeLessThan(GEMM_TOLERANCE.fp32);
      // One wrong entry (a race, a bad tile index) is seen when it is sampled; here every entry is.
      const bad = Float64Array.from(c);
      bad[(s.m >> 1) * s.n + (s.n >> 1)] += 0.5;
      expect(gemmSampleError(s, a, b, bad, s.m * s.n)).toBeGreaterThan(GEMM_TOLERANCE.tf32);
      bad[0] = Number.NaN;
      expect(gemmSampleError(s, a, b, bad, s.m * s.n)).toBeNaN();
    }
  });
});
