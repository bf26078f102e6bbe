import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeviceBuffer, MatmulKernel, Program } from '@symgrad/core';
import { interpretProgram, relativeError, TestRandom } from '@symgrad/core/testing';
import { resolveMatmulTuning, WebGPUBackend } from '../backend.js';
import { formatMatmulConfig, MATMUL_ENV_VAR, type MatmulConfig } from '../codegen/matmul-config.js';
import { deviceTests, uploadProgramBuffers } from '../testing-fixtures/device.js';
import type { WebGPUExecutable } from './executable.js';
import { matmulShapeKey } from './matmul-tuner.js';

// Matmul configs timed on the device per shape (SwiftShader has timestamp queries). Two small
// candidates keep pipeline compilation short; the per-shape default is always a third.
const CANDIDATES: MatmulConfig[] = [
  { tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2 },
  { tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2, vec4Loads: true, splitK: 2 },
];
const deviceIt = deviceTests(() => WebGPUBackend.create({ matmulTuning: { candidates: CANDIDATES, reps: 2 } }));

afterEach(() => { vi.unstubAllEnvs(); });

const mm = (id: number, a: number, b: number, out: number, m: number, n: number, k: number, transB: boolean, beta = 0): MatmulKernel => ({
  kind: 'matmul', label: `mm${id}`, batch: [], m, n, k, transA: false, transB, alpha: 1, beta, dtype: 'float32',
  a: { buffer: a, offset: 0, shape: [m, k], strides: [k, 1] },
  b: { buffer: b, offset: 0, shape: transB ? [n, k] : [k, n], strides: transB ? [k, 1] : [n, 1] },
  out: { buffer: out, offset: 0, shape: [m, n], strides: [n, 1] },
});

/** Three products, two of one shape: x·W (36×20×24), then h·Vᵀ (36×20×20) accumulated twice. */
function program(): Program {
  return {
    buffers: [
      { id: 0, dtype: 'float32', size: 36 * 24, role: 'input' }, { id: 1, dtype: 'float32', size: 24 * 20, role: 'input' },
      { id: 2, dtype: 'float32', size: 36 * 20, role: 'temp' }, { id: 3, dtype: 'float32', size: 20 * 20, role: 'input' },
      { id: 4, dtype: 'float32', size: 36 * 20, role: 'output' },
    ],
    kernels: [mm(0, 0, 1, 2, 36, 20, 24, false), mm(1, 2, 3, 4, 36, 20, 20, true), mm(2, 2, 3, 4, 36, 20, 20, true, 1)],
  };
}

describe('matmul tuning on the device', () => {
  deviceIt('times every candidate once per shape, keeps the fastest, and the tuned kernels compute the product', async (b) => {
    expect(b.capabilities.device).toMatch(/, matmul configs tuned per shape$/);
    const p = program();
    const rng = new TestRandom(3);
    const init = p.buffers.map((s) => Float64Array.from({ length: s.size }, () => Math.fround(rng.uniform(-1, 1))));
    const want = init.map((d) => d.slice());
    interpretProgram(p, want);
    const bufs: DeviceBuffer[] = uploadProgramBuffers(b, p, init);
    const exe = b.compile(p, { precision: 'fp32' });
    exe.run(bufs); // before tuning has finished: deferred until the tuned kernels exist
    expect(relativeError(await b.read(bufs[4]!), want[4]!)).toBeLessThanOrEqual(1e-5);
    const records = b.matmulTuningRecords;
    expect(records.map((r) => r.shape)).toEqual([matmulShapeKey(p.kernels[0] as MatmulKernel), matmulShapeKey(p.kernels[1] as MatmulKernel)]);
    expect(records.map((r) => r.shape)).toEqual(['A·B 36×20×24', 'A·Bᵀ 36×20×20']);
    for (const r of records) {
      // The per-shape default first, then the candidates, each timed.
      expect(r.candidates.map((c) => c.config)).toEqual(['64,64,16,4,4', ...CANDIDATES.map(formatMatmulConfig)]);
      for (const c of r.candidates) expect(c.us, `${r.shape} ${c.config}: ${c.error}`).toBeGreaterThan(0);
      const fastest = r.candidates.reduce((x, y) => (y.us! < x.us! ? y : x));
      expect(r.chosen).toBe(fastest.config);
    }
    // The kernels that ran are the chosen configs (the first line of each launch names its tile).
    const heads = (exe as WebGPUExecutable).sources.map((src) => src.split('\n')[0]!).filter((h) => h.includes('(matmul A'));
    expect(heads).toHaveLength(3);
    [0, 1, 1].forEach((r, i) => {
      const [tm, tn, tk, th, tw, ...flags] = records[r]!.chosen.split(',');
      expect(heads[i], records[r]!.chosen).toContain(`tile ${tm}×${tn}×${tk}, ${th}×${tw} per invocation`);
      expect(heads[i]!.includes('K split'), records[r]!.chosen).toBe(flags.some((f) => f.startsWith('split')));
    });
    // A second Program with a known shape reuses the choice: no new timings.
    const again = b.compile(p, { precision: 'fp32' });
    await again.ready;
    expect(b.matmulTuningRecords).toHaveLength(2);
    // A wrong buffer table throws at the call, also while kernels are still being tuned.
    const fresh = b.compile({ ...p, kernels: [mm(9, 0, 1, 2, 36, 20, 12, false)] }, { precision: 'fp32' });
    expect(() => fresh.run(bufs.slice(0, 2))).toThrow("webgpu backend: kernel 0 ('mm9'): buffer 2 is missing, freed, or not from this backend");
    await fresh.ready;
    expect(b.matmulTuningRecords).toHaveLength(3);
    [exe, again, fresh].forEach((e) => e.dispose());
    bufs.forEach((x) => b.free(x));
  });
});

describe('which backends tune', () => {
  it('SYMGRAD_WEBGPU_MATMUL=tune or the option turns tuning on; a fixed config turns it off', () => {
    const fixed = () => ({ tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4 });
    expect(resolveMatmulTuning({}, undefined)).toBeUndefined();
    expect(resolveMatmulTuning({ matmulTuning: true }, undefined)).toEqual({});
    expect(resolveMatmulTuning({ matmulTuning: { reps: 3 } }, undefined)).toEqual({ reps: 3 });
    expect(resolveMatmulTuning({ matmulTuning: true }, fixed)).toBeUndefined();
    vi.stubEnv(MATMUL_ENV_VAR, 'tune');
    expect(resolveMatmulTuning({}, undefined)).toEqual({});
    expect(resolveMatmulTuning({ matmulTuning: false }, undefined)).toBeUndefined();
  });
});
