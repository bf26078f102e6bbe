import { describe, expect, it } from 'vitest';
import '@symgrad/backend-cpu';
import { mlpData } from '../data.js';
import { gemmName, GPU_GEMMS, SMALL_GEMMS, timeGemm, timeSeedStep } from './seed-gpu.js';

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

  it('times transposed and plain GEMMs, named by shape', async () => {
    for (const s of SMALL_GEMMS) {
      const t = await timeGemm('cpu', 'fp32', s, 3);
      expect(t.item).toBe(`${gemmName(s)} fp32`);
      expect(t.tflops).toBeCloseTo((2 * s.m * s.n * s.k) / t.us / 1e6, 12);
    }
    expect(GPU_GEMMS.map(gemmName)).toEqual(['sgemm 800×1000×1000', 'sgemm 800×1000×1000 Bᵀ', 'sgemm 1000×1000×800 Aᵀ', 'sgemm 2048×2048×2048']);
  });
});
