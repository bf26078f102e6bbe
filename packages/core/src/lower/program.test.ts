import { describe, expect, it } from 'vitest';
import { kernelViews, programAliasingProblems, type Kernel, type Program } from '../index.js';

describe('Program IR checks', () => {
  it('name a kernel kind the IR does not have instead of failing on its fields', () => {
    const conv = { kind: 'conv2d', label: 'conv c' } as unknown as Kernel;
    const message = "kernelViews: kernel 'conv c' has unknown kind 'conv2d' (the Program IR's kinds: elementwise, reduce, matmul, gather, oneHot, softmaxCrossEntropy, random, softmax)";
    expect(() => kernelViews(conv)).toThrow(message);
    expect(() => programAliasingProblems({ buffers: [], kernels: [conv] } as unknown as Program)).toThrow(message);
  });
});
