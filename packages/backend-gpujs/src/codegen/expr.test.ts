import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sx } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing/reference';
import { GpujsBackend } from '../backend.js';
import { close, evalAsJs, evalOnBackend, evalReference, randomExpr } from '../testing-fixtures/expr-harness.js';
import { exprCases as cases, type Case } from '../testing-fixtures/expr-cases.js';
import { floatLiteral, renderExprs } from './expr.js';

// Every renderer op against the reference evaluator (evalScalarExpr) on random inputs, twice:
// the generated source run as plain JavaScript (the renderer alone), and through gpu.js in
// whatever mode it picks here (gpu.js's own translation of that source).

function expectClose(c: Case, got: readonly number[]): void {
  const want = evalReference([c.expr], c.inputs)[0]!;
  const bad = want.map((w, i) => ({ i, w, g: got[i]!, inputs: c.inputs.map((v) => v[i]) })).filter(({ w, g }) => !close(c.expr.dtype, g, w));
  expect(bad.slice(0, 5), c.name).toEqual([]);
}

describe('renderer as plain JavaScript vs evalScalarExpr', () => {
  it.each(cases().map((c) => [c.name, c] as const))('%s', (_, c) => {
    expectClose(c, evalAsJs([c.expr], c.dtypes, c.inputs)[0]!);
  });
});

describe('renderer through gpu.js vs evalScalarExpr', () => {
  let backend: GpujsBackend | undefined;
  let why = '';
  beforeAll(async () => {
    try {
      backend = await GpujsBackend.create();
    } catch (err) {
      why = (err as Error).message;
    }
  });
  afterAll(() => backend?.dispose());
  it.each(cases().map((c) => [c.name, c] as const))('%s', async (_, c) => {
    if (!backend) throw new Error(`gpu.js did not load here: ${why}`);
    expectClose(c, (await evalOnBackend(backend, [c.expr], c.dtypes, c.inputs))[0]!);
  });
});

describe('rendering', () => {
  it('writes float literals gpu.js reads as floats, and special values as arithmetic', () => {
    expect([1, -2, 0.5, 1e-7, 3e38].map(floatLiteral)).toEqual(['1.0', '(-2.0)', '0.5', '1.0000000116860974e-7', '3.0000000054977558e+38']);
    expect([NaN, Infinity, -Infinity, -0].map(floatLiteral)).toEqual(['(0.0 / 0.0)', '(1.0 / 0.0)', '(-1.0 / 0.0)', '(-0.0)']);
  });

  it('evaluates a shared subtree once', () => {
    const x = sx.unary('exp', sx.input(0, 'float32'));
    const r = renderExprs([sx.binary('add', x, x, 'float32')], ['a'], 'e');
    expect(r.statements.filter((s) => s.includes('Math.exp'))).toHaveLength(1);
  });

  it('refuses an input with no source string, naming it', () => {
    // A sparse inputs array: input(1) is in range but has no source.
    const inputs: string[] = [];
    inputs[0] = 'a';
    inputs[2] = 'c';
    expect(() => renderExprs([sx.input(1, 'float32')], inputs, 'e')).toThrow('gpujs codegen: input(1) has no source (the kernel has 3 inputs)');
  });

  it('emits only numbers, generated names and fixed operator names', () => {
    const r = renderExprs([randomExpr(new TestRandom(3), 2, 6)], ['b0[t0]', 'b1[t0]'], 'e');
    const words = new Set(r.statements.join(' ').match(/[A-Za-z_][A-Za-z_0-9.]*/g));
    for (const w of words) expect(w, w).toMatch(/^(let|e\d+|b[01]|t0|Math\.(exp|log|sqrt|abs|floor|ceil|min|max|pow)|\d.*|e[+-]?\d+)$/);
  });
});
