import { describe, expect, it } from 'vitest';
import { SCALAR_ARITY, sx, type ScalarExpr, type ScalarOp } from '@symgrad/core';
import { compileBytecode, OPCODES } from './bytecode.js';
import { randomExprs } from '../testing-fixtures/random-expr.js';
import { Rng } from '../testing-fixtures/random.js';

const WORDS = 6;

function instructions(code: Int32Array): number[][] {
  const count = code[1]!;
  return Array.from({ length: count }, (_, k) => Array.from(code.subarray(3 + k * WORDS, 3 + (k + 1) * WORDS)));
}

describe('bytecode compiler', () => {
  it('emits one instruction per node with render-js rounding, and the result registers', () => {
    const x = sx.input(0, 'float32');
    const bc = compileBytecode([sx.unary('exp', x)], 1, () => 'float32');
    expect(Array.from(bc.code)).toEqual([2, 2, 1, 0, 0, 0, 0, 0, 0, OPCODES.indexOf('exp'), 1, 1, 0, 0, 0, 1]);
    // A float64 load of a float32 buffer needs no rounding; int32 of a float64 buffer does.
    const y = compileBytecode([sx.input(0, 'float64'), sx.input(1, 'int32')], 2, (i) => (i ? 'float64' : 'float32'));
    expect(instructions(y.code).map((w) => w[1])).toEqual([0, 2]);
    const c = compileBytecode([sx.binary('add', x, sx.const(0.1, 'float32'), 'float32')], 1);
    expect(Array.from(c.consts)).toEqual([Math.fround(0.1)]);
  });

  it('reuses registers after their last reader, never writing a register an instruction reads', () => {
    const rng = new Rng(91);
    for (let t = 0; t < 200; t++) {
      const exprs: ScalarExpr[] = randomExprs(rng, 3, rng.int(1, 40), ['float32', 'float64']);
      const bc = compileBytecode(exprs, 3);
      const regs = bc.code[0]!;
      for (const [op, , dst, a, b, c] of instructions(bc.code)) {
        expect(dst).toBeLessThan(regs);
        const name = OPCODES[op!];
        if (name !== 'load' && name !== 'constant') expect([a, b, c].slice(0, SCALAR_ARITY[name as ScalarOp])).not.toContain(dst);
      }
    }
    // A chain of 50 unary ops needs two registers, not 51.
    let e: ScalarExpr = sx.input(0, 'float64');
    for (let i = 0; i < 50; i++) e = sx.unary('neg', e);
    expect(compileBytecode([e], 1).code[0]).toBe(2);
  });

  it('rejects malformed expressions with the caller\'s name', () => {
    expect(() => compileBytecode([sx.input(2, 'float32')], 1, undefined, 'native elementwise')).toThrow('native elementwise: input(2) is out of range: the expression has 1 input');
    expect(() => compileBytecode([{ op: 'erf', args: [sx.input(0, 'float32')], dtype: 'float32' } as unknown as ScalarExpr], 1, undefined, 'native reduce prologue'))
      .toThrow("native reduce prologue: unknown scalar op 'erf'");
  });
});
