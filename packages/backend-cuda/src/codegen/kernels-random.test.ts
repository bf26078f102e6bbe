import { describe, expect, it } from 'vitest';
import { contiguousView, sx, type DType, type RandomKernel } from '@symgrad/core';
import { renderRandom } from './kernels-random.js';
import { MAX_BLOCKS } from './plan.js';
import { planProgram } from './program-source.js';
import { RANDOM_PRELUDE } from './random-prelude.js';

// Buffers: 0 state (int32, state at offset 2), 1 float32 out, 2 float64 out, 3 int32 out, 4 next.
const DTYPES: DType[] = ['int32', 'float32', 'float64', 'int32', 'int32'];
const STATE = { buffer: 0, offset: 2, shape: [4], strides: [1] };

function kernel(over: Partial<RandomKernel> = {}): RandomKernel {
  return { kind: 'random', distribution: 'uniform', dtype: 'float32', state: STATE, output: { buffer: 1, offset: 3, shape: [1021], strides: [1] }, next: contiguousView(4, [4]), label: 'r', ...over };
}

describe('renderRandom', () => {
  it('one thread per Philox block: ⌈n/4⌉ blocks, lanes below n stored at the compiled-in offset', () => {
    const g = renderRandom(kernel(), 5, DTYPES);
    expect(g.launch).toMatchObject({ name: 'k5_random', grid: [1, 1, 1], block: [256, 1, 1], buffers: [0, 1, 4], sharedBytes: 0 });
    expect(g.source).toContain('const int* __restrict__ p0, float* __restrict__ p1, int* __restrict__ p2');
    expect(g.source).toContain('j < (int)256;');
    expect(g.source).toContain('sg_uniform4(sg_philox4x32(offset + (unsigned long long)j, k0, k1), v);');
    expect(g.source).toContain('if (i + l < (int)1021) p1[3 + i + l] = v[l];');
    expect(g.source).toContain('(unsigned long long)(unsigned)p0[5] << 32) | (unsigned)p0[4]');
    expect(g.source).toContain('k5_random_thread((long long)blockIdx.x * 256 + threadIdx.x, (long long)gridDim.x * 256, p0, p1, p2);');
  });

  it('writes next from global thread 0 alone, with the carry into the high word', () => {
    const g = renderRandom(kernel(), 0, DTYPES);
    expect(g.source.match(/if \(t == 0\)/g)).toHaveLength(1);
    expect(g.source).toContain('const unsigned long long after = offset + 256ull;');
    expect(g.source).toContain('p2[0] = (int)k0; p2[1] = (int)k1; p2[2] = (int)(unsigned)after; p2[3] = (int)(unsigned)(after >> 32);');
    const without = renderRandom({ ...kernel(), next: undefined } as RandomKernel, 0, DTYPES);
    expect(without.source).not.toContain('t == 0');
    expect(without.launch.buffers).toEqual([0, 1]);
  });

  it('picks the fill and value type per distribution and dtype', () => {
    expect(renderRandom(kernel({ distribution: 'normal' }), 0, DTYPES).source).toMatch(/float v\[4\];\s+sg_normal4\(/);
    expect(renderRandom(kernel({ distribution: 'normal', dtype: 'float64', output: contiguousView(2, [7]) }), 0, DTYPES).source).toMatch(/double v\[4\];\s+sg_normal4\(/);
    expect(renderRandom(kernel({ distribution: 'uniform', dtype: 'float64', output: contiguousView(2, [7]) }), 0, DTYPES).source).toMatch(/double v\[4\];\s+sg_uniform4\(/);
    expect(renderRandom(kernel({ distribution: 'bits', dtype: 'int32', output: contiguousView(3, [7]) }), 0, DTYPES).source).toMatch(/int v\[4\];\s+sg_bits4\(/);
  });

  it('caps the grid and strides over the rest', () => {
    const n = 4 * 256 * MAX_BLOCKS * 3 + 1;
    const g = renderRandom(kernel({ output: contiguousView(1, [n]) }), 0, ['int32', 'float32', 'float64', 'int32', 'int32']);
    expect(g.launch.grid).toEqual([MAX_BLOCKS, 1, 1]);
    expect(g.source).toContain('j += (int)threads');
  });

  it('rejects what the IR does not allow', () => {
    expect(() => renderRandom(kernel({ distribution: 'bits' }), 3, DTYPES)).toThrow('render-cuda: kernel 3 (random): bits draws int32, not float32');
    expect(() => renderRandom(kernel({ dtype: 'int32', output: contiguousView(3, [7]) }), 0, DTYPES)).toThrow(/uniform draws float32 or float64/);
    expect(() => renderRandom(kernel({ distribution: 'gauss' as never }), 0, DTYPES)).toThrow("render-cuda: kernel 0 (random): unknown distribution 'gauss'");
    expect(() => renderRandom(kernel({ state: { ...STATE, strides: [2] } }), 0, DTYPES)).toThrow(/state must be 4 contiguous int32/);
    expect(() => renderRandom(kernel({ state: { ...STATE, buffer: 1 } }), 0, DTYPES)).toThrow(/state must be 4 contiguous int32/);
    expect(() => renderRandom(kernel({ next: contiguousView(4, [3]) }), 0, DTYPES)).toThrow(/next must be 4 contiguous int32/);
    expect(() => renderRandom(kernel({ output: { buffer: 1, offset: 0, shape: [3, 4], strides: [1, 3] } }), 0, DTYPES)).toThrow('render-cuda: kernel 0 (random): the output view must be contiguous');
  });
});

describe('the random prelude', () => {
  it('uses __umulhi on the device and accurate float32 math (no __logf)', () => {
    expect(RANDOM_PRELUDE).toContain('__umulhi(a, b)');
    expect(RANDOM_PRELUDE).toContain('sincospif(2.0f *');
    expect(RANDOM_PRELUDE).toContain('logf(sg_uniform_f32');
    expect(RANDOM_PRELUDE).not.toMatch(/__logf|__sinf|__cosf|__expf/);
  });

  it('is compiled only into sources that draw', () => {
    const buffers = DTYPES.map((dtype, id) => ({ id, dtype, size: 2000, role: 'temp' as const }));
    expect(planProgram({ buffers, kernels: [kernel()] }).source).toContain('sg_philox4x32');
    const copy = { kind: 'elementwise' as const, shape: [4], inputs: [contiguousView(1, [4])], outputs: [contiguousView(2, [4])], exprs: [sx.unary('cast', sx.input(0, 'float32'), 'float64')], label: 'c' };
    expect(planProgram({ buffers, kernels: [copy] }).source).not.toContain('sg_philox4x32');
  });
});
