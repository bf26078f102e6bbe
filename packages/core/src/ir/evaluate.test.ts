import { describe, expect, it } from 'vitest';
import { NDArray, T } from '../index.js';
import { evaluateReference } from './evaluate.js';

describe('evaluateReference', () => {
  it('names an input missing from the bindings', () => {
    const x = T.vector('x');
    const z = T.vector('z');
    const y = x.add(z);
    expect(evaluateReference([y], new Map([[x, NDArray.from([1, 2])], [z, NDArray.from([3, 4])]]))[0]!.toArray()).toEqual([4, 6]);
    expect(() => evaluateReference([y], new Map([[x, NDArray.from([1, 2])]]))).toThrow(
      "evaluateReference: no value for 'z' (float32[?]): bind every input the outputs depend on in `bindings`",
    );
  });
});
