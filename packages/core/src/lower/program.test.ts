import { describe, expect, it } from 'vitest';
import { kernelViews, programAliasingProblems, type Kernel, type Program } from '../index.js';

describe('Program IR checks', () => {
  it('name a kernel kind the IR does not have instead of failing on its fields', () => {
    const conv = { kind: 'conv2d', label: 'conv c' } as unknown as Kernel;
    const message = "kernelViews: kernel 'conv c' has unknown kind 'conv2d' (the Program IR's kinds: elementwise, reduce, matmul, gather, take, scatterAdd, oneHot, softmaxCrossEntropy, random, softmax)";
    expect(() => kernelViews(conv)).toThrow(message);
    expect(() => programAliasingProblems({ buffers: [], kernels: [conv] } as unknown as Program)).toThrow(message);
  });

  it('name an indexing kernel whose slices or indices share its output buffer, but let scatterAdd read its output in place', () => {
    const v = (buffer: number, shape: number[], strides: number[], offset = 0) => ({ buffer, offset, shape, strides });
    const table = v(0, [1, 4, 2], [8, 2, 1]);
    const ids = v(1, [3], [1]);
    const slices = v(2, [1, 3, 2], [6, 2, 1]);
    const program = (kernels: Kernel[]): Program => ({
      buffers: [{ id: 0, dtype: 'float32', size: 8, role: 'temp' }, { id: 1, dtype: 'int32', size: 3, role: 'input' }, { id: 2, dtype: 'float32', size: 8, role: 'temp' }],
      kernels,
    });
    expect(programAliasingProblems(program([
      { kind: 'take', input: table, indices: ids, output: slices, fill: NaN, label: 't' },
      { kind: 'scatterAdd', updates: slices, indices: ids, output: table, label: 's' },
    ]))).toEqual([]);
    expect(programAliasingProblems(program([
      { kind: 'take', input: table, indices: ids, output: { ...slices, buffer: 0 }, fill: NaN, label: 't' },
      { kind: 'scatterAdd', updates: { ...table, shape: [1, 3, 2] }, indices: ids, output: table, label: 's' },
      { kind: 'scatterAdd', updates: slices, indices: v(0, [3], [1]), output: table, label: 'ids' },
    ]))).toEqual([
      'kernel 0 (t): take reads b0 as input and writes it',
      'kernel 1 (s): scatterAdd reads b0 as updates and writes it',
      'kernel 2 (ids): scatterAdd reads b0 as indices and writes it',
    ]);
  });
});
