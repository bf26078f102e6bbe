import { describe, expect, it } from 'vitest';
import { sx, type DType, type ElementwiseKernel, type ScalarExpr, type View } from '@symgrad/core';
import { byteSizeOf } from '../runtime/buffers.js';
import { generateElementwise, VEC4_MIN_ELEMENTS } from './elementwise.js';
import { DEFAULT_CODEGEN_LIMITS, type CodegenContext } from './kernel.js';
import { Helpers } from './wgsl-types.js';
import { renderExprsVec4 } from './wgsl-expr-vec4.js';

// Which form (vec4 or scalar) an elementwise kernel takes, and what the vec4 form emits. Pure: no device.
const rowMajor = (shape: readonly number[]) => shape.map((_, d) => shape.slice(d + 1).reduce((a, c) => a * c, 1));
const view = (buffer: number, shape: number[], offset = 0, strides = rowMajor(shape)): View => ({ buffer, offset, shape, strides });
const ctx = (dtypes: DType[], limits = DEFAULT_CODEGEN_LIMITS): CodegenContext => ({ dtypeOf: (b) => dtypes[b]!, limits });
const f = (i: number) => sx.input(i, 'float32');
const add = sx.binary('add', f(0), f(1), 'float32');

function kernel(shape: number[], inputs: View[], outputs: View[], exprs: ScalarExpr[] = [add]): ElementwiseKernel {
  return { kind: 'elementwise', shape, inputs, outputs, exprs, label: 'k' };
}
const isVec4 = (code: string) => code.startsWith('// k (vec4)');

describe('the vec4 elementwise form', () => {
  it('is chosen when every view is linear at an offset divisible by 4, with ceil(n/4) invocations', async () => {
    const n = 1021;
    const g = generateElementwise(kernel([n], [view(0, [n]), view(1, [n], 8)], [view(2, [n], 4)]), ctx(['float32', 'float32', 'float32']));
    expect(isVec4(g.code)).toBe(true);
    expect(g.code).toContain('var<storage, read> b0: array<vec4<f32>>;');
    expect(g.code).toContain('var<storage, read_write> b2: array<vec4<f32>>;');
    expect(g.code).toContain('if (q >= 256u) { return; }');
    expect(g.code).toContain('let x1 = b1[2 + i32(q)];');
    expect(g.code).toContain('let e2: vec4<f32> = (e0 + e1);');
    // 1021 = 4·255 + 1: invocation 255 stores lane x alone.
    expect(g.code).toContain('if (q < 255u) {');
    expect(g.code).toContain('b2[1 + i32(q)].x = y0.x;');
    expect(g.code).not.toContain('.y = ');
    expect(g.dispatch).toEqual([1, 1, 1]);
    await expect(g.code).toMatchFileSnapshot('__snapshots__/kernel.elementwise.vec4-add-tail.wgsl');
  });

  it('stores whole vec4s only when n is a multiple of 4, and the lanes below n otherwise', () => {
    const code = (n: number) => generateElementwise(kernel([n], [view(0, [n]), view(1, [n])], [view(2, [n])]), ctx(['float32', 'float32', 'float32'])).code;
    expect(code(4096)).not.toMatch(/\.[xyzw] = /);
    expect(code(4096)).not.toContain('if (q <');
    expect(code(7)).toContain('b2[i32(q)].z = y0.z;');
    expect(code(7)).not.toContain('.w = ');
  });

  it('treats a multi-dim contiguous view (size-1 dims of any stride) as linear', () => {
    const shape = [3, 1, 8];
    const odd = view(1, shape, 0, [8, 99, 1]);
    const g = generateElementwise(kernel(shape, [view(0, shape), odd], [view(2, shape)]), ctx(['float32', 'float32', 'float32']));
    expect(isVec4(g.code)).toBe(true);
    expect(g.code).not.toContain('%');
  });

  it('falls back to the scalar form for broadcast, strided or misaligned views and for n < 4', () => {
    const d = ctx(['float32', 'float32', 'float32']);
    const scalar = (k: ElementwiseKernel) => {
      const g = generateElementwise(k, d);
      expect(isVec4(g.code)).toBe(false);
      expect(g.code).not.toContain('vec4');
      return g;
    };
    scalar(kernel([4, 8], [view(0, [4, 8]), view(1, [4, 8], 0, [0, 1])], [view(2, [4, 8])])); // broadcast
    scalar(kernel([4, 8], [view(0, [4, 8], 0, [1, 4]), view(1, [4, 8])], [view(2, [4, 8])])); // transposed
    scalar(kernel([16], [view(0, [16], 0, [2]), view(1, [16])], [view(2, [16])])); // strided
    scalar(kernel([16], [view(0, [16], 3), view(1, [16])], [view(2, [16])])); // misaligned input
    scalar(kernel([16], [view(0, [16]), view(1, [16])], [view(2, [16], 6)])); // misaligned output
    const small = scalar(kernel([VEC4_MIN_ELEMENTS - 1], [view(0, [3]), view(1, [3])], [view(2, [3])]));
    expect(small.code).toContain('if (lin >= 3u) { return; }');
  });

  it('in place: the shared buffer is one read_write vec4 binding, loaded before any store', () => {
    const n = 10;
    const g = generateElementwise(kernel([n], [view(0, [n]), view(1, [n])], [view(0, [n])], [sx.binary('mul', f(0), f(1), 'float32')]), ctx(['float32', 'float32']));
    expect(g.bindings).toEqual([{ buffer: 0, dtype: 'float32', write: true }, { buffer: 1, dtype: 'float32', write: false }]);
    const lines = g.code.split('\n');
    const lastLoad = lines.findIndex((l) => l.includes('let x1 = b1['));
    const firstStore = lines.findIndex((l) => /b0\[.*\](\.[xyzw])? = /.test(l));
    expect(lastLoad).toBeGreaterThan(0);
    expect(firstStore).toBeGreaterThan(lastLoad);
  });

  it('binds int32 and bool buffers as vec4<i32> and converts a float result per lane', () => {
    const n = 8;
    const g = generateElementwise(kernel([n], [view(0, [n]), view(1, [n])], [view(2, [n]), view(3, [n])], [sx.binary('lt', f(0), f(1), 'bool'), add]),
      ctx(['float32', 'float32', 'bool', 'int32']));
    expect(g.code).toContain('b2: array<vec4<i32>>;');
    expect(g.code).toContain('b3: array<vec4<i32>>;');
    expect(g.code).toContain('let y1 = vec4<i32>(sg_to_i32(e5.x), sg_to_i32(e5.y), sg_to_i32(e5.z), sg_to_i32(e5.w));');
  });

  it('dispatches ceil(n / 4 / 256) workgroups, split into a 2-D grid over maxComputeWorkgroupsPerDimension', () => {
    const n = 4 * 256 * 70000;
    const k = kernel([n], [], [view(0, [n])], [sx.const(1, 'float32')]);
    const g = generateElementwise(k, ctx(['float32']));
    expect(g.dispatch).toEqual([35000, 2, 1]);
    expect(g.code).toContain(`let q = gid.x + gid.y * ${35000 * 256}u;`);
    expect(g.code).toContain(`if (q >= ${n / 4}u) { return; }`);
    // The scalar form (a misaligned view) keeps one invocation per element: 1000 of them, 4 workgroups.
    const scalar = generateElementwise(kernel([1000], [], [view(0, [1000], 1)], [sx.const(1, 'float32')]), ctx(['float32'], { ...DEFAULT_CODEGEN_LIMITS, maxComputeWorkgroupsPerDimension: 2 }));
    expect(scalar.dispatch).toEqual([2, 2, 1]);
    expect(scalar.code).toContain('let lin = gid.x + gid.y * 512u;');
    const m = 4 * 1000 + 1;
    expect(generateElementwise(kernel([m], [], [view(0, [m])], [sx.const(1, 'float32')]), ctx(['float32'])).dispatch).toEqual([4, 1, 1]);
  });
});

describe('vec4 expression rendering', () => {
  it('uses vector operations where they compute what the scalar renderer does, per-lane helpers elsewhere', () => {
    const i = sx.input(1, 'int32');
    const h = new Helpers();
    const r = renderExprsVec4([
      sx.binary('mul', sx.binary('sub', f(0), sx.unary('cast', i, 'float32'), 'float32'), f(0), 'float32'),
      sx.binary('maximum', i, sx.const(2, 'int32'), 'int32'),
      sx.binary('lt', i, sx.const(0, 'int32'), 'bool'),
      sx.unary('exp', f(0)),
    ], [{ code: 'a', dtype: 'float32' }, { code: 'b', dtype: 'int32' }], h, 'v');
    expect(r.lines).toContain('let v3: vec4<f32> = (v0 - v2);');
    expect(r.lines).toContain('let v2: vec4<f32> = vec4<f32>(v1);');
    expect(r.lines).toContain('let v6: vec4<i32> = vec4<i32>(2i);');
    expect(r.lines).toContain('let v7: vec4<i32> = max(v1, v6);');
    expect(r.lines).toContain('let v9: vec4<i32> = select(vec4<i32>(0i), vec4<i32>(1i), (v1 < v8));');
    expect(r.lines).toContain('let v11: vec4<f32> = vec4<f32>(v11x_1, v11y_1, v11z_1, v11w_1);');
    expect(r.lines).toContain('let v11w_1: f32 = sg_exp(v11w_0);');
    expect(h.render()).toContain('fn sg_exp');
  });

  it('renders NaN-aware float comparisons, where, relu and maximum as vector selects over sg_isnan4', () => {
    const h = new Helpers();
    const r = renderExprsVec4([
      sx.binary('lt', f(0), f(1), 'bool'),
      sx.binary('ne', f(0), f(1), 'float32'),
      sx.where(f(0), f(1), sx.const(0, 'float32'), 'float32'),
      sx.unary('relu', f(0)),
      sx.binary('maximum', f(0), f(1), 'float32'),
    ], [{ code: 'a', dtype: 'float32' }, { code: 'b', dtype: 'float32' }], h, 'v');
    expect(r.lines).toContain('let v2: vec4<i32> = select(vec4<i32>(0i), vec4<i32>(1i), (!sg_isnan4(v0) & !sg_isnan4(v1) & (v0 < v1)));');
    expect(r.lines).toContain('let v5: vec4<f32> = select(vec4<f32>(0.0f), vec4<f32>(1.0f), (sg_isnan4(v3) | sg_isnan4(v4) | (v3 != v4)));');
    expect(r.lines.every((l) => !/^let v\d+[xyzw]_/.test(l))).toBe(true);
    expect(h.render()).toContain('fn sg_isnan4(x: vec4<f32>) -> vec4<bool>');
  });
});

describe('buffer sizes', () => {
  it('pads every buffer to whole 16-byte vec4s (a partial last vec4 stays in bounds)', () => {
    expect([0, 1, 4, 5, 1021, 4096].map(byteSizeOf)).toEqual([16, 16, 16, 32, 4096, 16384]);
  });
});
