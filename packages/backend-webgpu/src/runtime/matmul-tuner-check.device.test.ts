import { describe, expect, it, vi } from 'vitest';
import type { DeviceBuffer, MatmulKernel, Program } from '@symgrad/core';
import { interpretProgram, relativeError, TestRandom } from '@symgrad/core/testing';
import { WebGPUBackend } from '../backend.js';
import type { GeneratedKernel } from '../codegen/kernel.js';
import { formatMatmulConfig, type MatmulConfig } from '../codegen/matmul-config.js';
import { deviceTests, uploadProgramBuffers } from '../testing-fixtures/device.js';
import { MATMUL_TUNING_TOLERANCE, matmulMismatch } from './matmul-tuner.js';

// A candidate whose kernel adds 1 to every element stands for a miscompile or a config no CI
// device can run: the tuner must find it wrong against the 64×64 default and never choose it,
// even where it is the fastest (its tile is the smallest here, the product tiny).
const FAULTY: MatmulConfig = { tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2 };
const GOOD: MatmulConfig = { tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2, unrollK: true };

vi.mock('../codegen/matmul.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../codegen/matmul.js')>();
  return {
    ...real,
    generateMatmul: (k: MatmulKernel, ctx: Parameters<typeof real.generateMatmul>[1]): GeneratedKernel => {
      const g = real.generateMatmul(k, ctx);
      const cfg = ctx.matmulConfig?.(k.m, k.n, k.k, 1, k);
      if (!cfg || formatMatmulConfig(cfg) !== formatMatmulConfig(FAULTY)) return g;
      return { ...g, code: g.code.replace('var v: f32 = acc;', 'var v: f32 = acc + 1.0f;') };
    },
  };
});

const deviceIt = deviceTests(() => WebGPUBackend.create({ matmulTuning: { candidates: [FAULTY, GOOD], reps: 2 } }));

describe('matmulMismatch', () => {
  it('accepts float32 reordering, and names the worst element, its values and the scale otherwise', () => {
    expect(matmulMismatch(new Float32Array([1, 2.0000001]), new Float32Array([1, 2]))).toBeUndefined();
    expect(matmulMismatch(new Float32Array([0, 0]), new Float32Array([0, 0]))).toBeUndefined();
    expect(matmulMismatch(new Float32Array([30, -29.999]), new Float32Array([30, -30]))).toBeUndefined(); // 3.3e-5 of 30
    expect(matmulMismatch(new Float32Array([1, 2]), new Float32Array([1, 2.5])))
      .toBe('max |Δ| 0.5 at element 1 (got 2, want 2.5): 0.200 of the largest |want| 2.5, more than 0.0001');
    expect(matmulMismatch(new Float32Array([1, Number.NaN, 3]), new Float32Array([1, 2, 4])))
      .toBe('max |Δ| Infinity at element 1 (got NaN, want 2): Infinity of the largest |want| 4, more than 0.0001');
    expect(matmulMismatch(new Float32Array([0, 1e-30]), new Float32Array([0, 0])))
      .toMatch(/^max \|Δ\| 1\.00\d*e-30 at element 1 \(got 1\.00\d*e-30, want 0\): .* of the largest \|want\| 0, more than 0\.0001$/);
    expect(matmulMismatch(new Float32Array([1.01]), new Float32Array([1]), 0.02)).toBeUndefined();
    expect(MATMUL_TUNING_TOLERANCE).toBe(1e-4);
  });
});

describe('matmul tuning checks each candidate before timing it', () => {
  deviceIt('a wrong candidate gets the difference in its record and is not chosen; the product stays right', async (b) => {
    const [m, n, k] = [20, 12, 16];
    const p: Program = {
      buffers: [
        { id: 0, dtype: 'float32', size: m * k, role: 'input' }, { id: 1, dtype: 'float32', size: k * n, role: 'input' },
        { id: 2, dtype: 'float32', size: m * n, role: 'output' },
      ],
      kernels: [{
        kind: 'matmul', label: 'mm', batch: [], m, n, k, transA: false, transB: false, alpha: 1, beta: 0, dtype: 'float32',
        a: { buffer: 0, offset: 0, shape: [m, k], strides: [k, 1] }, b: { buffer: 1, offset: 0, shape: [k, n], strides: [n, 1] },
        out: { buffer: 2, offset: 0, shape: [m, n], strides: [n, 1] },
      }],
    };
    const rng = new TestRandom(5);
    const init = p.buffers.map((s) => Float64Array.from({ length: s.size }, () => Math.fround(rng.uniform(-1, 1))));
    const want = init.map((d) => d.slice());
    interpretProgram(p, want);
    const bufs: DeviceBuffer[] = uploadProgramBuffers(b, p, init);
    const exe = b.compile(p, { precision: 'fp32' });
    exe.run(bufs);
    expect(relativeError(await b.read(bufs[2]!), want[2]!)).toBeLessThanOrEqual(1e-5);
    const [record] = b.matmulTuningRecords;
    expect(record!.shape).toBe('A·B 20×12×16');
    const byName = Object.fromEntries(record!.candidates.map((c) => [c.config, c]));
    expect(Object.keys(byName)).toEqual(['64,64,16,4,4', '32,32,8,2,2', '32,32,8,2,2,unroll']);
    expect(byName['32,32,8,2,2']!.us).toBeUndefined();
    expect(byName['32,32,8,2,2']!.error).toMatch(/^wrong result against 64,64,16,4,4: max \|Δ\| 1(\.0+\d*)? at element \d+ \(got -?[\d.e-]+, want -?[\d.e-]+\): [\d.e-]+ of the largest \|want\| [\d.e-]+, more than 0\.0001$/);
    for (const name of ['64,64,16,4,4', '32,32,8,2,2,unroll']) expect(byName[name]!.us, `${name}: ${byName[name]!.error}`).toBeGreaterThan(0);
    expect(record!.chosen).not.toBe('32,32,8,2,2');
    exe.dispose();
    bufs.forEach((x) => b.free(x));
  });
});
