import { describe, expect, it } from 'vitest';
import { defineOp, getOp, propsKey } from '../index.js';

describe('op table', () => {
  it('getOp names an unknown op', () => {
    expect(() => getOp('conv2d' as never)).toThrow("getOp: unknown op 'conv2d'; defineOp declares ops and listOps() names the defined ones");
  });
  it('defineOp refuses to redefine an op', () => {
    expect(() => defineOp({ name: 'exp', family: 'elementwise', arity: 1, inferType: ([x]) => [x!] })).toThrow("defineOp: op 'exp' is already defined (op names are unique; listOps() names the defined ones)");
    expect(getOp('exp').family).toBe('elementwise');
  });
  it('propsKey is the same for equal props in any key order, nested objects included, and differs otherwise', () => {
    expect(propsKey({ keepdims: false, axes: [1] })).toBe('{"axes":[1],"keepdims":false}');
    expect(propsKey({ b: { y: 1, x: [2, { q: 1, p: 0 }] }, a: 1 })).toBe(propsKey({ a: 1, b: { x: [2, { p: 0, q: 1 }], y: 1 } }));
    expect(propsKey({ a: 1, b: { x: 2, y: 1 } })).not.toBe(propsKey({ a: 1, b: { x: 2, y: 3 } }));
  });
});
