import { describe, expect, it } from 'vitest';
import { evalScalarExpr, sx } from '../index.js';

describe('evalScalarExpr', () => {
  it('names an input index with no value', () => {
    const e = sx.binary('add', sx.input(0, 'float32'), sx.input(2, 'float32'), 'float32');
    expect(evalScalarExpr(e, [1, 0, 2])).toBe(3);
    expect(() => evalScalarExpr(e, [1, 0])).toThrow('evalScalarExpr: input(2) has no value: got 2 input values');
  });
});
