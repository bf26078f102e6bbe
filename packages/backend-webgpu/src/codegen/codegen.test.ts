import { describe, expect, it } from 'vitest';
import { sx, type Program } from '@symgrad/core';
import { KERNEL_CASES, kernelCasesFor, TestRandom } from '@symgrad/core/testing';
import { checkAndGenerate, type ProgramLimits } from './check.js';
import { generateProgram } from './generate.js';
import { DEFAULT_CODEGEN_LIMITS, WEBGPU_KERNEL_KINDS } from './kernel.js';
import { Helpers, splitDispatch } from './wgsl-types.js';
import { castValue, f32Literal, i32Literal, renderExprs, type ExprInput } from './wgsl-expr.js';
import { renderExprsVec4 } from './wgsl-expr-vec4.js';

// Code generation is pure (no device): these run everywhere, CI included, and pin the WGSL.
const LIMITS: ProgramLimits = { ...DEFAULT_CODEGEN_LIMITS, maxBufferElements: 1 << 28, maxStorageBuffersPerShaderStage: 8 };
const caseProgram = (name: string): Program => KERNEL_CASES[name]!(new TestRandom(1)).program;

describe('WGSL snapshots of every kernel kind', () => {
  for (const [name] of kernelCasesFor(WEBGPU_KERNEL_KINDS)) {
    it(name, async () => {
      const kernels = generateProgram(caseProgram(name));
      const text = kernels.map((k) => `// dispatch ${k.dispatch.join('×')}; bindings ${k.bindings.map((b) => `${b.buffer}:${b.dtype}${b.write ? ':rw' : ''}`).join(' ')}\n${k.code}`).join('\n');
      await expect(text).toMatchFileSnapshot(`__snapshots__/${name}.wgsl`);
    });
  }

  it('a reduce over a long axis takes the workgroup tree path', async () => {
    const program: Program = {
      buffers: [{ id: 0, dtype: 'float32', size: 3 * 1000, role: 'input' }, { id: 1, dtype: 'int32', size: 3, role: 'output' }],
      kernels: [{
        kind: 'reduce', op: 'argmax', shape: [3, 1000], axes: [1], inputs: [{ buffer: 0, offset: 0, shape: [3, 1000], strides: [1000, 1] }],
        prologue: sx.input(0, 'float32'), output: { buffer: 1, offset: 0, shape: [3], strides: [1] }, label: 'argmax',
      }],
    };
    const [k] = generateProgram(program);
    expect(k!.code).toContain('(argmax, tree)');
    expect(k!.code).toContain('workgroupBarrier');
    await expect(k!.code).toMatchFileSnapshot('__snapshots__/reduce-argmax-tree.wgsl');
  });
});

describe('scalar expression rendering', () => {
  it('binds every node with let, sharing subtrees', () => {
    const x = sx.input(0, 'float32');
    const s = sx.binary('add', x, sx.const(1, 'float32'), 'float32');
    const e = sx.binary('mul', s, s, 'float32');
    const h = new Helpers();
    const r = renderExprs([e, sx.unary('cast', s, 'int32')], [{ code: 'x', dtype: 'float32' }], h, 't');
    expect(r.lines).toEqual([
      'let t0: f32 = x;',
      'let t1: f32 = 1.0f;',
      'let t2: f32 = (t0 + t1);',
      'let t3: f32 = (t2 * t2);',
      'let t4: i32 = sg_to_i32(t2);',
    ]);
    expect(r.values).toEqual(['t3', 't4']);
    expect(h.render()).toContain('fn sg_to_i32');
    expect(h.render()).toContain('fn sg_isnan'); // a dependency of sg_to_i32
  });

  it('writes non-finite and subnormal float constants by their bits, int32 limits as expressions', () => {
    const h = new Helpers();
    expect(f32Literal(0.5, h)).toBe('0.5f');
    expect(f32Literal(3, h)).toBe('3.0f');
    expect(f32Literal(NaN, h)).toBe('sg_nan()');
    expect(f32Literal(-Infinity, h)).toBe('(-sg_inf())');
    expect(f32Literal(1e-40, h)).toMatch(/^bitcast<f32>\(\d+u\)$/);
    expect(f32Literal(-0, h)).toBe('bitcast<f32>(2147483648u)');
    expect(i32Literal(-2147483648)).toBe('i32(-2147483647 - 1)');
    expect(i32Literal(7)).toBe('7i');
  });

  it('refuses float64 constants and values, and inputs with no source, naming them', () => {
    const h = new Helpers();
    expect(() => renderExprs([sx.const(2.5, 'float64')], [], h, 't')).toThrow("webgpu codegen: constant 2.5 of dtype 'float64' is not supported (supported: float32, int32, bool)");
    expect(() => castValue('x', 'float64', 'float32', h)).toThrow("webgpu codegen: dtype 'float64' has no WGSL representation (supported: float32, int32, bool)");
    // A sparse inputs array: input(1) is in range but has no source.
    const inputs: ExprInput[] = [];
    inputs[0] = { code: 'a', dtype: 'float32' };
    inputs[2] = { code: 'c', dtype: 'float32' };
    const e = sx.unary('exp', sx.input(1, 'float32'));
    expect(() => renderExprs([e], inputs, h, 't')).toThrow('webgpu codegen: input(1) has no source (the kernel has 3 inputs)');
    expect(() => renderExprsVec4([e], inputs, h, 't')).toThrow('webgpu codegen: input(1) has no source (the kernel has 3 inputs)');
  });

  it('computes int results of exact ops in i32 and others in f32', () => {
    const h = new Helpers();
    const i = sx.input(0, 'int32');
    const r = renderExprs([sx.binary('add', i, i, 'int32'), sx.binary('div', i, i, 'int32'), sx.binary('lt', i, sx.input(1, 'float32'), 'bool')],
      [{ code: 'a', dtype: 'int32' }, { code: 'b', dtype: 'float32' }], h, 'v');
    expect(r.lines).toContain('let v1: i32 = (v0 + v0);');
    expect(r.lines).toContain('let v2: i32 = sg_to_i32((f32(v0) / f32(v0)));');
    expect(r.lines).toContain('let v4: i32 = select(0i, 1i, sg_lt(f32(v0), v3));');
  });
});

describe('program checks (before anything runs)', () => {
  it('rejects a float64 program, listing every problem at once', () => {
    const program: Program = {
      buffers: [{ id: 0, dtype: 'float64', size: 4, role: 'input' }, { id: 1, dtype: 'float64', size: 4, role: 'output' }],
      kernels: [{
        kind: 'elementwise', shape: [4], inputs: [{ buffer: 0, offset: 0, shape: [4], strides: [1] }], outputs: [{ buffer: 1, offset: 0, shape: [4], strides: [1] }],
        exprs: [sx.unary('exp', sx.input(0, 'float64'))], label: 'exp',
      }],
    };
    const r = checkAndGenerate(program, LIMITS, 'tf32');
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems).toContain("precision 'tf32' is not supported (supported: fp32)");
    expect(problems).toContain("buffer 0: dtype 'float64' is not supported (WGSL has no 64-bit floats)");
    expect(problems).toContain("buffer 1: dtype 'float64' is not supported (WGSL has no 64-bit floats)");
    expect(problems).toContain("kernel 0 (elementwise 'exp'): webgpu codegen: dtype 'float64' has no WGSL representation (supported: float32, int32, bool)");
    // generateProgram (no checks first) names the kernel it failed on.
    expect(() => generateProgram(program)).toThrow("webgpu codegen: kernel 0 (elementwise 'exp'): webgpu codegen: dtype 'float64' has no WGSL representation (supported: float32, int32, bool)");
  });

  it('rejects unknown kernel kinds and kernels the device limits cannot launch, naming each', () => {
    const v = (buffer: number, shape: number[]) => ({ buffer, offset: 0, shape, strides: shape.map((_, d) => shape.slice(d + 1).reduce((a, c) => a * c, 1)) });
    const program = {
      buffers: [...[0, 1, 2].map((id) => ({ id, dtype: 'float32', size: 3 * 200 * 200, role: 'temp' })), { id: 3, dtype: 'int32', size: 4, role: 'temp' }],
      kernels: [
        { kind: 'conv2d', label: 'conv' },
        { kind: 'matmul', batch: [3], m: 200, n: 200, k: 8, a: v(0, [3, 200, 8]), b: v(1, [3, 8, 200]), transA: false, transB: false, alpha: 1, beta: 0, out: v(2, [3, 200, 200]), dtype: 'int32', label: 'mm' },
        { kind: 'elementwise', shape: [4], inputs: [], outputs: [v(3, [4])], exprs: [sx.const(1, 'int32')], label: 'ones' },
      ],
    } as unknown as Program;
    const r = checkAndGenerate(program, { ...LIMITS, maxComputeWorkgroupsPerDimension: 2, maxComputeInvocationsPerWorkgroup: 128 }, 'fp32');
    expect(r.ok ? [] : r.problems).toEqual([
      "kernel 0 (conv2d 'conv'): kind 'conv2d' is not supported",
      "kernel 1 (matmul 'mm'): matmul config 64×64×16/4×4: needs 256 invocations per workgroup; the device allows 128",
      "kernel 1 (matmul 'mm'): matmul in dtype 'int32' is not supported (float32 only)",
      "kernel 1 (matmul 'mm'): a batch of 3 matrices exceeds the device's 2 workgroups per dimension",
      "kernel 1 (matmul 'mm'): a 200×200 result needs more than 2 tiles per dimension",
      "kernel 2 (elementwise 'ones'): needs 256 invocations per workgroup; the device allows 128",
    ]);
  });

  it('rejects a launch wider than the device grid, naming the limit', () => {
    // 5120 elements as vec4s are 1280 invocations: 5 workgroups of 256, more than a 2 × 2 grid holds.
    const program: Program = {
      buffers: [{ id: 0, dtype: 'float32', size: 5120, role: 'output' }],
      kernels: [{ kind: 'elementwise', shape: [5120], inputs: [], outputs: [{ buffer: 0, offset: 0, shape: [5120], strides: [1] }], exprs: [sx.const(1, 'float32')], label: 'fill' }],
    };
    const r = checkAndGenerate(program, { ...LIMITS, maxComputeWorkgroupsPerDimension: 2 }, 'fp32');
    expect(r.ok ? [] : r.problems).toEqual([
      "kernel 0 (elementwise 'fill'): webgpu codegen: 5 workgroups exceed the device's grid of 2 × 2 (maxComputeWorkgroupsPerDimension 2)",
    ]);
  });

  it('rejects buffers over the binding size and kernels over the storage-buffer limit', () => {
    const n = 9;
    const program: Program = {
      buffers: Array.from({ length: n + 1 }, (_, id) => ({ id, dtype: 'float32' as const, size: id === 0 ? 100 : 4, role: 'input' as const })),
      kernels: [{
        kind: 'elementwise', shape: [4], inputs: Array.from({ length: n }, (_, i) => ({ buffer: i + 1, offset: 0, shape: [4], strides: [1] })),
        outputs: [{ buffer: 0, offset: 0, shape: [4], strides: [1] }],
        exprs: [Array.from({ length: n - 1 }, (_, i) => sx.input(i + 1, 'float32')).reduce((a, b) => sx.binary('add', a, b, 'float32'), sx.input(0, 'float32'))], label: 'wide',
      }],
    };
    const r = checkAndGenerate(program, { ...LIMITS, maxBufferElements: 50 }, 'fp32');
    expect(r.ok ? [] : r.problems).toEqual([
      "buffer 0: 100 elements exceeds the device's 50 elements per binding",
      "kernel 0 (elementwise 'wide'): uses 10 buffers, over the device's 8 storage buffers per shader",
    ]);
  });

  it('splits a launch wider than maxComputeWorkgroupsPerDimension into a 2-D grid', () => {
    expect(splitDispatch(10, 65535)).toEqual([10, 1, 1]);
    expect(splitDispatch(70000, 65535)).toEqual([35000, 2, 1]);
    expect(splitDispatch(0, 65535)).toEqual([1, 1, 1]);
    // Four elements per invocation (the vec4 form): 4000 elements are 1000 invocations, 4 workgroups.
    const program: Program = {
      buffers: [{ id: 0, dtype: 'float32', size: 4000, role: 'input' }],
      kernels: [{ kind: 'elementwise', shape: [4000], inputs: [], outputs: [{ buffer: 0, offset: 0, shape: [4000], strides: [1] }], exprs: [sx.const(1, 'float32')], label: 'fill' }],
    };
    const [k] = generateProgram(program, { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupsPerDimension: 2 });
    expect(k!.dispatch).toEqual([2, 2, 1]);
    expect(k!.code).toContain('let q = gid.x + gid.y * 512u;');
  });
});
