import { describe, expect, it } from 'vitest';
import { BINARY_OPS, COMPARE_OPS, evalScalarExpr, sx, UNARY_OPS, type DType, type ScalarExpr } from '@symgrad/core';
import { compileScalarExpr, numberLiteral, renderScalarExprs } from './render-js.js';
import { Rng, SPECIAL_VALUES } from '../testing-fixtures/random.js';
import { ALL_DTYPES, randomExprs, randomScalar } from '../testing-fixtures/random-expr.js';

const DTYPES = ALL_DTYPES;

const same = (a: number, b: number) => Object.is(a, b);

describe('render-js matches evalScalarExpr bit for bit', () => {
  for (const dtype of DTYPES) {
    it(`random DAGs with a ${dtype} root`, () => {
      const rng = new Rng(1000 + DTYPES.indexOf(dtype));
      let checked = 0;
      for (let t = 0; t < 1500; t++) {
        const inputs = rng.int(1, 4);
        const e = randomExprs(rng, inputs, rng.int(1, 12), [dtype])[0]!;
        const f = compileScalarExpr(e, inputs);
        for (let s = 0; s < 12; s++) {
          const xs = Array.from({ length: inputs }, () => randomScalar(rng));
          const want = evalScalarExpr(e, xs);
          const got = f(...xs);
          if (!same(got, want)) throw new Error(`mismatch on ${JSON.stringify(e)} at ${xs.join(', ')}: got ${got}, want ${want}`);
          checked++;
        }
      }
      expect(checked).toBe(1500 * 12);
    });
  }

  it('every op on every special value, in every dtype pair', () => {
    let n = 0;
    for (const out of DTYPES) {
      for (const inDt of DTYPES) {
        const x = sx.input(0, inDt);
        const y = sx.input(1, inDt);
        const exprs: ScalarExpr[] = [
          ...UNARY_OPS.map((op) => sx.unary(op, x, out)),
          ...[...BINARY_OPS, ...COMPARE_OPS].map((op) => sx.binary(op, x, y, out)),
          sx.where(x, y, x, out),
          sx.unary('cast', x, out),
        ];
        for (const e of exprs) {
          const f = compileScalarExpr(e, 2);
          for (const a of SPECIAL_VALUES) {
            for (const b of [0, -0, 1, -2.5, NaN, Infinity, -Infinity, 3, 1e30]) {
              const want = evalScalarExpr(e, [a, b]);
              const got = f(a, b);
              if (!same(got, want)) throw new Error(`${e.op} ${inDt}->${out} (${a}, ${b}): got ${got}, want ${want}`);
              n++;
            }
          }
        }
      }
    }
    expect(n).toBeGreaterThan(10000);
  });

  it('sigmoid is stable on both tails', () => {
    const f = compileScalarExpr(sx.unary('sigmoid', sx.input(0, 'float64')), 1);
    expect(f(-1000)).toBe(0);
    expect(f(1000)).toBe(1);
    expect(f(-745)).toBeGreaterThan(0);
    expect(Number.isNaN(f(NaN))).toBe(true);
  });

  it('int32 wraps and maps non-finite values to 0, as roundTo does', () => {
    const f = compileScalarExpr(sx.binary('add', sx.input(0, 'int32'), sx.input(1, 'int32'), 'int32'), 2);
    expect(f(2147483647, 1)).toBe(-2147483648);
    const c = compileScalarExpr(sx.unary('cast', sx.input(0, 'float64'), 'int32'), 1);
    expect([c(NaN), c(Infinity), c(-Infinity), c(-2.7), c(2.7)]).toEqual([0, 0, 0, -2, 2]);
  });
});

describe('render-js code shape', () => {
  it('evaluates a shared node once', () => {
    const x = sx.input(0, 'float32');
    const e = sx.unary('exp', x);
    const r = renderScalarExprs([sx.binary('mul', e, e, 'float32'), e], { inputCount: 1, load: () => 'v' });
    expect(r.code.match(/Math\.exp/g)).toHaveLength(1);
    expect(r.results[1]).toBe('t1');
  });

  it('skips rounding of loads already stored in the input dtype', () => {
    const r = renderScalarExprs([sx.input(0, 'float32')], { inputCount: 1, load: () => 'X[p]', storage: () => 'float32' });
    expect(r.code).toBe('const t0 = X[p];\n');
    const g = renderScalarExprs([sx.input(0, 'float32')], { inputCount: 1, load: () => 'X[p]', storage: () => 'float64' });
    expect(g.code).toBe('const t0 = Math.fround(X[p]);\n');
  });

  it('renders constants as literals that round-trip', () => {
    for (const v of [...SPECIAL_VALUES, 0.1 + 0.2, 1 / 3, -1e-310, 123456789.123]) {
      const back = new Function(`return ${numberLiteral(v)};`)() as number;
      expect(Object.is(back, v), `literal of ${v}`).toBe(true);
    }
  });
});

describe('render-js rejects anything outside its table', () => {
  const x = sx.input(0, 'float32');
  const bad = (e: unknown) => () => renderScalarExprs([e as ScalarExpr], { inputCount: 1, load: () => 'v' });

  it('unknown ops, including inherited property names', () => {
    expect(bad({ op: 'alert', args: [x], dtype: 'float32' })).toThrow("render-js: unknown scalar op 'alert'");
    expect(bad({ op: 'constructor', args: [x], dtype: 'float32' })).toThrow("render-js: unknown scalar op 'constructor'");
    expect(bad({ op: '__proto__', args: [x], dtype: 'float32' })).toThrow("render-js: unknown scalar op '__proto__'");
  });

  it('constants that are not numbers (no code injection through values)', () => {
    expect(bad({ op: 'const', value: '1; globalThis.pwned = 1', dtype: 'float32' })).toThrow('render-js: constant 1; globalThis.pwned = 1 is not a number');
    expect(() => numberLiteral('2' as unknown as number)).toThrow('render-js: constant 2 is not a number');
  });

  it('unknown dtypes, bad input indices, wrong arity and cycles', () => {
    expect(bad({ op: 'neg', args: [x], dtype: 'float16' })).toThrow("render-js: unknown dtype 'float16'");
    expect(bad({ op: 'input', index: 1, dtype: 'float32' })).toThrow('render-js: input(1) is out of range: the expression has 1 input');
    expect(bad({ op: 'input', index: '0+alert(1)', dtype: 'float32' })).toThrow('render-js: input(0+alert(1)) is out of range');
    expect(bad({ op: 'add', args: [x], dtype: 'float32' })).toThrow("render-js: op 'add' takes 2 arguments, got 1");
    const cyc: { op: string; args: unknown[]; dtype: string } = { op: 'neg', args: [], dtype: 'float32' };
    cyc.args.push(cyc);
    expect(bad(cyc)).toThrow('render-js: the expression has a cycle');
    expect(bad(null)).toThrow('render-js: expression node is not an object');
  });

  it('local prefixes that are not 1 to 3 lowercase letters, and input counts that are not non-negative integers', () => {
    expect(() => renderScalarExprs([x], { inputCount: 1, load: () => 'v', prefix: 'x; evil' })).toThrow("render-js: bad local prefix 'x; evil': expected 1 to 3 lowercase letters");
    expect(() => renderScalarExprs([x], { inputCount: 1, load: () => 'v', prefix: '' })).toThrow("render-js: bad local prefix '': expected 1 to 3 lowercase letters");
    expect(() => compileScalarExpr(x, -1)).toThrow('render-js: bad input count -1: expected a non-negative integer');
    expect(() => compileScalarExpr(x, 1.5)).toThrow('render-js: bad input count 1.5: expected a non-negative integer');
  });

  it('a rejected render leaves nothing behind', () => {
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });
});
