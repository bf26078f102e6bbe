import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MatmulKernel, Program } from '@symgrad/core';
import { KERNEL_CASES, TestRandom } from '@symgrad/core/testing';
import { createWebGPUBackendFactory, resolveMatmulChooser, WebGPUBackend } from '../backend.js';
import { checkAndGenerate, type ProgramLimits } from './check.js';
import { splitPlan } from './matmul.js';
import { generateProgram } from './generate.js';
import { DEFAULT_CODEGEN_LIMITS, launchesOf, SCRATCH_BUFFER } from './kernel.js';
import {
  DEFAULT_MATMUL_CONFIG, defaultMatmulConfigFor, formatMatmulConfig, HUGE_MATMUL_CONFIG, HUGE_PADDED_MATMUL_CONFIG, LARGE_MATMUL_CONFIG, SPLIT_HUGE_K32_MATMUL_CONFIG, SPLIT_HUGE_MATMUL_CONFIG, MATMUL_ENV_VAR, matmulConfigCandidates, matmulConfigProblems, matmulWorkgroupBytes, parseMatmulConfig, type MatmulConfig,
} from './matmul-config.js';

// Pure (no device): config rules, SYMGRAD_WEBGPU_MATMUL parsing, and the chooser reaching codegen.
const LIMITS: ProgramLimits = { ...DEFAULT_CODEGEN_LIMITS, maxBufferElements: 1 << 28, maxStorageBuffersPerShaderStage: 8 };
const matmulProgram = () => KERNEL_CASES['kernel.matmul.alpha-beta-epilogue']!(new TestRandom(1)).program;

afterEach(() => { vi.unstubAllEnvs(); });

describe('matmul configs', () => {
  it('every candidate fits an H100 through Dawn, all but sixteen SwiftShader, all but the large ones WebGPU default limits; the default is the first', () => {
    expect(matmulConfigCandidates[0]).toEqual(DEFAULT_MATMUL_CONFIG);
    const h100 = { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupStorageSize: 49152, maxComputeInvocationsPerWorkgroup: 1024 };
    const swiftShader = { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupStorageSize: 32768 };
    for (const c of matmulConfigCandidates) expect(matmulConfigProblems(c, h100), formatMatmulConfig(c)).toEqual([]);
    const beyond = (limits: typeof h100) => matmulConfigCandidates.filter((c) => matmulConfigProblems(c, limits).length > 0).map(formatMatmulConfig);
    const wide = [
      '128,128,16,8,8,unroll,vec4,double,pad,split2', '128,128,32,8,8,unroll,vec4,prefetch,pad,split2',
      '128,64,16,4,4,unroll,vec4,prefetch,pad', '128,64,16,4,4,unroll,vec4,prefetch,pad,split2',
      '128,128,16,8,4,unroll,vec4,prefetch,pad,split2', '128,128,16,4,4,unroll,vec4,prefetch,pad,split2',
      '100,128,16,4,8,unroll,vec4,prefetch,pad,split2', '200,64,32,8,8,unroll,vec4,prefetch,pad,split2', '200,128,16,8,8,unroll,vec4,prefetch,pad,split4', '200,128,32,8,8,unroll,vec4,prefetch,pad,split4',
      '160,128,16,8,8,unroll,vec4,prefetch,pad,split3', '200,128,16,8,8,unroll,vec4,prefetch,pad,split3', '200,128,32,8,8,unroll,vec4,prefetch,pad,split3',
      '128,200,16,8,8,unroll,vec4,prefetch,pad,split3', '128,64,16,8,4,unroll,vec4,prefetch,pad,slice2', '128,128,32,8,8,unroll8,vec4,prefetch,pad,split2',
    ];
    expect(beyond(swiftShader)).toEqual(wide);
    // A 128×128 K tile of 16 unrolled 4 steps at a time fits SwiftShader's 32 KiB, not WebGPU's default 16 KiB.
    const tail = [...wide.slice(0, 6), '200,64,16,8,8,unroll,vec4,prefetch,pad,split2', ...wide.slice(6), '128,128,16,8,8,unroll4,vec4,prefetch,pad'];
    expect(beyond(DEFAULT_CODEGEN_LIMITS)).toEqual([
      '128,128,16,8,8,unroll,vec4,prefetch,pad', '128,128,16,8,8,unroll,vec4,prefetch,pad,split2', '128,128,16,8,8,unroll,vec4,prefetch,pad,split3',
      '128,64,16,8,8,unroll,vec4,double,pad,split2', '128,64,32,8,8,unroll,vec4,prefetch,pad,split2', '128,64,32,8,4,unroll,vec4,prefetch,pad',
      ...tail,
    ]);
    expect(matmulConfigCandidates.map(formatMatmulConfig)).toEqual([
      '64,64,16,4,4', '64,64,16,8,8', '128,64,16,8,4', '64,128,16,4,8', '128,128,8,8,8', '128,128,16,8,8',
      '64,64,16,4,4,unroll', '64,64,16,4,4,unroll,vec4', '128,64,16,8,4,unroll,vec4', '64,64,8,4,4,unroll,vec4',
      '64,64,16,4,4,unroll,vec4,prefetch', '128,64,16,8,4,unroll,vec4,prefetch', '128,128,16,8,8,unroll,vec4,prefetch',
      '64,64,16,4,4,unroll,vec4,double', '128,64,8,8,4,unroll,vec4,double', '128,128,8,8,8,unroll,vec4,double',
      '128,64,16,8,4,unroll,vec4,split2', '128,64,16,8,4,unroll,vec4,prefetch,split2', '128,128,16,8,8,unroll,vec4,prefetch,split4',
      '128,64,16,8,8,unroll,vec4,prefetch', '128,64,16,8,8,unroll,vec4,prefetch,split2', '128,64,16,8,8,unroll,vec4,prefetch,split4',
      '128,128,16,8,8,unroll,vec4,prefetch,split2',
      '128,64,16,8,4,unroll,vec4,prefetch,pad', '128,64,16,8,8,unroll,vec4,prefetch,pad,split2',
      '128,128,16,8,8,unroll,vec4,prefetch,pad', '128,128,16,8,8,unroll,vec4,prefetch,pad,split2',
      '128,64,16,8,4,unroll,vec4,prefetch,pad,split2', '64,64,16,4,4,unroll,vec4,prefetch,pad,split2', '128,128,16,8,8,unroll,vec4,prefetch,pad,split3',
      '128,64,16,8,8,unroll,vec4,double,pad,split2', '128,64,32,8,8,unroll,vec4,prefetch,pad,split2', '128,64,32,8,4,unroll,vec4,prefetch,pad',
      ...tail,
    ]);
    for (const c of matmulConfigCandidates) expect(parseMatmulConfig(formatMatmulConfig(c))).toEqual({ ...c });
  });

  it('parses SYMGRAD_WEBGPU_MATMUL, and names the variable and the broken rule when invalid', () => {
    expect(parseMatmulConfig(' 128, 64,16,8,4')).toEqual({ tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4 });
    const hint = '(expected "tileM,tileN,tileK,threadM,threadN" then optional flags "unroll", "vec4", "prefetch", "double", "pad", "unroll<N>", "split<N>", "slice<N>", e.g. "64,64,16,4,4" or "64,64,16,4,4,unroll,vec4")';
    expect(() => parseMatmulConfig('64,64,16')).toThrow(`SYMGRAD_WEBGPU_MATMUL="64,64,16" is invalid: it has 3 comma-separated values, not 5 ${hint}`);
    expect(parseMatmulConfig('64,64,16,4,4, unroll')).toEqual({ ...DEFAULT_MATMUL_CONFIG, unrollK: true });
    expect(parseMatmulConfig('64,64,16,4,4,vec4')).toEqual({ ...DEFAULT_MATMUL_CONFIG, vec4Loads: true });
    expect(parseMatmulConfig('64,64,16,4,4,vec4,unroll')).toEqual({ ...DEFAULT_MATMUL_CONFIG, unrollK: true, vec4Loads: true });
    expect(() => parseMatmulConfig('64,64,16,4,4,unrol')).toThrow(`SYMGRAD_WEBGPU_MATMUL="64,64,16,4,4,unrol" is invalid: unknown flag "unrol" (valid flags: "unroll", "vec4", "prefetch", "double", "pad", "unroll<N>", "split<N>", "slice<N>") ${hint}`);
    expect(() => parseMatmulConfig('64,64,16,4,4,4')).toThrow('is invalid: unknown flag "4" (valid flags: "unroll", "vec4", "prefetch", "double", "pad", "unroll<N>", "split<N>", "slice<N>")');
    expect(() => parseMatmulConfig('64,64,16,4,4,')).toThrow('is invalid: unknown flag "" (valid flags: "unroll", "vec4", "prefetch", "double", "pad", "unroll<N>", "split<N>", "slice<N>")');
    expect(() => parseMatmulConfig('64,64,16,4,4,vec4,vec4')).toThrow('is invalid: flag "vec4" is given twice');
    expect(parseMatmulConfig('64,64,16,4,4,double,prefetch')).toEqual({ ...DEFAULT_MATMUL_CONFIG, prefetch: true, doubleBuffer: true });
    expect(parseMatmulConfig('64,64,16,4,4,split3')).toEqual({ ...DEFAULT_MATMUL_CONFIG, splitK: 3 });
    expect(() => parseMatmulConfig('64,64,16,4,4,split1')).toThrow('is invalid: splitK (1) must be an integer from 2 to 64');
    expect(() => parseMatmulConfig('64,64,16,4,4,split65')).toThrow('is invalid: splitK (65) must be an integer from 2 to 64');
    expect(() => parseMatmulConfig('64,64,16,4,4,split2,split4')).toThrow('is invalid: flag "split" is given twice');
    expect(() => parseMatmulConfig('64,64,16,4,4,split')).toThrow('is invalid: unknown flag "split"');
    expect(parseMatmulConfig('128,64,8,8,4,slice4,split2')).toEqual({ tileM: 128, tileN: 64, tileK: 8, threadM: 8, threadN: 4, slices: 4, splitK: 2 });
    expect(formatMatmulConfig({ tileM: 128, tileN: 64, tileK: 8, threadM: 8, threadN: 4, slices: 4, splitK: 2 })).toBe('128,64,8,8,4,split2,slice4');
    expect(parseMatmulConfig('128,128,32,8,8,vec4,unroll8,pad')).toEqual({ tileM: 128, tileN: 128, tileK: 32, threadM: 8, threadN: 8, unrollBy: 8, vec4Loads: true, padTiles: true });
    expect(formatMatmulConfig({ tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4, unrollBy: 4, prefetch: true })).toBe('64,64,16,4,4,unroll4,prefetch');
    expect(() => parseMatmulConfig('64,64,16,4,4,unroll1')).toThrow('is invalid: unrollBy (1) must be an integer from 2 to tileK/2 that divides tileK (16)');
    expect(() => parseMatmulConfig('64,64,16,4,4,unroll16')).toThrow('is invalid: unrollBy (16) must be an integer from 2 to tileK/2 that divides tileK (16)');
    expect(() => parseMatmulConfig('64,64,16,4,4,unroll3')).toThrow('is invalid: unrollBy (3) must be an integer from 2 to tileK/2 that divides tileK (16)');
    expect(() => parseMatmulConfig('64,64,16,4,4,unroll,unroll4')).toThrow('is invalid: unrollBy (4) and unrollK exclude each other (unrollK unrolls the whole K tile)');
    expect(() => parseMatmulConfig('64,64,16,4,4,unroll4,unroll2')).toThrow('is invalid: flag "unroll<N>" is given twice');
    expect(() => parseMatmulConfig('64,64,16,4,4,slice1')).toThrow('is invalid: slices (1) must be an integer from 2 to 8');
    expect(() => parseMatmulConfig('64,64,16,4,4,slice9')).toThrow('is invalid: slices (9) must be an integer from 2 to 8');
    expect(() => parseMatmulConfig('64,64,16,4,4,slice2,slice2')).toThrow('is invalid: flag "slice" is given twice');
    expect(() => parseMatmulConfig('64,64,16,4,4,slice8')).toThrow('is invalid: slices·(tileM/threadM)·(tileN/threadN) = 2048 invocations must be at most 1024');
    // Each slice has its own tiles, and the others hand their sums over through a buffer of two accumulators per invocation.
    expect(matmulConfigProblems(parseMatmulConfig('128,128,16,8,8,pad,slice2'), DEFAULT_CODEGEN_LIMITS)).toEqual([
      'needs 512 invocations per workgroup; the device allows 256',
      'needs 41984 bytes of workgroup memory ((tileM+tileN+8)·tileK·4, rows padded; 2 K slices with their tiles and the buffer for their sums); the device allows 16384',
    ]);
    expect(matmulWorkgroupBytes(parseMatmulConfig('32,32,16,4,2,slice3'))).toBe(3 * 64 * 16 * 4 + 2 * 128 * 2 * 4); // f32 accumulators
    expect(() => parseMatmulConfig('64,64,16,unroll')).toThrow('is invalid: it has 4 comma-separated values, not 5');
    expect(() => parseMatmulConfig('64,64,16,4,x')).toThrow('SYMGRAD_WEBGPU_MATMUL="64,64,16,4,x" is invalid: every value must be a positive integer');
    expect(() => parseMatmulConfig('64,64,16,-4,4')).toThrow('every value must be a positive integer');
    expect(matmulConfigProblems({ tileM: 0, tileN: 1.5, tileK: 16, threadM: 4, threadN: 4 }, DEFAULT_CODEGEN_LIMITS)).toEqual(['tileM, tileN must be positive integers']);
    expect(() => parseMatmulConfig('64,64,0,4,4')).toThrow('is invalid: tileK must be a positive integer');
    expect(() => parseMatmulConfig('64,60,16,4,8')).toThrow('is invalid: tileN (60) must be a multiple of threadN (8)');
    expect(() => parseMatmulConfig('128,128,16,2,4')).toThrow('is invalid: (tileM/threadM)·(tileN/threadN) = 2048 invocations must be at most 1024');
    expect(parseMatmulConfig('128,128,16,4,4')).toEqual({ tileM: 128, tileN: 128, tileK: 16, threadM: 4, threadN: 4 });
    expect(matmulConfigProblems(parseMatmulConfig('128,128,16,4,4'), DEFAULT_CODEGEN_LIMITS)).toEqual(['needs 1024 invocations per workgroup; the device allows 256']);
    // Tiles with fewer elements than invocations (or not a multiple of them) load with guarded copies.
    expect(parseMatmulConfig('64,64,2,4,4')).toEqual({ tileM: 64, tileN: 64, tileK: 2, threadM: 4, threadN: 4 });
    expect(parseMatmulConfig('200,64,16,8,8,pad,split2')).toEqual({ tileM: 200, tileN: 64, tileK: 16, threadM: 8, threadN: 8, padTiles: true, splitK: 2 });
  });

  it('checks workgroup memory and invocations against the device limits', () => {
    const c = { tileM: 128, tileN: 128, tileK: 32, threadM: 8, threadN: 8 };
    expect(matmulConfigProblems(c, DEFAULT_CODEGEN_LIMITS)).toEqual(['needs 32768 bytes of workgroup memory ((tileM+tileN)·tileK·4); the device allows 16384']);
    expect(matmulConfigProblems(c, { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupStorageSize: 32768 })).toEqual([]);
    expect(matmulConfigProblems({ ...c, tileK: 16, doubleBuffer: true }, DEFAULT_CODEGEN_LIMITS))
      .toEqual(['needs 32768 bytes of workgroup memory (2·(tileM+tileN)·tileK·4, double-buffered); the device allows 16384']);
    // Padded rows: one vec4 per K row and operand more; 128×128×16 then just misses 16 KiB.
    expect(matmulConfigProblems({ ...c, tileK: 16, padTiles: true }, DEFAULT_CODEGEN_LIMITS))
      .toEqual(['needs 16896 bytes of workgroup memory ((tileM+tileN+8)·tileK·4, rows padded); the device allows 16384']);
    expect(matmulConfigProblems({ ...c, tileK: 16, padTiles: true, doubleBuffer: true }, DEFAULT_CODEGEN_LIMITS))
      .toEqual(['needs 33792 bytes of workgroup memory (2·(tileM+tileN+8)·tileK·4, double-buffered, rows padded); the device allows 16384']);
    expect(matmulConfigProblems({ ...c, tileN: 64, tileK: 16, padTiles: true }, DEFAULT_CODEGEN_LIMITS)).toEqual([]);
    expect(matmulConfigProblems(DEFAULT_MATMUL_CONFIG, { ...DEFAULT_CODEGEN_LIMITS, maxComputeInvocationsPerWorkgroup: 128 }))
      .toEqual(['needs 256 invocations per workgroup; the device allows 128']);
    const r = checkAndGenerate(matmulProgram(), LIMITS, 'fp32', () => c);
    expect(r.ok ? [] : r.problems).toEqual(["kernel 0 (matmul 'test'): matmul config 128×128×32/8×8: needs 32768 bytes of workgroup memory ((tileM+tileN)·tileK·4); the device allows 16384"]);
  });

  it('the chooser gets (m, n, k, batch, kernel) and shapes the kernel', () => {
    const seen: unknown[][] = [];
    const program = matmulProgram();
    const [k] = generateProgram(program, DEFAULT_CODEGEN_LIMITS, (...a) => { seen.push(a); return { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4 }; });
    const mk = program.kernels[0] as MatmulKernel;
    expect(seen).toEqual([[mk.m, mk.n, mk.k, mk.batch.reduce((x, y) => x * y, 1), mk]]);
    expect(k!.code).toContain('@workgroup_size(256)');
    expect(k!.code).toContain('var<workgroup> As: array<vec4<f32>, 512>;');
    expect(k!.code).toContain('var<workgroup> Bs: array<vec4<f32>, 256>;');
    const [s] = generateProgram(matmulProgram(), DEFAULT_CODEGEN_LIMITS, () => ({ tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2 }));
    expect(s!.code).toContain('var<workgroup> As: array<f32, 256>;');
    expect(s!.code).toContain('for (var p = 0; p < 8; p = p + 1)');
  });

  it('unrollBy unrolls the loop over a K tile that many steps at a time, each step with its own p', () => {
    const [u] = generateProgram(matmulProgram(), DEFAULT_CODEGEN_LIMITS, () => ({ ...DEFAULT_MATMUL_CONFIG, unrollBy: 4 }));
    expect(u!.code).toContain('for (var p0 = 0; p0 < 16; p0 = p0 + 4) {');
    expect(u!.code).not.toContain('for (var p = 0;');
    expect(u!.code).toContain('K tile unrolled 4 steps at a time');
    expect(u!.code.match(/let p = p0( \+ \d)?;/g)).toEqual(['let p = p0;', 'let p = p0 + 1;', 'let p = p0 + 2;', 'let p = p0 + 3;']);
    expect(u!.code.match(/let ra0 = /g)).toHaveLength(4);
  });

  it('unrollK emits the K tile as straight-line code; vec4Loads widens only operands that qualify', () => {
    const flagged = { ...DEFAULT_MATMUL_CONFIG, unrollK: true, vec4Loads: true };
    const [d] = generateProgram(matmulProgram(), DEFAULT_CODEGEN_LIMITS, () => DEFAULT_MATMUL_CONFIG);
    const [u] = generateProgram(matmulProgram(), DEFAULT_CODEGEN_LIMITS, () => ({ ...DEFAULT_MATMUL_CONFIG, unrollK: true }));
    expect(d!.code).toContain('for (var p = 0;');
    expect(u!.code).not.toContain('for (var p = 0;');
    expect(u!.code).toContain('K tile unrolled');
    expect(u!.code.match(/let ra0 = /g)).toHaveLength(16);
    // A 64×96×128 product: both operands contiguous along their loaded dim with sizes that are multiples of 4.
    const mm = (m: number, n: number, kk: number, transB: boolean, offset = 0): Program => ({
      buffers: [
        { id: 0, dtype: 'float32', size: offset + m * kk, role: 'input' }, { id: 1, dtype: 'float32', size: n * kk, role: 'input' },
        { id: 2, dtype: 'float32', size: m * n, role: 'output' },
      ],
      kernels: [{
        kind: 'matmul', batch: [], m, n, k: kk, transA: false, transB, alpha: 1, beta: 0, dtype: 'float32', label: 'mm',
        a: { buffer: 0, offset, shape: [m, kk], strides: [kk, 1] },
        b: { buffer: 1, offset: 0, shape: transB ? [n, kk] : [kk, n], strides: transB ? [kk, 1] : [n, 1] },
        out: { buffer: 2, offset: 0, shape: [m, n], strides: [n, 1] },
      }],
    });
    const code = (p: Program) => generateProgram(p, DEFAULT_CODEGEN_LIMITS, () => flagged)[0]!.code;
    const both = code(mm(64, 96, 128, false));
    expect(both).toContain('var<storage, read> b0: array<vec4<f32>>;');
    expect(both).toContain('var<storage, read> b1: array<vec4<f32>>;');
    expect(both).toContain('vec4 loads of A and B');
    // K = 37: neither A (along K) nor Bᵀ (along K) qualifies; B (along N = 96) still does.
    expect(code(mm(64, 96, 37, true))).not.toContain('vec4<f32>>;');
    const onlyB = code(mm(64, 96, 37, false));
    expect(onlyB).toContain('var<storage, read> b0: array<f32>;');
    expect(onlyB).toContain('var<storage, read> b1: array<vec4<f32>>;');
    // A view offset that is not a multiple of 4 keeps A scalar.
    expect(code(mm(64, 96, 128, true, 2))).toContain('var<storage, read> b0: array<f32>;');
  });
});

describe('workgroup tiles loaded K-fastest: swizzled, or padded (padTiles)', () => {
  // A·Bᵀ 64×96×128: both operands are loaded along K, so both tiles are K-fastest.
  const abt: Program = {
    buffers: [
      { id: 0, dtype: 'float32', size: 64 * 128, role: 'input' }, { id: 1, dtype: 'float32', size: 96 * 128, role: 'input' },
      { id: 2, dtype: 'float32', size: 64 * 96, role: 'output' },
    ],
    kernels: [{
      kind: 'matmul', batch: [], m: 64, n: 96, k: 128, transA: false, transB: true, alpha: 1, beta: 0, dtype: 'float32', label: 'mm',
      a: { buffer: 0, offset: 0, shape: [64, 128], strides: [128, 1] },
      b: { buffer: 1, offset: 0, shape: [96, 128], strides: [128, 1] },
      out: { buffer: 2, offset: 0, shape: [64, 96], strides: [96, 1] },
    }],
  };
  const cfg: MatmulConfig = { tileM: 64, tileN: 32, tileK: 16, threadM: 4, threadN: 4, unrollK: true, vec4Loads: true, doubleBuffer: true };
  const gen = (c: MatmulConfig) => generateProgram(abt, DEFAULT_CODEGEN_LIMITS, () => c)[0]!.code;
  const reads = (code: string) => code.split('\n').map((l) => l.trim()).filter((l) => /^let r[ab]\d+ = /.test(l));

  it('swizzled: reads XOR the vec4 index with p % 8', () => {
    const code = gen(cfg);
    expect(code).toContain('var<workgroup> As: array<vec4<f32>, 512>;'); // 2 · 16 K rows · 16 vec4
    expect(code).toContain('var<workgroup> Bs: array<vec4<f32>, 256>;');
    expect(reads(code).filter((l) => l.includes('^'))).toHaveLength(2 * 15);
    expect(reads(code)).toContain('let ra0 = As[oa + 16 + (ty ^ 1)];');
  });

  it('padded: one vec4 more per K row, reads at constant offsets from the thread index', () => {
    const code = gen({ ...cfg, padTiles: true });
    expect(code).toContain('var<workgroup> As: array<vec4<f32>, 544>;'); // 2 · 16 K rows · (16 + 1) vec4
    expect(code).toContain('var<workgroup> Bs: array<vec4<f32>, 288>;'); // 2 · 16 · (8 + 1)
    expect(code).toContain('let oa = ((k0 / 16) & 1) * 272;');
    expect(reads(code).filter((l) => l.includes('^'))).toEqual([]);
    expect(reads(code)).toContain('let ra0 = As[oa + 17 + ty];');
    expect(reads(code)).toContain('let rb0 = Bs[ob + 135 + tx];');
    expect(code).not.toContain('^ (');
    expect(code).toContain('K rows of As and Bs padded');
    // Tiles loaded along M or N (A·B's B here) are not K-fastest: never padded.
    const plainB = generateProgram({ ...abt, kernels: [{ ...(abt.kernels[0] as MatmulKernel), transB: false, b: { buffer: 1, offset: 0, shape: [128, 96], strides: [96, 1] } }] }, DEFAULT_CODEGEN_LIMITS, () => ({ ...cfg, padTiles: true }))[0]!.code;
    expect(plainB).toContain('var<workgroup> Bs: array<vec4<f32>, 256>;');
  });
});

describe('register staging (prefetch, double)', () => {
  const gen = (cfg: MatmulConfig) => generateProgram(matmulProgram(), DEFAULT_CODEGEN_LIMITS, () => cfg)[0]!.code;
  const kLoop = (code: string) => code.slice(code.indexOf('for (var k0'), code.indexOf('store(wid.z'));
  it('prefetch reads the next K tile into registers before the FMAs, under the same two barriers', () => {
    const plain = gen({ tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2 });
    const pre = gen({ tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2, prefetch: true });
    expect(pre).toContain('next K tile prefetched into registers');
    expect(pre).toContain('var xa0 = f32(0.0f);');
    expect(pre).toContain('var yb0 = f32(0.0f);');
    // 32·8 elements of each tile over 256 invocations: one register per operand.
    expect(pre).not.toContain('var xa1');
    expect(kLoop(pre).match(/workgroupBarrier\(\)/g)).toHaveLength(2);
    expect(kLoop(plain).match(/workgroupBarrier\(\)/g)).toHaveLength(2);
    const loop = kLoop(pre);
    expect(loop.indexOf('if (kn < 29)')).toBeGreaterThan(loop.indexOf('workgroupBarrier()'));
    expect(loop.indexOf('if (kn < 29)')).toBeLessThan(loop.indexOf('fma('));
    expect(loop).toContain('xa0 = b0[');
  });

  it('double keeps two tiles per operand and one barrier per K step', () => {
    const code = gen({ ...DEFAULT_MATMUL_CONFIG, doubleBuffer: true });
    expect(code).toContain('double-buffered through registers');
    expect(code).toContain('var<workgroup> As: array<vec4<f32>, 512>;');
    expect(code).toContain('var<workgroup> Bs: array<vec4<f32>, 512>;');
    expect(kLoop(code).match(/workgroupBarrier\(\)/g)).toHaveLength(1);
    expect(code).toContain('let oa = ((k0 / 16) & 1) * 256;');
    expect(code).toContain('As[oa + p * 16 + ');
    expect(code).toContain('let na = 256 - oa;');
    // A 64×64×16 tile over 256 invocations: 4 elements of each operand per invocation.
    expect(code).toContain('var xa3 = f32(0.0f);');
    expect(code).not.toContain('var xa4');
  });
});

describe('split K', () => {
  const cfg = (splitK: number): MatmulConfig => ({ ...DEFAULT_MATMUL_CONFIG, splitK });
  it('plans whole K tiles per split, none empty, and no split where K has one tile or scratch would pass 128 MiB', () => {
    expect(splitPlan(cfg(2), 800, 1000, 1000, 1)).toEqual({ splits: 2, span: 512 });
    expect(splitPlan(cfg(3), 800, 1000, 1000, 1)).toEqual({ splits: 3, span: 336 });
    expect(splitPlan(cfg(8), 8, 8, 37, 1)).toEqual({ splits: 3, span: 16 }); // 3 K tiles
    expect(splitPlan(cfg(4), 8, 8, 40, 1)).toEqual({ splits: 3, span: 16 }); // 3 tiles, not 4 empty-ended splits
    expect(splitPlan(cfg(4), 8, 8, 16, 1)).toEqual({ splits: 1, span: 16 });
    expect(splitPlan(DEFAULT_MATMUL_CONFIG, 800, 1000, 1000, 1)).toEqual({ splits: 1, span: 1000 });
    expect(splitPlan(cfg(4), 4096, 4096, 4096, 1)).toEqual({ splits: 2, span: 2048 }); // 4 splits would need 256 MiB
    expect(splitPlan(cfg(2), 8192, 8192, 64, 1)).toEqual({ splits: 1, span: 64 });
  });

  it('gives a matmul two launches: partial products to scratch, then their sum with alpha, beta and the epilogue', () => {
    const [g] = generateProgram(matmulProgram(), DEFAULT_CODEGEN_LIMITS, () => cfg(2));
    const mk = matmulProgram().kernels[0] as MatmulKernel;
    expect(mk.k).toBe(29);
    expect(g!.code).toContain('K split 2 ways of 16, partial products to scratch');
    expect(g!.code).toContain('let kEnd = min(29, kBegin + 16);');
    expect(g!.bindings.map((b) => b.buffer)).toEqual([...g!.bindings.slice(0, 2).map((b) => b.buffer), SCRATCH_BUFFER]);
    expect(g!.dispatch[2]).toBe(2 * mk.batch.reduce((a, b) => a * b, 1));
    expect(g!.scratch).toBeGreaterThan(0);
    const sum = g!.next!;
    expect(sum.next).toBeUndefined();
    expect(sum.code).toContain('the sum of 2 split-K partial products');
    expect(sum.bindings[0]).toEqual({ buffer: SCRATCH_BUFFER, dtype: 'float32', write: false });
    expect(launchesOf(g!)).toEqual([g, sum]);
    // The same product unsplit has no scratch and one launch.
    const [plain] = generateProgram(matmulProgram(), DEFAULT_CODEGEN_LIMITS, () => DEFAULT_MATMUL_CONFIG);
    expect(plain!.next).toBeUndefined();
    expect(plain!.scratch).toBeUndefined();
  });
});

describe(`${MATMUL_ENV_VAR} at backend creation`, () => {
  it('an explicit chooser wins; else the variable gives one config for every matmul', () => {
    vi.stubEnv(MATMUL_ENV_VAR, '64,128,16,4,8');
    expect(resolveMatmulChooser({})?.(1, 2, 3, 1)).toEqual({ tileM: 64, tileN: 128, tileK: 16, threadM: 4, threadN: 8 });
    expect(resolveMatmulChooser({ matmulConfig: () => DEFAULT_MATMUL_CONFIG })?.(1, 2, 3, 1)).toEqual(DEFAULT_MATMUL_CONFIG);
    vi.stubEnv(MATMUL_ENV_VAR, '');
    expect(resolveMatmulChooser({})).toBeUndefined();
  });

  it('an invalid value rejects create() (factory and backend) with the reason', async () => {
    vi.stubEnv(MATMUL_ENV_VAR, '64,64,16,5,4');
    const factory = createWebGPUBackendFactory({ importWebgpu: async () => { throw new Error('not needed'); } });
    await expect(factory.create()).rejects.toThrow('SYMGRAD_WEBGPU_MATMUL="64,64,16,5,4" is invalid: tileM (64) must be a multiple of threadM (5)');
    await expect(WebGPUBackend.create()).rejects.toThrow('tileM (64) must be a multiple of threadM (5)');
  });
});

describe('defaultMatmulConfigFor', () => {
  it('takes the large tiles only where there are enough of them and K is long', () => {
    expect(defaultMatmulConfigFor(800, 1000, 1000, 1)).toBe(LARGE_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(1000, 1000, 800, 1)).toBe(LARGE_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(2048, 2048, 2048, 1)).toBe(HUGE_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(1536, 2048, 256, 1)).toBe(HUGE_MATMUL_CONFIG); // 192 tiles of 128×128
    expect(defaultMatmulConfigFor(1408, 2048, 256, 1)).toBe(LARGE_MATMUL_CONFIG); // 176
    expect(defaultMatmulConfigFor(2048, 2048, 255, 1)).toBe(DEFAULT_MATMUL_CONFIG); // K too short for either
    // 7 large tiles: 64×64 tiles (13) with K split 8 ways instead; 1000×10×800 has 16 tiles.
    expect(defaultMatmulConfigFor(800, 10, 1000, 1)).toEqual({ ...DEFAULT_MATMUL_CONFIG, splitK: 8 });
    expect(defaultMatmulConfigFor(1000, 10, 800, 1)).toEqual({ ...DEFAULT_MATMUL_CONFIG, splitK: 8 });
    expect(defaultMatmulConfigFor(37, 10, 300, 1)).toEqual({ ...DEFAULT_MATMUL_CONFIG, splitK: 4 }); // 19 K tiles: 4 each
    expect(defaultMatmulConfigFor(37, 10, 240, 1)).toBe(DEFAULT_MATMUL_CONFIG); // 15 K tiles, under 16
    expect(defaultMatmulConfigFor(800, 1000, 10, 1)).toBe(DEFAULT_MATMUL_CONFIG); // the seed's dX of the last layer
    expect(defaultMatmulConfigFor(256, 256, 4096, 1)).toEqual({ ...DEFAULT_MATMUL_CONFIG, splitK: 8 }); // 16 tiles
    expect(defaultMatmulConfigFor(512, 256, 4096, 1)).toBe(DEFAULT_MATMUL_CONFIG); // 32 tiles
    expect(defaultMatmulConfigFor(800, 10, 1000, 1)).toBe(defaultMatmulConfigFor(800, 10, 1000, 1)); // one object per split count
    expect(defaultMatmulConfigFor(800, 1000, 100, 1)).toBe(DEFAULT_MATMUL_CONFIG); // short K
    expect(defaultMatmulConfigFor(64, 64, 512, 96)).toBe(LARGE_MATMUL_CONFIG); // batches count
    expect(formatMatmulConfig(LARGE_MATMUL_CONFIG)).toBe('128,64,16,8,4,unroll,vec4,prefetch');
    expect(matmulConfigProblems(LARGE_MATMUL_CONFIG, DEFAULT_CODEGEN_LIMITS)).toEqual([]);
  });

  it('pads the 128×128 tiles only on a device with the workgroup memory', () => {
    const big = { maxComputeWorkgroupStorageSize: 32768 };
    const exact = { maxComputeWorkgroupStorageSize: 16896 }; // what the padded tiles need
    expect(defaultMatmulConfigFor(2048, 2048, 2048, 1, big)).toBe(HUGE_PADDED_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(1536, 2048, 256, 1, exact)).toBe(HUGE_PADDED_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(2048, 2048, 2048, 1, { maxComputeWorkgroupStorageSize: 16895 })).toBe(HUGE_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(2048, 2048, 2048, 1, DEFAULT_CODEGEN_LIMITS)).toBe(HUGE_MATMUL_CONFIG);
    // The other classes are the same with or without the memory.
    expect(defaultMatmulConfigFor(1408, 2048, 256, 1, big)).toBe(LARGE_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(800, 10, 1000, 1, big)).toEqual({ ...DEFAULT_MATMUL_CONFIG, splitK: 8 });
    expect(defaultMatmulConfigFor(800, 1000, 10, 1, big)).toBe(DEFAULT_MATMUL_CONFIG);
    expect(formatMatmulConfig(HUGE_PADDED_MATMUL_CONFIG)).toBe('128,128,16,8,8,unroll,vec4,prefetch,pad');
    expect(matmulConfigProblems(HUGE_PADDED_MATMUL_CONFIG, { ...DEFAULT_CODEGEN_LIMITS, ...exact })).toEqual([]);
    expect(matmulConfigProblems(HUGE_PADDED_MATMUL_CONFIG, DEFAULT_CODEGEN_LIMITS)[0]).toContain('needs 16896 bytes of workgroup memory');
  });

  it('splits padded 128×128 tiles in two where that makes 96 to 256 workgroups, K is long and the memory is there; K tiles of 32 unless B is transposed', () => {
    const h100 = { maxComputeWorkgroupStorageSize: 49152 };
    const swiftShader = { maxComputeWorkgroupStorageSize: 32768 };
    // The seed's three large products: 56, 56 and 64 tiles of 128×128.
    expect(defaultMatmulConfigFor(800, 1000, 1000, 1, h100)).toBe(SPLIT_HUGE_K32_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(800, 1000, 1000, 1, h100, { transB: true })).toBe(SPLIT_HUGE_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(1000, 1000, 800, 1, h100, { transB: false })).toBe(SPLIT_HUGE_K32_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(800, 1000, 1000, 1, swiftShader)).toBe(SPLIT_HUGE_MATMUL_CONFIG); // 33,792 bytes do not fit
    expect(defaultMatmulConfigFor(800, 1000, 1000, 1, { maxComputeWorkgroupStorageSize: 16896 })).toBe(SPLIT_HUGE_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(800, 1000, 1000, 1, DEFAULT_CODEGEN_LIMITS)).toBe(LARGE_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(800, 1000, 1000, 1)).toBe(LARGE_MATMUL_CONFIG); // no limits known
    // The bounds: 48 and 128 tiles, K of 512; 47 tiles or K 511 take the 128×64 tiles (or the 64×64 default), 129 too.
    expect(defaultMatmulConfigFor(768, 1024, 512, 1, h100)).toBe(SPLIT_HUGE_K32_MATMUL_CONFIG); // 6×8
    expect(defaultMatmulConfigFor(1024, 2048, 512, 1, h100)).toBe(SPLIT_HUGE_K32_MATMUL_CONFIG); // 8×16
    expect(defaultMatmulConfigFor(1152, 1920, 512, 1, h100)).toBe(LARGE_MATMUL_CONFIG); // 9×15 = 135
    expect(defaultMatmulConfigFor(768, 1024, 511, 1, h100)).toBe(LARGE_MATMUL_CONFIG);
    expect(defaultMatmulConfigFor(128, 128, 512, 47, h100)).toEqual(DEFAULT_MATMUL_CONFIG); // a batch of 47 single tiles: 47×2 128×64 tiles
    expect(defaultMatmulConfigFor(128, 128, 512, 48, h100)).toBe(SPLIT_HUGE_K32_MATMUL_CONFIG);
    expect(formatMatmulConfig(SPLIT_HUGE_K32_MATMUL_CONFIG)).toBe('128,128,32,8,8,unroll,vec4,prefetch,pad,split2');
    expect(formatMatmulConfig(SPLIT_HUGE_MATMUL_CONFIG)).toBe('128,128,16,8,8,unroll,vec4,prefetch,pad,split2');
    expect(matmulConfigProblems(SPLIT_HUGE_K32_MATMUL_CONFIG, { ...DEFAULT_CODEGEN_LIMITS, ...swiftShader })[0]).toContain('needs 33792 bytes of workgroup memory');
  });

  it('code generation passes the device limits to the default: padded tiles only where they fit', () => {
    const [m, n, k] = [1536, 2048, 256]; // 192 tiles of 128×128
    const product: Program = {
      buffers: [
        { id: 0, dtype: 'float32', size: m * k, role: 'input' }, { id: 1, dtype: 'float32', size: n * k, role: 'input' },
        { id: 2, dtype: 'float32', size: m * n, role: 'output' },
      ],
      kernels: [{
        kind: 'matmul', batch: [], m, n, k, transA: false, transB: true, alpha: 1, beta: 0, dtype: 'float32', label: 'mm',
        a: { buffer: 0, offset: 0, shape: [m, k], strides: [k, 1] },
        b: { buffer: 1, offset: 0, shape: [n, k], strides: [k, 1] },
        out: { buffer: 2, offset: 0, shape: [m, n], strides: [n, 1] },
      }],
    };
    const big = generateProgram(product, { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupStorageSize: 32768 })[0]!.code;
    expect(big).toContain('tile 128×128×16, 8×8 per invocation');
    expect(big).toContain('K rows of As and Bs padded');
    const small = generateProgram(product, DEFAULT_CODEGEN_LIMITS)[0]!.code;
    expect(small).toContain('tile 128×128×16, 8×8 per invocation');
    expect(small).not.toContain('padded');
  });
});
