import { describe, expect, it } from 'vitest';
import type { BufferSpec, DType, Program, ScatterAddKernel, TakeKernel, View } from '@symgrad/core';
import { checkAndGenerate, type ProgramLimits } from './check.js';
import { generateProgram } from './generate.js';
import { DEFAULT_CODEGEN_LIMITS } from './kernel.js';
import { BindingTable } from './wgsl-types.js';

// Code generation of take and scatterAdd (pure; the numbers are checked on the device in
// indexing.device.test.ts and by the conformance suite, and the WGSL of the conformance
// case is pinned by the kernel.take-scatter-add snapshot).
const LIMITS: ProgramLimits = { ...DEFAULT_CODEGEN_LIMITS, maxBufferElements: 1 << 28, maxStorageBuffersPerShaderStage: 8 };
const contiguous = (buffer: number, shape: number[], offset = 0): View =>
  ({ buffer, offset, shape, strides: shape.map((_, d) => shape.slice(d + 1).reduce((a, c) => a * c, 1)) });
const spec = (id: number, dtype: DType, size: number): BufferSpec => ({ id, dtype, size, role: 'temp' });

/** take of a [outer, size, inner] buffer 0 at n indices (buffer 1) into buffer 2. */
function takeProgram(dtype: DType, [outer, size, inner]: number[], n: number, fill: number): Program {
  const kernel: TakeKernel = {
    kind: 'take', input: contiguous(0, [outer!, size!, inner!]), indices: contiguous(1, [n]), output: contiguous(2, [outer!, n, inner!]), fill, label: 'take',
  };
  return { buffers: [spec(0, dtype, outer! * size! * inner!), spec(1, 'int32', n), spec(2, dtype, outer! * n * inner!)], kernels: [kernel] };
}

/** scatterAdd of buffer 0's updates at buffer 1's indices into `output` (buffer 2 unless it says otherwise). */
function scatterProgram(dtype: DType, updates: View, output: View, sizes: [number, number, number]): Program {
  const kernel: ScatterAddKernel = { kind: 'scatterAdd', updates, indices: contiguous(1, [updates.shape[1]!]), output, label: 'scatter' };
  return { buffers: [spec(0, dtype, sizes[0]), spec(1, 'int32', sizes[1]), spec(2, dtype, sizes[2])], kernels: [kernel] };
}

describe('take code generation', () => {
  it('resolves negative indices, reads the input only in range, and stores the fill elsewhere', () => {
    const code = generateProgram(takeProgram('float32', [2, 7, 3], 5, NaN))[0]!.code;
    expect(code).toContain('var y: i32 = b0[i32(e1)];');
    expect(code).toContain('if (y < 0) { y = y + 7; }');
    expect(code).toContain('var v = sg_nan();');
    expect(code).toContain('if (y >= 0 && y < 7) { v = b1[i32(e0) * 21 + i32(y) * 3 + i32(e2)]; }');
    expect(code).toContain('b2[i32(e0) * 15 + i32(e1) * 3 + i32(e2)] = v;');
    expect(code).toContain('fn sg_nan()'); // NaN by its bits: WGSL has no NaN literal
  });

  it('writes each fill as a constant of the output dtype, rounded as the reference stores it', () => {
    const fillOf = (dtype: DType, fill: number) => generateProgram(takeProgram(dtype, [1, 4, 1], 3, fill))[0]!.code.match(/var v = (.*);/)![1];
    expect(fillOf('int32', -(2 ** 31))).toBe('i32(-2147483647 - 1)');
    expect(fillOf('int32', 7)).toBe('7i');
    expect(fillOf('float32', 0)).toBe('0.0f');
    expect(fillOf('float32', 0.1)).toBe('0.10000000149011612f');
    expect(fillOf('float32', -Infinity)).toBe('(-sg_inf())');
    expect(fillOf('bool', 1)).toBe('1i'); // takeFill('bool'): true
    expect(fillOf('bool', 0)).toBe('0i');
  });

  it('splits a wide launch into a 2-D grid, and names the limit when even that is too small', () => {
    // 3 × 1000 × 2 = 6000 outputs are 24 workgroups: 5 × 5 at 5 per dimension.
    const [k] = generateProgram(takeProgram('float32', [3, 4, 2], 1000, 0), { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupsPerDimension: 5 });
    expect(k!.dispatch).toEqual([5, 5, 1]);
    expect(k!.code).toContain('let lin = gid.x + gid.y * 1280u;');
    expect(k!.code).toContain('if (lin >= 6000u) { return; }');
    const r = checkAndGenerate(takeProgram('float32', [3, 4, 2], 1000, 0), { ...LIMITS, maxComputeWorkgroupsPerDimension: 4 }, 'fp32');
    expect(r.ok ? [] : r.problems).toEqual([
      "kernel 0 (take 'take'): webgpu codegen: 24 workgroups exceed the device's grid of 4 × 4 (maxComputeWorkgroupsPerDimension 4)",
    ]);
  });

  it('binds input and output once when they share a buffer (one read_write binding)', () => {
    const p = takeProgram('float32', [1, 4, 2], 3, 0);
    const k = p.kernels[0] as TakeKernel;
    const shared: Program = { buffers: [spec(0, 'float32', 8 + 6), p.buffers[1]!], kernels: [{ ...k, output: contiguous(0, [1, 3, 2], 8) }] };
    const [g] = generateProgram(shared);
    expect(g!.bindings).toEqual([{ buffer: 1, dtype: 'int32', write: false }, { buffer: 0, dtype: 'float32', write: true }]);
    expect(g!.code).toContain('b1[8 + i32(e1) * 2 + i32(e2)] = v;');
  });
});

describe('scatterAdd code generation', () => {
  it('adds float32 by a compare-exchange loop on the bits of an atomic<u32> binding', () => {
    const [g] = generateProgram(scatterProgram('float32', contiguous(0, [2, 5, 3]), contiguous(2, [2, 4, 3]), [30, 5, 24]));
    expect(g!.bindings).toEqual([{ buffer: 2, dtype: 'float32', write: true, atomic: true }, { buffer: 1, dtype: 'int32', write: false }, { buffer: 0, dtype: 'float32', write: false }]);
    expect(g!.code).toContain('@group(0) @binding(0) var<storage, read_write> b0: array<atomic<u32>>;');
    expect(g!.code).toContain('@group(0) @binding(2) var<storage, read> b2: array<f32>;');
    expect(g!.code).toContain('if (y < 0 || y >= 4) { return; }'); // dropped, not wrapped twice
    expect(g!.code).toContain('let u = b2[i32(e0) * 15 + i32(e1) * 3 + i32(e2)];');
    expect(g!.code).toContain([
      '  var seen = atomicLoad(&b0[at]);',
      '  loop {',
      '    let r = atomicCompareExchangeWeak(&b0[at], seen, bitcast<u32>(bitcast<f32>(seen) + u));',
      '    if (r.exchanged) { break; }',
      '    seen = r.old_value;',
      '  }',
    ].join('\n'));
    expect(g!.code).not.toContain('atomicAdd');
  });

  it('adds int32 with atomicAdd on an atomic<i32> binding', () => {
    const [g] = generateProgram(scatterProgram('int32', contiguous(0, [1, 5, 1]), contiguous(2, [1, 4, 1]), [5, 5, 4]));
    expect(g!.code).toContain('var<storage, read_write> b0: array<atomic<i32>>;');
    expect(g!.code).toContain('atomicAdd(&b0[at], u);');
    expect(g!.code).not.toContain('atomicCompareExchangeWeak');
  });

  it("bakes the output view's offset and strides into the address", () => {
    // The output is the transpose of a [3, 4] block at offset 6, read as [1, 4, 3].
    const out: View = { buffer: 2, offset: 6, shape: [1, 4, 3], strides: [0, 1, 4] };
    const [g] = generateProgram(scatterProgram('float32', contiguous(0, [1, 5, 3]), out, [15, 5, 18]));
    expect(g!.code).toContain('let at = 6 + i32(y) + i32(e2) * 4;');
  });

  it("reads updates that live in the output's buffer through the atomic binding", () => {
    // Updates at words 0..5, the output at words 8..13 of the same buffer: one binding, atomic.
    const updates = contiguous(2, [1, 2, 3]);
    const [g] = generateProgram(scatterProgram('float32', updates, contiguous(2, [1, 2, 3], 8), [1, 2, 14]));
    expect(g!.bindings).toEqual([{ buffer: 2, dtype: 'float32', write: true, atomic: true }, { buffer: 1, dtype: 'int32', write: false }]);
    expect(g!.code).toContain('let u = bitcast<f32>(atomicLoad(&b0[i32(e1) * 3 + i32(e2)]));');
    const [i] = generateProgram(scatterProgram('int32', updates, contiguous(2, [1, 2, 3], 8), [1, 2, 14]));
    expect(i!.code).toContain('let u = atomicLoad(&b0[i32(e1) * 3 + i32(e2)]);');
  });

  it('launches one invocation per update, split into a 2-D grid past the device limit', () => {
    // 1000 × 5 = 5000 updates are 20 workgroups: 7 × 3 at 7 per dimension.
    const [g] = generateProgram(scatterProgram('float32', contiguous(0, [1, 1000, 5]), contiguous(2, [1, 3, 5]), [5000, 1000, 15]), { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupsPerDimension: 7 });
    expect(g!.dispatch).toEqual([7, 3, 1]);
    expect(g!.code).toContain('let lin = gid.x + gid.y * 1792u;');
    expect(g!.code).toContain('if (lin >= 5000u) { return; }');
  });

  it('refuses to add into a bool buffer, naming the kernel', () => {
    const p = scatterProgram('bool', contiguous(0, [1, 2, 1]), contiguous(2, [1, 2, 1]), [2, 2, 2]);
    const r = checkAndGenerate(p, LIMITS, 'fp32');
    expect(r.ok ? [] : r.problems).toEqual([
      "kernel 0 (scatterAdd 'scatter'): webgpu codegen: scatterAdd into a 'bool' buffer is not supported (it adds: float32 or int32 only)",
    ]);
  });
});

describe('atomic bindings', () => {
  it('declare one atomic word per element, even in a vec4 module', () => {
    const t = new BindingTable(() => 'float32');
    t.ref(4);
    t.atomicRef(5);
    expect(t.declarations(4)).toBe([
      '@group(0) @binding(0) var<storage, read> b0: array<vec4<f32>>;',
      '@group(0) @binding(1) var<storage, read_write> b1: array<atomic<u32>>;',
    ].join('\n'));
  });
});
