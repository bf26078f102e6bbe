import { describe, expect, it } from 'vitest';
import { T } from '../../index.js';
import { KERNEL_KINDS } from '../program.js';
import { lowerGraph } from '../lower-graph.js';

function kinds(out: ReturnType<typeof T.softmax>, x: ReturnType<typeof T.matrix>, kernels?: readonly string[]) {
  const lowered = lowerGraph({ inputs: [x], inputShapes: [[5, 7]], outputs: [out], updates: [], ...(kernels ? { kernels: kernels as never } : {}) });
  return lowered.program.kernels.map((k) => (k.kind === 'softmax' ? `softmax${k.log ? '.log' : ''}` : k.kind === 'reduce' ? `reduce.${k.op}` : k.kind));
}

describe('softmax lowering', () => {
  it('is one fused row kernel for a backend that lists the optional softmax kind, on the last axis', () => {
    const x = T.matrix('x');
    const withSoftmax = [...KERNEL_KINDS, 'softmax'];
    expect(kinds(T.softmax(x), x, withSoftmax)).toEqual(['softmax']);
    expect(kinds(T.logSoftmax(x), x, withSoftmax)).toEqual(['softmax.log']);
  });

  it('stays a max-reduce, a sum-reduce and an elementwise kernel for other backends and other axes', () => {
    const x = T.matrix('x');
    expect(kinds(T.softmax(x), x, KERNEL_KINDS)).toEqual(['reduce.max', 'reduce.sum', 'elementwise']);
    expect(kinds(T.softmax(x), x)).toEqual(['reduce.max', 'reduce.sum', 'elementwise']);
    expect(kinds(T.softmax(x, 0), x, [...KERNEL_KINDS, 'softmax'])).toEqual(['reduce.max', 'reduce.sum', 'elementwise']);
  });
});
