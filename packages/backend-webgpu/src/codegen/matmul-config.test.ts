import { afterEach, describe, expect, it, vi } from 'vitest';
import { KERNEL_CASES, TestRandom } from '@symgrad/core/testing';
import { createWebGPUBackendFactory, resolveMatmulChooser, WebGPUBackend } from '../backend.js';
import { checkAndGenerate, type ProgramLimits } from './check.js';
import { generateProgram } from './generate.js';
import { DEFAULT_CODEGEN_LIMITS } from './kernel.js';
import {
  DEFAULT_MATMUL_CONFIG, formatMatmulConfig, MATMUL_ENV_VAR, matmulConfigCandidates, matmulConfigProblems, parseMatmulConfig,
} from './matmul-config.js';

// Pure (no device): config rules, SYMGRAD_WEBGPU_MATMUL parsing, and the chooser reaching codegen.
const LIMITS: ProgramLimits = { ...DEFAULT_CODEGEN_LIMITS, maxBufferElements: 1 << 28, maxStorageBuffersPerShaderStage: 8 };
const matmulProgram = () => KERNEL_CASES['kernel.matmul.alpha-beta-epilogue']!(new TestRandom(1)).program;

afterEach(() => { vi.unstubAllEnvs(); });

describe('matmul configs', () => {
  it('every candidate fits WebGPU default limits, and the default is the first', () => {
    expect(matmulConfigCandidates[0]).toEqual(DEFAULT_MATMUL_CONFIG);
    expect(matmulConfigCandidates.length).toBeGreaterThanOrEqual(6);
    for (const c of matmulConfigCandidates) expect(matmulConfigProblems(c, DEFAULT_CODEGEN_LIMITS), formatMatmulConfig(c)).toEqual([]);
    expect(matmulConfigCandidates.map(formatMatmulConfig)).toEqual(['64,64,16,4,4', '64,64,16,8,8', '128,64,16,8,4', '64,128,16,4,8', '128,128,8,8,8', '128,128,16,8,8']);
  });

  it('parses SYMGRAD_WEBGPU_MATMUL, and names the variable and the broken rule when invalid', () => {
    expect(parseMatmulConfig(' 128, 64,16,8,4')).toEqual({ tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4 });
    const hint = '(expected "tileM,tileN,tileK,threadM,threadN", e.g. "64,64,16,4,4")';
    expect(() => parseMatmulConfig('64,64,16')).toThrow(`SYMGRAD_WEBGPU_MATMUL="64,64,16" is invalid: it has 3 comma-separated values, not 5 ${hint}`);
    expect(() => parseMatmulConfig('64,64,16,4,x')).toThrow('SYMGRAD_WEBGPU_MATMUL="64,64,16,4,x" is invalid: every value must be a positive integer');
    expect(() => parseMatmulConfig('64,64,16,-4,4')).toThrow('every value must be a positive integer');
    expect(matmulConfigProblems({ tileM: 0, tileN: 1.5, tileK: 16, threadM: 4, threadN: 4 }, DEFAULT_CODEGEN_LIMITS)).toEqual(['tileM, tileN must be positive integers']);
    expect(() => parseMatmulConfig('64,64,0,4,4')).toThrow('is invalid: tileK must be a positive integer');
    expect(() => parseMatmulConfig('64,60,16,4,8')).toThrow('is invalid: tileN (60) must be a multiple of threadN (8)');
    expect(() => parseMatmulConfig('128,128,16,4,4')).toThrow('is invalid: (tileM/threadM)·(tileN/threadN) = 1024 invocations must be at most 256');
    expect(() => parseMatmulConfig('64,64,2,4,4')).toThrow('is invalid: tileM·tileK (128) must be a multiple of the 256 invocations; tileN·tileK (128) must be a multiple of the 256 invocations');
  });

  it('checks workgroup memory and invocations against the device limits', () => {
    const c = { tileM: 128, tileN: 128, tileK: 32, threadM: 8, threadN: 8 };
    expect(matmulConfigProblems(c, DEFAULT_CODEGEN_LIMITS)).toEqual(['needs 32768 bytes of workgroup memory ((tileM+tileN)·tileK·4); the device allows 16384']);
    expect(matmulConfigProblems(c, { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupStorageSize: 32768 })).toEqual([]);
    expect(matmulConfigProblems(DEFAULT_MATMUL_CONFIG, { ...DEFAULT_CODEGEN_LIMITS, maxComputeInvocationsPerWorkgroup: 128 }))
      .toEqual(['needs 256 invocations per workgroup; the device allows 128']);
    const r = checkAndGenerate(matmulProgram(), LIMITS, 'fp32', () => c);
    expect(r.ok ? [] : r.problems).toEqual(["kernel 0 (matmul 'test'): matmul config 128×128×32/8×8: needs 32768 bytes of workgroup memory ((tileM+tileN)·tileK·4); the device allows 16384"]);
  });

  it('the chooser gets (m, n, k, batch) and shapes the kernel', () => {
    const seen: number[][] = [];
    const [k] = generateProgram(matmulProgram(), DEFAULT_CODEGEN_LIMITS, (...a) => { seen.push(a); return { tileM: 128, tileN: 64, tileK: 16, threadM: 8, threadN: 4 }; });
    expect(seen).toHaveLength(1);
    expect(k!.code).toContain('@workgroup_size(256)');
    expect(k!.code).toContain('var<workgroup> As: array<vec4<f32>, 512>;');
    expect(k!.code).toContain('var<workgroup> Bs: array<vec4<f32>, 256>;');
    const [s] = generateProgram(matmulProgram(), DEFAULT_CODEGEN_LIMITS, () => ({ tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2 }));
    expect(s!.code).toContain('var<workgroup> As: array<f32, 256>;');
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
