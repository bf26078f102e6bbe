import { describe, expect, it } from 'vitest';
import { contiguousView, type DType, type Program, type ScatterAddKernel, type TakeKernel } from '@symgrad/core';
import { kernelCasePrograms } from '../testing-fixtures/programs.js';
import { renderScatterAdd, renderTake } from './kernels-indexing.js';
import { planProgram } from './program-source.js';

// Buffers: 0 the [2, 7, 3] table, 1 the indices, 2 the [2, 5, 3] slices.
const dtypesOf = (table: DType, slices: DType = table): DType[] => [table, 'int32', slices];
const indices = contiguousView(1, [5]);
const take = (over: Partial<TakeKernel> = {}): TakeKernel => ({ kind: 'take', input: contiguousView(0, [2, 7, 3]), indices, output: contiguousView(2, [2, 5, 3]), fill: NaN, label: 't', ...over });
const scatterAdd = (over: Partial<ScatterAddKernel> = {}): ScatterAddKernel => ({ kind: 'scatterAdd', updates: contiguousView(2, [2, 5, 3]), indices, output: contiguousView(0, [2, 7, 3]), label: 's', ...over });

describe('take', () => {
  it('is a grid-stride loop over the output: index resolved from the end, the input read only in range, else the fill', () => {
    const g = renderTake(take(), 4, dtypesOf('float32'));
    expect(g.launch).toEqual({ kind: 'launch', name: 'k4_take', grid: [1, 1, 1], block: [256, 1, 1], sharedBytes: 0, buffers: [0, 1, 2], what: 'kernel 4 (take)' });
    expect(g.source).toContain('k4_take(const float* __restrict__ p0, const int* __restrict__ p1, float* __restrict__ p2)');
    expect(g.source).toContain('i < (int)30;');
    expect(g.source).toContain('const int y0 = (int)p1[d1];');
    expect(g.source).toContain('const int y = y0 < 0 ? y0 + 7 : y0;');
    expect(g.source).toContain('p2[d0 * 15 + d1 * 3 + d2] = (y >= 0 && y < 7) ? (float)p0[d0 * 21 + ((int)y) * 3 + d2] : SG_NAN_F;');
  });

  it('reads strided views through their strides and offsets', () => {
    const g = renderTake(take({ input: { buffer: 0, offset: 0, shape: [2, 7, 3], strides: [1, 6, 2] }, indices: { buffer: 1, offset: 1, shape: [5], strides: [2] }, output: { buffer: 2, offset: 4, shape: [2, 5, 3], strides: [15, 3, 1] } }), 0, dtypesOf('float32'));
    expect(g.source).toContain('const int y0 = (int)p1[1 + d1 * 2];');
    expect(g.source).toContain('p2[4 + d0 * 15 + d1 * 3 + d2] = (y >= 0 && y < 7) ? (float)p0[d0 + ((int)y) * 6 + d2 * 2] : SG_NAN_F;');
  });

  it('renders the fill as a literal of the output dtype: NaN in float64, −2³¹ in int32, a given 0, true in bool', () => {
    expect(renderTake(take(), 0, dtypesOf('float64')).source).toContain(': SG_NAN_D;');
    expect(renderTake(take({ fill: -(2 ** 31) }), 0, dtypesOf('int32')).source).toContain('? (int)p0[d0 * 21 + ((int)y) * 3 + d2] : (-2147483647 - 1);');
    expect(renderTake(take({ fill: 0 }), 0, dtypesOf('float32')).source).toContain(': 0.0f;');
    const bool = renderTake(take({ fill: 1 }), 0, dtypesOf('bool'));
    expect(bool.source).toContain('(const unsigned char* __restrict__ p0, const int* __restrict__ p1, unsigned char* __restrict__ p2)');
    expect(bool.source).toContain('? (int)p0[d0 * 21 + ((int)y) * 3 + d2] : 1;');
  });

  it('drops axes of extent 1 from the index math (an embedding lookup: one outer slice)', () => {
    const g = renderTake(take({ input: contiguousView(0, [1, 7, 3]), output: contiguousView(2, [1, 5, 3]) }), 0, dtypesOf('float32'));
    expect(g.source).toContain('p2[d1 * 3 + d2] = (y >= 0 && y < 7) ? (float)p0[((int)y) * 3 + d2] : SG_NAN_F;');
  });

  it('refuses views that do not agree, and a fill that is not a number', () => {
    expect(() => renderTake(take({ output: contiguousView(2, [2, 4, 3]) }), 3, dtypesOf('float32')))
      .toThrow('render-cuda: kernel 3 (take): input [2, 7, 3], indices [5] and output [2, 4, 3] do not agree: expected input [outer, size, inner], indices [n] and output [outer, n, inner]');
    expect(() => renderTake(take({ input: contiguousView(0, [14, 3]) }), 0, dtypesOf('float32'))).toThrow('render-cuda: kernel 0 (take): input [14, 3], indices [5] and output [2, 5, 3] do not agree');
    expect(() => renderTake(take({ fill: '0; evil()' as unknown as number }), 0, dtypesOf('float32'))).toThrow('render-cuda: constant 0; evil() is not a number');
    // The axis size reaches the source as a number only.
    expect(() => renderTake(take({ input: { buffer: 0, offset: 0, shape: [2, '7; evil()' as unknown as number, 3], strides: [21, 3, 1] } }), 0, dtypesOf('float32'))).toThrow('render-cuda: view dim 7; evil() is not an integer');
  });
});

describe('scatterAdd', () => {
  it('is a grid-stride loop over the updates adding with atomicAdd; an index out of range adds nothing', () => {
    const g = renderScatterAdd(scatterAdd(), 2, dtypesOf('float32'));
    expect(g.launch).toEqual({ kind: 'launch', name: 'k2_scatterAdd', grid: [1, 1, 1], block: [256, 1, 1], sharedBytes: 0, buffers: [2, 1, 0], what: 'kernel 2 (scatterAdd)' });
    expect(g.source).toContain('k2_scatterAdd(const float* __restrict__ p0, const int* __restrict__ p1, float* __restrict__ p2)');
    expect(g.source).toContain('const int y = y0 < 0 ? y0 + 7 : y0;');
    expect(g.source).toContain('if (y >= 0 && y < 7) atomicAdd(&p2[d0 * 21 + ((int)y) * 3 + d2], (float)p0[d0 * 15 + d1 * 3 + d2]);');
  });

  it('adds float64 and int32 with their own atomicAdd, through strided updates', () => {
    const strided = { buffer: 2, offset: 0, shape: [2, 5, 3], strides: [3, 6, 1] };
    expect(renderScatterAdd(scatterAdd({ updates: strided }), 0, dtypesOf('float64')).source)
      .toContain('(const double* __restrict__ p0, const int* __restrict__ p1, double* __restrict__ p2) {');
    expect(renderScatterAdd(scatterAdd({ updates: strided }), 0, dtypesOf('float64')).source).toContain('atomicAdd(&p2[d0 * 21 + ((int)y) * 3 + d2], (double)p0[d0 * 3 + d1 * 6 + d2]);');
    expect(renderScatterAdd(scatterAdd(), 0, dtypesOf('int32')).source).toContain('atomicAdd(&p2[d0 * 21 + ((int)y) * 3 + d2], (int)p0[d0 * 15 + d1 * 3 + d2]);');
  });

  it('refuses a bool output (no atomicAdd adds bytes) and views that do not agree', () => {
    expect(() => renderScatterAdd(scatterAdd(), 5, dtypesOf('bool'))).toThrow('render-cuda: kernel 5 (scatterAdd): the output is bool; atomicAdd adds float32, float64, int32');
    expect(() => renderScatterAdd(scatterAdd({ indices: contiguousView(1, [6]) }), 1, dtypesOf('float32')))
      .toThrow('render-cuda: kernel 1 (scatterAdd): output [2, 7, 3], indices [6] and updates [2, 5, 3] do not agree: expected output [outer, size, inner], indices [n] and updates [outer, n, inner]');
  });

  it('uses 64-bit indices where an offset passes 2³¹', () => {
    const big = 2 ** 31;
    const g = renderScatterAdd(scatterAdd({ output: { buffer: 0, offset: big, shape: [2, 7, 3], strides: [21, 3, 1] } }), 0, dtypesOf('float32'));
    expect(g.source).toContain(`for (long long i = (long long)blockIdx.x * 256`);
    expect(g.source).toContain(`atomicAdd(&p2[${big} + d0 * 21 + ((long long)y) * 3 + d2]`);
  });
});

describe('planProgram with take and scatterAdd', () => {
  it('plans the kernel case: one launch each, scatterAdd reading and writing its output buffer (so streams order it after the copy before it)', () => {
    const p = kernelCasePrograms().get('kernel.take-scatter-add')!;
    const plan = planProgram(p);
    expect(plan.kernelNames).toEqual(['k0_take', 'k1_take', 'k2_take', 'k3_scatterAdd', 'k4_scatterAdd']);
    const k3 = p.kernels[3] as ScatterAddKernel;
    expect(plan.steps[3]).toMatchObject({ kernel: 3, reads: [k3.updates.buffer, k3.indices.buffer, k3.output.buffer], writes: [k3.output.buffer], what: 'kernel 3 (scatterAdd): scatterAdd' });
  });

  it('names a malformed kernel by its index', () => {
    const buffers: Program['buffers'] = dtypesOf('float32').map((dtype, id) => ({ id, dtype, size: 42, role: 'temp' as const }));
    expect(() => planProgram({ buffers, kernels: [take(), scatterAdd({ updates: contiguousView(2, [2, 5, 4]) })] }))
      .toThrow('render-cuda: kernel 1 (scatterAdd): output [2, 7, 3], indices [5] and updates [2, 5, 4] do not agree');
  });
});
