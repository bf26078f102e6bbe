import { describe, expect, it } from 'vitest';
import { lowerGraph, T } from '../index.js';

describe('lowerGraph', () => {
  it('names an input the outputs need that the request leaves out', () => {
    const x = T.vector('x');
    const z = T.vector('z');
    const y = x.add(z);
    expect(lowerGraph({ inputs: [x, z], inputShapes: [[2], [2]], outputs: [y], updates: [] }).program.kernels.length).toBe(1);
    expect(() => lowerGraph({ inputs: [x], inputShapes: [[2]], outputs: [y], updates: [] })).toThrow(
      /^lowerGraph: input 'z' \(float32\[\?\]\) is needed to compute the outputs but is not among the function's inputs$/,
    );
  });
});
