import { apply1, defineOp, T, type OpName, type Variable } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { grad } from './grad.js';
import { getGradientRule, registerGradient } from './rules/registry.js';
import { notDifferentiable } from './rules/types.js';

// A custom op, declared as a user would (this module has its own copy of core's op table).
const CUSTOM = 'myCube' as OpName;
defineOp({ name: CUSTOM, family: 'elementwise', arity: 1, inferType: ([x]) => [x!] });
const cube = (x: Variable): Variable => apply1(CUSTOM, {} as never, [x]);

describe('custom ops', () => {
  it('without a rule: the error names the op', () => {
    const x = T.vector('x');
    const y = cube(x);
    expect(getGradientRule(CUSTOM)).toBeUndefined();
    expect(() => grad(T.sum(y), x)).toThrow(/grad: op 'myCube' has no gradient rule, and the cost depends on its output <myCube output> \(float32\[\?\]\)/);
    expect(() => grad(T.sum(y), x)).toThrow(/grad-custom-op\.test\.ts/);
  });

  it('an op off the path to wrt needs no rule', () => {
    const x = T.vector('x');
    const z = T.vector('z');
    const g = grad(T.sum(T.mul(x, cube(z))), x);
    expect(g.shape).toEqual([null]);
  });

  it('with a registered rule', () => {
    const x = T.vector('x');
    const restore = registerGradient(CUSTOM, (node, [g]) => [T.mul(g!, T.mul(T.square(node.inputs[0]!), 3))]);
    try {
      const gx = grad(T.sum(cube(x)), x);
      expect(gx.owner?.op).toBe('mul');
    } finally {
      restore();
    }
    expect(getGradientRule(CUSTOM)).toBeUndefined();
  });

  it('marked notDifferentiable: zero gradient', () => {
    const x = T.vector('x');
    const restore = registerGradient(CUSTOM, notDifferentiable);
    try {
      const gx = grad(T.sum(cube(x)), x);
      expect(gx.owner?.op).toBe('broadcastLike');
    } finally {
      restore();
    }
  });
});
