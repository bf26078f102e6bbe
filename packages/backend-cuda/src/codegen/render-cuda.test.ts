import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BINARY_OPS, COMPARE_OPS, evalScalarExpr, roundTo, sx, UNARY_OPS, type DType, type ScalarExpr } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing';
import { run } from '../testing-fixtures/programs.js';
import { convert, cudaLiteral, renderCudaExprs, SCALAR_PRELUDE } from './render-cuda.js';

describe('render-cuda literals and conversions', () => {
  it('renders exact literals, NaN and infinities', () => {
    expect(cudaLiteral('float32', 1)).toBe('1.0f');
    expect(cudaLiteral('float32', 0.1)).toBe(`${Math.fround(0.1)}f`);
    expect(cudaLiteral('float64', -2.5)).toBe('(-2.5)');
    expect(cudaLiteral('float64', 1e300)).toBe('1e+300');
    expect(cudaLiteral('float32', NaN)).toBe('SG_NAN_F');
    expect(cudaLiteral('float64', -Infinity)).toBe('(-SG_INF_D)');
    expect(cudaLiteral('int32', -2147483648)).toBe('(-2147483647 - 1)');
    expect(cudaLiteral('int32', 7.9)).toBe('7');
    expect(cudaLiteral('bool', NaN)).toBe('0');
    expect(() => cudaLiteral('float32', '1); evil(' as unknown as number)).toThrow('render-cuda: constant 1); evil( is not a number');
    expect(() => cudaLiteral('float16' as DType, 1)).toThrow("render-cuda: unknown dtype 'float16'");
  });

  it('converts with roundTo rules', () => {
    expect(convert('float32', 'int32', 'x')).toBe('sg_i32((double)x)');
    expect(convert('float64', 'bool', 'x')).toBe('((x != 0 && x == x) ? 1 : 0)');
    expect(convert('int32', 'float32', 'x')).toBe('((float)x)');
    expect(convert('bool', 'int32', 'x')).toBe('x');
  });

  it('rejects unknown ops, dtypes, inputs and cycles', () => {
    const opts = { inputCount: 1, load: () => 'x', storage: (): DType => 'float32' };
    expect(() => renderCudaExprs([{ op: 'system', args: [sx.input(0, 'float32')], dtype: 'float32' } as unknown as ScalarExpr], opts)).toThrow(/unknown scalar op 'system'/);
    expect(() => renderCudaExprs([sx.input(0, 'int8' as DType)], opts)).toThrow(/unknown dtype/);
    expect(() => renderCudaExprs([sx.input(3, 'float32')], opts)).toThrow(/out of range/);
    expect(() => renderCudaExprs([sx.input(0, 'float32')], { ...opts, prefix: 'x; evil' })).toThrow("render-cuda: bad local prefix 'x; evil': expected 1 to 3 lowercase letters");
    const a: { op: 'neg'; args: [ScalarExpr]; dtype: DType } = { op: 'neg', args: [sx.input(0, 'float32')], dtype: 'float32' };
    a.args[0] = a;
    expect(() => renderCudaExprs([a], opts)).toThrow(/cycle/);
  });

  it('evaluates a shared subtree once', () => {
    const x = sx.unary('exp', sx.input(0, 'float32'));
    const r = renderCudaExprs([sx.binary('add', x, x, 'float32'), x], { inputCount: 1, load: () => 'p0[i]', storage: () => 'float32' });
    expect(r.lines.filter((l) => l.includes('expf')).length).toBe(1);
    expect(r.results[1]).toBe(r.lines.length >= 2 ? 'v1' : '');
  });
});

// The renderer's C against core's reference evaluator, run on this CPU: the same source
// compiles as host C++ (SCALAR_PRELUDE falls back to <cmath>), so semantics are checked without a GPU.
const gxx = ['/usr/bin/g++', '/usr/bin/c++'].find((p) => existsSync(p));
const dir = mkdtempSync(join(tmpdir(), 'symgrad-cuda-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPECIAL = [0, -0, 1, -1, 0.5, 2, 3, -2.5, NaN, Infinity, -Infinity, 1e-3, 100];

function randomDag(rng: TestRandom, inputs: readonly DType[], nodes: number, dtypes: readonly DType[], ops: { unary: readonly string[]; binary: readonly string[] }): ScalarExpr {
  const pool: ScalarExpr[] = inputs.map((d, i) => sx.input(i, d));
  pool.push(sx.const(rng.pick(SPECIAL), rng.pick(dtypes)));
  for (let i = 0; i < nodes; i++) {
    const d = rng.pick(dtypes);
    const r = rng.uniform(0, 1);
    const a = () => rng.pick(pool);
    if (r < 0.35) pool.push(sx.unary(rng.pick(ops.unary) as 'neg', a(), d));
    else if (r < 0.65) pool.push(sx.binary(rng.pick(ops.binary) as 'add', a(), a(), d));
    else if (r < 0.8) pool.push(sx.binary(rng.pick(COMPARE_OPS), a(), a(), d));
    else if (r < 0.9) pool.push(sx.where(a(), a(), a(), d));
    else pool.push(sx.unary('cast', a(), d));
  }
  return pool[pool.length - 1]!;
}

interface Case { expr: ScalarExpr; inputs: DType[]; values: number[][] }

function cppLiteral(v: number): string {
  return Number.isNaN(v) ? 'SG_NAN_D' : v === Infinity ? 'SG_INF_D' : v === -Infinity ? '(-SG_INF_D)' : Object.is(v, -0) ? '-0.0' : `${v}`;
}

async function runOnHost(name: string, cases: readonly Case[]): Promise<number[][]> {
  const parts = [SCALAR_PRELUDE, '#include <cstdio>'];
  cases.forEach((c, k) => {
    const r = renderCudaExprs([c.expr], { inputCount: c.inputs.length, storage: (i) => c.inputs[i]!, load: (i) => `in[${i}]` });
    parts.push(`static double case${k}(const double* in) {\n${r.lines.map((l) => `  ${l}`).join('\n')}\n  return (double)${r.results[0]};\n}`);
  });
  parts.push('int main() {');
  cases.forEach((c, k) => {
    for (const vals of c.values) parts.push(`  { const double in[] = {${[...vals.map(cppLiteral), '0'].join(', ')}}; std::printf("%.17g\\n", case${k}(in)); }`);
  });
  parts.push('  return 0;\n}');
  const src = join(dir, `${name}.cc`);
  writeFileSync(src, parts.join('\n'));
  const exe = join(dir, name);
  const c = await run(gxx!, ['-O1', '-std=c++17', '-w', '-o', exe, src]);
  if (c.code !== 0) throw new Error(`g++ failed:\n${c.out.slice(0, 4000)}`);
  const out = (await run(exe, [])).out.trim().split('\n').map((s) => (/nan/i.test(s) ? NaN : /^-inf/i.test(s) ? -Infinity : /inf/i.test(s) ? Infinity : Number(s)));
  const grouped: number[][] = [];
  let at = 0;
  for (const c of cases) grouped.push(out.slice(at, (at += c.values.length)));
  return grouped;
}

function makeCases(seed: number, count: number, dtypes: readonly DType[], nodes: number, ops: { unary: readonly string[]; binary: readonly string[] }): Case[] {
  const rng = new TestRandom(seed);
  return Array.from({ length: count }, () => {
    const inputs = [rng.pick(dtypes), rng.pick(dtypes)];
    const expr = randomDag(rng, inputs, nodes, dtypes, ops);
    const values = Array.from({ length: 6 }, () => inputs.map((d) => roundTo(d, rng.uniform(0, 1) < 0.4 ? rng.pick(SPECIAL) : rng.uniform(-4, 4))));
    return { expr, inputs, values };
  });
}

function close(got: number, want: number, rel: number): boolean {
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got);
  if (!Number.isFinite(want) || !Number.isFinite(got)) return got === want || Math.abs(want) > 1e30;
  return Math.abs(got - want) <= rel * Math.max(1, Math.abs(want));
}

describe.skipIf(!gxx)(`render-cuda against evalScalarExpr, compiled as host C++${gxx ? '' : ' (skipped: no g++)'}`, () => {
  const check = async (name: string, cases: Case[], rel: number) => {
    const got = await runOnHost(name, cases);
    const bad: string[] = [];
    cases.forEach((c, k) => c.values.forEach((vals, j) => {
      const want = evalScalarExpr(c.expr, vals);
      if (!close(got[k]![j]!, want, rel)) bad.push(`case ${k} inputs ${vals.join(', ')}: got ${got[k]![j]}, want ${want}`);
    }));
    expect(bad.slice(0, 10)).toEqual([]);
  };
  const INT_OPS = { unary: ['neg', 'abs', 'square', 'sign', 'relu'], binary: ['add', 'sub', 'mul', 'minimum', 'maximum'] };

  it('int32/bool DAGs match exactly (wrapping, comparisons, where, casts)', () => check('int', makeCases(11, 150, ['int32', 'bool'], 10, INT_OPS), 0), 60_000);
  it('float64 DAGs match to 1e-9 (every op, NaN/∞ semantics of min/max/relu/sign/pow)', () => check('f64', makeCases(12, 150, ['float64'], 6, { unary: UNARY_OPS, binary: BINARY_OPS }), 1e-9), 60_000);
  it('float32 ops one at a time match to float precision', () => {
    const cases: Case[] = [];
    for (const op of UNARY_OPS) cases.push({ expr: sx.unary(op, sx.input(0, 'float32')), inputs: ['float32'], values: SPECIAL.map((v) => [Math.fround(v)]).concat([[Math.fround(-0.3)], [Math.fround(2.7)]]) });
    for (const op of [...BINARY_OPS, ...COMPARE_OPS]) cases.push({ expr: sx.binary(op, sx.input(0, 'float32'), sx.input(1, 'float32'), COMPARE_OPS.includes(op as never) ? 'bool' : 'float32'), inputs: ['float32', 'float32'], values: SPECIAL.flatMap((a) => [[a, 2], [a, NaN], [-1, a], [Math.fround(0.7), a]]) });
    return check('f32', cases, 2e-7);
  }, 60_000);
  it('mixed-dtype DAGs with casts between every dtype', () => check('mixed', makeCases(13, 100, ['float64', 'int32', 'bool'], 8, { unary: ['neg', 'abs', 'sign', 'relu', 'square', 'exp', 'tanh', 'sigmoid'], binary: ['add', 'sub', 'mul', 'div', 'minimum', 'maximum'] }), 1e-9), 60_000);
});
