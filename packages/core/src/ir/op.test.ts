import { describe, expect, it } from 'vitest';
import { defineOp, getOp } from '../index.js';

describe('op table', () => {
  it('getOp names an unknown op', () => {
    expect(() => getOp('conv2d' as never)).toThrow("getOp: unknown op 'conv2d'; defineOp declares ops and listOps() names the defined ones");
  });
  it('defineOp refuses to redefine an op', () => {
    expect(() => defineOp({ name: 'exp', family: 'elementwise', arity: 1, inferType: ([x]) => [x!] })).toThrow("defineOp: op 'exp' is already defined (op names are unique; listOps() names the defined ones)");
    expect(getOp('exp').family).toBe('elementwise');
  });
});
