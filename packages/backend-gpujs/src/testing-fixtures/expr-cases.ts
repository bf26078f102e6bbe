import { sx, type DType, type ScalarExpr } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing/reference';
import { BINARY, COMPARE, randomExpr, UNARY } from './expr-harness.js';

/**
 * Test-only: the renderer cases (every op of the scalar expression language on random
 * inputs with the awkward values, plus random DAGs), shared by the Node and browser tests.
 */

const F: DType = 'float32';
const N = 64;

/** Random values with the awkward ones every op must get right. */
function values(rng: TestRandom, lo: number, hi: number, specials: readonly number[]): number[] {
  return Array.from({ length: N }, (_, i) => (i < specials.length ? specials[i]! : Math.fround(rng.uniform(lo, hi))));
}

const UNARY_SPECIALS = [0, -0, 1, -1, 1e-4, -1e-4, 1e-7, 30, -30, 80, -80, 0.5, -0.5, 3, -3];
const domain = (op: string): [number, number] => (op === 'log' || op === 'sqrt' || op === 'rsqrt' ? [0.001, 10] : op === 'log1p' ? [-0.9, 10] : [-6, 6]);

export interface Case {
  readonly name: string;
  readonly expr: ScalarExpr;
  readonly dtypes: DType[];
  readonly inputs: number[][];
}

export function exprCases(): Case[] {
  const rng = new TestRandom(7);
  const out: Case[] = [];
  for (const op of UNARY) {
    const [lo, hi] = domain(op);
    const specials = UNARY_SPECIALS.filter((v) => v >= lo && v <= hi || op === 'log1p' && v > -1);
    out.push({ name: `unary ${op}`, expr: sx.unary(op, sx.input(0, F)), dtypes: [F], inputs: [values(rng, lo, hi, specials)] });
  }
  for (const op of BINARY) {
    const a = values(rng, -4, 4, [0, 0, 2, -2, -2, 0.5, 3, -3, 1]);
    const b = op === 'pow' ? values(rng, -3, 3, [0, 2, 3, 2, 3, -1, 0.5, 1.5, 0]).map((v, i) => (i >= 9 && i % 2 === 0 ? Math.round(v) : v)) : values(rng, -4, 4, [1, -1, 3, 2, -0.5, 0.5, -3, 3, 1]);
    // A negative base with a fractional exponent is NaN in both.
    out.push({ name: `binary ${op}`, expr: sx.binary(op, sx.input(0, F), sx.input(1, F), F), dtypes: [F, F], inputs: [a, b] });
  }
  for (const op of COMPARE) {
    const a = values(rng, -2, 2, [1, 1, 2]).map((v, i) => (i % 3 === 0 ? Math.round(v) : v));
    const b = values(rng, -2, 2, [1, 2, 1]).map((v, i) => (i % 3 === 0 ? Math.round(v) : v));
    out.push({ name: `compare ${op}`, expr: sx.binary(op, sx.input(0, F), sx.input(1, F), 'bool'), dtypes: [F, F], inputs: [a, b] });
  }
  const c = values(rng, -1, 1, [0, 1, -0]).map((v) => (v > 0.3 ? 1 : v < -0.3 ? -2 : 0));
  out.push({ name: 'where', expr: sx.where(sx.input(0, F), sx.input(1, F), sx.input(2, F), F), dtypes: [F, F, F], inputs: [c, values(rng, -5, 5, []), values(rng, -5, 5, [])] });
  const castIn = values(rng, -100, 100, [0.5, -0.5, 2.999, -2.999, 0, 7, -7]);
  out.push({ name: 'cast float32 → int32', expr: sx.unary('cast', sx.input(0, F), 'int32'), dtypes: [F], inputs: [castIn] });
  out.push({ name: 'cast float32 → bool', expr: sx.unary('cast', sx.input(0, F), 'bool'), dtypes: [F], inputs: [castIn.map((v, i) => (i % 3 === 0 ? 0 : v))] });
  out.push({ name: 'cast int32 → float32', expr: sx.unary('cast', sx.input(0, 'int32'), F), dtypes: ['int32'], inputs: [castIn.map(Math.trunc)] });
  const ints = (lo: number, hi: number) => Array.from({ length: N }, () => rng.int(lo, hi));
  for (const op of ['add', 'sub', 'mul', 'minimum', 'maximum'] as const) {
    out.push({ name: `int32 ${op}`, expr: sx.binary(op, sx.input(0, 'int32'), sx.input(1, 'int32'), 'int32'), dtypes: ['int32', 'int32'], inputs: [ints(-1000, 1000), ints(-1000, 1000)] });
  }
  out.push({ name: 'int32 neg/abs/sign', expr: sx.binary('add', sx.unary('neg', sx.input(0, 'int32')), sx.binary('mul', sx.unary('abs', sx.input(0, 'int32')), sx.unary('sign', sx.input(0, 'int32')), 'int32'), 'int32'), dtypes: ['int32'], inputs: [ints(-50, 50)] });
  for (const v of [0, 1.5, -2.25, 1e-3, 3e5]) out.push({ name: `const ${v}`, expr: sx.binary('add', sx.input(0, F), sx.const(v, F), F), dtypes: [F], inputs: [values(rng, -1, 1, [])] });
  for (let i = 0; i < 25; i++) {
    out.push({ name: `random DAG #${i}`, expr: randomExpr(rng, 3, 5), dtypes: [F, F, F], inputs: [values(rng, -3, 3, []), values(rng, -3, 3, []), values(rng, -3, 3, [])] });
  }
  return out;
}

