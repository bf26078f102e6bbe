import { describe, expect, it } from 'vitest';
import { checkedScalarExprNodes } from './check-scalar-expr.js';
import { sx, type ScalarExpr } from './scalar-expr.js';

const x = sx.input(0, 'float32');
const check = (e: unknown, inputs = 1) => () => checkedScalarExprNodes([e as ScalarExpr], inputs, 'render-test');

describe('checkedScalarExprNodes', () => {
  it('orders a DAG once per node, arguments first', () => {
    const e = sx.unary('exp', x);
    const root = sx.binary('add', e, e, 'float32');
    expect(checkedScalarExprNodes([root], 1, 'r')).toEqual([x, e, root]);
  });
  it('rejects what a renderer must never emit', () => {
    expect(check({ op: 'alert', args: [x], dtype: 'float32' })).toThrow("render-test: unknown scalar op 'alert'");
    expect(check({ op: '__proto__', args: [x], dtype: 'float32' })).toThrow("render-test: unknown scalar op '__proto__'");
    expect(check({ op: 'const', value: '1); pwned(', dtype: 'float32' })).toThrow('render-test: constant 1); pwned( is not a number');
    expect(check({ op: 'neg', args: [x], dtype: 'float16' })).toThrow("render-test: unknown dtype 'float16'");
    expect(check(sx.input(2, 'float32'), 2)).toThrow('render-test: input(2) is out of range: the expression has 2 inputs');
    expect(check({ op: 'add', args: [x], dtype: 'float32' })).toThrow("render-test: op 'add' takes 2 arguments, got 1");
    expect(check(null)).toThrow('render-test: expression node is not an object');
    const loop: { op: string; args: unknown[]; dtype: string } = { op: 'neg', args: [], dtype: 'float32' };
    loop.args.push(loop);
    expect(check(loop)).toThrow('render-test: the expression has a cycle');
  });
});
