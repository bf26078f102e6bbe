import { describe, expect, it } from 'vitest';
import type { DType, Program, RandomDistribution, View } from '@symgrad/core';
import { checkAndGenerate, type ProgramLimits } from './check.js';
import { generateProgram } from './generate.js';
import { DEFAULT_CODEGEN_LIMITS } from './kernel.js';

// Code generation of the random kernel (pure; the draws themselves are checked on the device
// in random.device.test.ts and by the conformance suite, and the WGSL is pinned by the
// kernel.random snapshot).
const LIMITS: ProgramLimits = { ...DEFAULT_CODEGEN_LIMITS, maxBufferElements: 1 << 28, maxStorageBuffersPerShaderStage: 8 };
const lin = (buffer: number, n: number, offset = 0): View => ({ buffer, offset, shape: [n], strides: [1] });

function randomProgram(distribution: RandomDistribution, dtype: DType, n: number, output: View = lin(1, n)): Program {
  return {
    buffers: [
      { id: 0, dtype: 'int32', size: 4, role: 'input' },
      { id: 1, dtype, size: Math.max(n, 1) * 2, role: 'output' },
      { id: 2, dtype: 'int32', size: 4, role: 'output' },
    ],
    kernels: [{ kind: 'random', distribution, dtype, state: lin(0, 4), output, next: lin(2, 4), label: 'draw' }],
  };
}

describe('random kernel code generation', () => {
  it('launches one invocation per Philox block, split into a 2-D grid past the device limit', () => {
    // 5000 elements are 1250 blocks, 5 workgroups of 256: a 3×2 grid at 3 per dimension.
    const [k] = generateProgram(randomProgram('uniform', 'float32', 5000), { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupsPerDimension: 3 });
    expect(k!.dispatch).toEqual([3, 2, 1]);
    expect(k!.code).toContain('let blk = gid.x + gid.y * 768u;');
    expect(k!.code).toContain('if (blk >= 1250u) { return; }');
  });

  it('guards the lanes of a partial last block only', () => {
    expect(generateProgram(randomProgram('bits', 'int32', 7))[0]!.code).toContain('if (base + j < 7u) { b1[base + j] = v[j]; }');
    expect(generateProgram(randomProgram('bits', 'int32', 8))[0]!.code).toContain('    b1[base + j] = v[j];');
    expect(generateProgram(randomProgram('bits', 'int32', 6, lin(1, 6, 5)))[0]!.code).toContain('b1[5u + base + j]');
  });

  it('writes next from invocation 0 alone, before the bounds check (so an empty draw writes it too)', () => {
    const code = generateProgram(randomProgram('normal', 'float32', 0))[0]!.code;
    expect(code.match(/if \(blk == 0u\)/g)).toHaveLength(1);
    expect(code.indexOf('if (blk == 0u)')).toBeLessThan(code.indexOf('if (blk >= 0u) { return; }'));
    expect(code).toContain('let next_lo = s.z + 0u;');
  });

  it('rejects float64 draws, draws into the wrong dtype and non-contiguous outputs', () => {
    const f64 = checkAndGenerate(randomProgram('uniform', 'float64', 8), LIMITS, 'fp32');
    expect(f64.ok ? [] : f64.problems).toContain("buffer 1: dtype 'float64' is not supported (WGSL has no 64-bit floats)");
    const wrong = checkAndGenerate(randomProgram('bits', 'float32', 8), LIMITS, 'fp32');
    expect(wrong.ok ? [] : wrong.problems).toEqual(["kernel 0 (random 'draw'): random: a bits draw into float32 is not supported (WebGPU draws bits as int32)"]);
    expect(() => generateProgram(randomProgram('uniform', 'float32', 4, { buffer: 1, offset: 0, shape: [4], strides: [2] })))
      .toThrow("webgpu codegen: kernel 0 (random 'draw'): random: output must be contiguous (shape [4], strides [2])");
    const transposed = checkAndGenerate(randomProgram('uniform', 'float32', 4, { buffer: 1, offset: 0, shape: [2, 2], strides: [1, 2] }), LIMITS, 'fp32');
    expect(transposed.ok ? [] : transposed.problems).toEqual(["kernel 0 (random 'draw'): random: output must be contiguous (shape [2, 2], strides [1, 2])"]);
    const state = randomProgram('bits', 'int32', 4);
    const k = state.kernels[0]!;
    if (k.kind !== 'random') throw new Error('not a random kernel');
    const stepped: Program = { ...state, buffers: [{ ...state.buffers[0]!, size: 8 }, ...state.buffers.slice(1)], kernels: [{ ...k, state: { buffer: 0, offset: 0, shape: [4], strides: [2] } }] };
    const s = checkAndGenerate(stepped, LIMITS, 'fp32');
    expect(s.ok ? [] : s.problems).toEqual(["kernel 0 (random 'draw'): random: state must be contiguous (shape [4], strides [2])"]);
  });
});
