import { describe, expect } from 'vitest';
import { sx, type Program, type View } from '@symgrad/core';
import { interpretProgram, relativeError, TestRandom } from '@symgrad/core/testing';
import { WebGPUBackend } from '../backend.js';
import { deviceTests, uploadProgramBuffers } from '../testing-fixtures/device.js';
import { generateProgram } from './generate.js';
import { DEFAULT_CODEGEN_LIMITS } from './kernel.js';
import { DEFAULT_MATMUL_CONFIG, defaultMatmulConfigFor, formatMatmulConfig, matmulConfigCandidates, matmulConfigProblems, type MatmulConfig } from './matmul-config.js';

// Every config a sweep may pick must be correct on every shape, not just fast: each one runs
// awkward shapes (1, primes, tile remainders, transposes, a broadcast batch, alpha/beta, an
// epilogue) on the device (SwiftShader in CI) against core's float64 Program interpreter.
// Two extra configs cover the scalar (non-vec4) paths: threadM 3 and threadM = threadN = 2,
// each also with vec4 global loads (scattered into scalar workgroup tiles; a guarded load loop),
// and again staged through registers (prefetch; double-buffered, with the guarded vec4 copy),
// and with K split (its double-buffered slots then count from the split's first K tile),
// and with padded tiles (scalar copies into them; vec4 copies, double-buffered and split).
// SwiftShader's compiler takes minutes on a kernel with many staged copies per invocation
// (a 40×32 tile of 8×8 per invocation: 20 invocations staging 15 vec4s each), so the small
// forms below keep their invocations many.
// Configs with vec4Loads must actually take the vec4 path on the shapes made for it (checked).
// Candidates beyond SwiftShader's 256 invocations and 32 KiB, and those with an unrolled K tile
// of 32 (SwiftShader's compiler takes minutes on their pipelines), run their code paths here in
// smaller forms (the last two: double-buffered padded tiles split in two, a padded K tile of 32
// as a loop), and on a GPU the tuner checks each one's product before it may be chosen.
const SWIFTSHADER_LIMITS = { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupStorageSize: 32768 };
const CONFIGS: MatmulConfig[] = [
  ...matmulConfigCandidates.filter((c) => matmulConfigProblems(c, SWIFTSHADER_LIMITS).length === 0 && !(c.unrollK && c.tileK > 16)),
  { tileM: 48, tileN: 64, tileK: 16, threadM: 3, threadN: 4 },
  { tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2 },
  { tileM: 48, tileN: 64, tileK: 16, threadM: 3, threadN: 4, unrollK: true, vec4Loads: true },
  { tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2, vec4Loads: true },
  { tileM: 48, tileN: 64, tileK: 16, threadM: 3, threadN: 4, prefetch: true },
  { tileM: 48, tileN: 64, tileK: 16, threadM: 3, threadN: 4, unrollK: true, vec4Loads: true, doubleBuffer: true },
  { tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2, vec4Loads: true, doubleBuffer: true },
  { tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2, vec4Loads: true, doubleBuffer: true, splitK: 3 },
  { tileM: 48, tileN: 64, tileK: 16, threadM: 3, threadN: 4, splitK: 2 },
  { tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4, padTiles: true },
  { tileM: 64, tileN: 32, tileK: 8, threadM: 4, threadN: 4, vec4Loads: true, doubleBuffer: true, padTiles: true, splitK: 2 },
  { tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true, doubleBuffer: true, padTiles: true, splitK: 2 },
  { tileM: 64, tileN: 64, tileK: 32, threadM: 4, threadN: 4, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  // Widths that are not multiples of 32 (padded, not swizzled) and tiles whose element counts
  // are not multiples of the invocations (guarded copies, scalar and vec4).
  { tileM: 40, tileN: 64, tileK: 16, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2 },
  { tileM: 40, tileN: 24, tileK: 8, threadM: 8, threadN: 4, padTiles: true },
  { tileM: 40, tileN: 24, tileK: 8, threadM: 8, threadN: 4, vec4Loads: true, doubleBuffer: true, padTiles: true },
  // K slices: plain, staged and split (a slice past the split's end loads zeros),
  // double-buffered, and with f32 accumulators (threadN 2).
  { tileM: 32, tileN: 32, tileK: 8, threadM: 4, threadN: 4, slices: 4 },
  { tileM: 64, tileN: 32, tileK: 8, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true, prefetch: true, padTiles: true, splitK: 2, slices: 2 },
  { tileM: 32, tileN: 64, tileK: 8, threadM: 4, threadN: 4, vec4Loads: true, doubleBuffer: true, splitK: 3, slices: 2 },
  { tileM: 24, tileN: 16, tileK: 8, threadM: 3, threadN: 2, slices: 3 },
  // K tiles unrolled a few steps at a time: swizzled reads (p from the loop), double-buffered
  // and split, and in K slices.
  { tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4, unrollBy: 4, vec4Loads: true, prefetch: true },
  { tileM: 48, tileN: 64, tileK: 16, threadM: 3, threadN: 4, unrollBy: 8, vec4Loads: true, doubleBuffer: true, splitK: 2 },
  { tileM: 32, tileN: 32, tileK: 8, threadM: 4, threadN: 4, unrollBy: 2, padTiles: true, slices: 2 },
];

let current: MatmulConfig = DEFAULT_MATMUL_CONFIG;
const deviceIt = deviceTests(() => WebGPUBackend.create({ matmulConfig: () => current }));

const contiguous = (buffer: number, shape: number[]): View => ({
  buffer, offset: 0, shape, strides: shape.map((_, d) => shape.slice(d + 1).reduce((a, c) => a * c, 1)),
});

interface Case { m: number; n: number; k: number; batch: number[]; transA: boolean; transB: boolean; alpha: number; beta: number; epilogue: boolean; vec4?: boolean }
const CASES: Case[] = [
  { m: 1, n: 1, k: 1, batch: [], transA: false, transB: false, alpha: 1, beta: 0, epilogue: false },
  { m: 67, n: 131, k: 37, batch: [], transA: false, transB: false, alpha: 1, beta: 0, epilogue: false },
  { m: 130, n: 70, k: 100, batch: [], transA: true, transB: false, alpha: 1, beta: 0, epilogue: false },
  { m: 65, n: 63, k: 17, batch: [], transA: false, transB: true, alpha: 0.75, beta: -0.5, epilogue: false },
  { m: 7, n: 129, k: 33, batch: [3], transA: true, transB: true, alpha: -1.25, beta: 0.5, epilogue: true },
  // Shapes where vec4 loads apply (loaded dims multiples of 4) to A, B or both; K = 37 above falls back.
  { m: 64, n: 96, k: 128, batch: [], transA: false, transB: false, alpha: 1, beta: 0, epilogue: false, vec4: true },
  { m: 36, n: 40, k: 44, batch: [], transA: false, transB: true, alpha: 0.5, beta: 1, epilogue: false, vec4: true },
  { m: 68, n: 72, k: 20, batch: [], transA: true, transB: false, alpha: 1, beta: 0, epilogue: false, vec4: true },
  { m: 12, n: 8, k: 24, batch: [2], transA: true, transB: true, alpha: 1, beta: -1, epilogue: true, vec4: true },
];

/** A matmul Program: B broadcast over the batch (zero strides), the epilogue tanh(v + bias[col]). */
function program(c: Case): Program {
  const bs = c.batch.reduce((a, x) => a * x, 1);
  const aShape = c.transA ? [c.k, c.m] : [c.m, c.k];
  const bShape = c.transB ? [c.n, c.k] : [c.k, c.n];
  return {
    buffers: [
      { id: 0, dtype: 'float32', size: bs * c.m * c.k, role: 'input' }, { id: 1, dtype: 'float32', size: c.n * c.k, role: 'input' },
      { id: 2, dtype: 'float32', size: bs * c.m * c.n, role: 'output' }, { id: 3, dtype: 'float32', size: c.n, role: 'input' },
    ],
    kernels: [{
      kind: 'matmul', batch: c.batch, m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB, alpha: c.alpha, beta: c.beta, dtype: 'float32', label: 'mm',
      a: contiguous(0, [...c.batch, ...aShape]),
      b: { buffer: 1, offset: 0, shape: [...c.batch, ...bShape], strides: [...c.batch.map(() => 0), ...contiguous(1, bShape).strides] },
      out: contiguous(2, [...c.batch, c.m, c.n]),
      ...(c.epilogue ? {
        epilogue: {
          expr: sx.unary('tanh', sx.binary('add', sx.input(0, 'float32'), sx.input(1, 'float32'), 'float32')),
          inputs: [{ buffer: 3, offset: 0, shape: [...c.batch, c.m, c.n], strides: [...c.batch.map(() => 0), 0, 1] }],
        },
      } : {}),
    }],
  };
}

async function maxError(b: WebGPUBackend, p: Program, rng: TestRandom): Promise<number> {
  const init = p.buffers.map((s) => Float64Array.from({ length: s.size }, () => Math.fround(rng.uniform(-1, 1))));
  const want = init.map((d) => d.slice());
  interpretProgram(p, want);
  const bufs = uploadProgramBuffers(b, p, init);
  const exe = b.compile(p, { precision: 'fp32' });
  exe.run(bufs);
  const got = await b.read(bufs[2]!);
  exe.dispose();
  bufs.forEach((x) => b.free(x));
  return relativeError(got, want[2]!);
}

describe('every matmul config against the float64 interpreter', () => {
  for (const cfg of CONFIGS) {
    deviceIt(`SYMGRAD_WEBGPU_MATMUL=${formatMatmulConfig(cfg)}`, async (backend) => {
      current = cfg;
      const rng = new TestRandom(11);
      for (const c of CASES) {
        const generated = generateProgram(program(c), DEFAULT_CODEGEN_LIMITS, () => cfg)[0]!;
        const code = generated.code;
        expect(generated.next !== undefined, `split K of ${c.m}×${c.n}×${c.k}`).toBe((cfg.splitK ?? 1) > 1 && c.k > cfg.tileK);
        expect(code.match(/array<vec4<f32>>;/g)?.length ?? 0, `vec4 loads of ${c.m}×${c.n}×${c.k}`).toBe(cfg.vec4Loads && c.vec4 ? 2 : 0);
        const err = await maxError(backend, program(c), rng);
        expect(err, `${c.m}×${c.n}×${c.k} batch [${c.batch}] trans ${c.transA}/${c.transB} alpha ${c.alpha} beta ${c.beta}${c.epilogue ? ' epilogue' : ''}`).toBeLessThanOrEqual(1e-5);
      }
    });
  }
});

// The per-shape default splits K of products with few output tiles and a long K (the seed
// step's 10-column products); the shapes the CONFIGS above run are too short for it.
const defaultIt = deviceTests(() => WebGPUBackend.create());
describe('the per-shape default on few-tile, long-K products (split K)', () => {
  const SPLIT_CASES: Case[] = [
    { m: 37, n: 10, k: 300, batch: [], transA: false, transB: false, alpha: 1, beta: 0, epilogue: false },
    { m: 50, n: 10, k: 520, batch: [], transA: true, transB: false, alpha: -0.1, beta: 1, epilogue: false },
    { m: 13, n: 7, k: 1000, batch: [2], transA: false, transB: true, alpha: 1, beta: 0, epilogue: true },
  ];
  defaultIt('split K as defaultMatmulConfigFor decides, against the float64 interpreter', async (backend) => {
    const rng = new TestRandom(17);
    for (const c of SPLIT_CASES) {
      const cfg = defaultMatmulConfigFor(c.m, c.n, c.k, c.batch.reduce((a, x) => a * x, 1));
      expect(cfg.splitK, `${c.m}×${c.n}×${c.k}`).toBeGreaterThanOrEqual(2);
      expect(generateProgram(program(c), DEFAULT_CODEGEN_LIMITS)[0]!.next, 'a second launch').toBeDefined();
      const err = await maxError(backend, program(c), rng);
      expect(err, `${c.m}×${c.n}×${c.k} split ${cfg.splitK}`).toBeLessThanOrEqual(1e-5);
    }
  });
});
