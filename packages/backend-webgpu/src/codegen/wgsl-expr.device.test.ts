import { describe, expect } from 'vitest';
import { BINARY_OPS, COMPARE_OPS, sx, UNARY_OPS, type DType, type ScalarExpr } from '@symgrad/core';
import type { WebGPUBackend } from '../backend.js';
import { deviceTests } from '../testing-fixtures/device.js';
import { compareOnDevice, EXPR_DTYPES } from '../testing-fixtures/expr-harness.js';
import { Rng } from '../testing-fixtures/random.js';

// The WGSL renderer against core's reference evaluator, on the device.
const GRID = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 2, -2, 3, -3, 1e-3, -7.25, 1000, 20, -20, 88, 89, -87, 1e30, -1e30, 2147483647, -2147483648, 3e9, 0.3];


/** Compares in chunks of roots, compiled concurrently (shader compilation dominates on SwiftShader). */
async function compareChunked(b: WebGPUBackend, inputs: Parameters<typeof compareOnDevice>[1], shape: readonly number[], roots: readonly ScalarExpr[], rtol: number): Promise<string[]> {
  const chunks: ScalarExpr[][] = [];
  for (let i = 0; i < roots.length; i += 24) chunks.push(roots.slice(i, i + 24));
  return (await Promise.all(chunks.map((c) => compareOnDevice(b, inputs, shape, c, { rtol })))).flat();
}
const deviceIt = deviceTests();

const gridInputs = (rank: 1 | 2) => EXPR_DTYPES.flatMap((dtype) => {
  const values = dtype === 'bool' ? GRID.map((v) => (v !== 0 && !Number.isNaN(v) ? 1 : 0)) : GRID;
  const g = GRID.length;
  return rank === 1
    ? [{ dtype, values }]
    : [{ dtype, values, view: { offset: 0, shape: [g, g], strides: [1, 0] } }, { dtype, values, view: { offset: 0, shape: [g, g], strides: [0, 1] } }];
});

describe('WGSL scalar expressions match evalScalarExpr on the device', () => {
  // Transcendentals carry the device's few-ulp error; exact ops are exact.
  const RTOL = 2e-6;

  deviceIt('every unary op and cast, every argument and result dtype, on special values', async (b) => {
    const roots: ScalarExpr[] = [];
    EXPR_DTYPES.forEach((arg, k) => {
      for (const res of EXPR_DTYPES) {
        for (const op of [...UNARY_OPS, 'cast'] as const) {
          if (op === 'square' && arg !== 'float32' && res !== 'float32') continue; // the int32 wrap, as for mul below
          roots.push(sx.unary(op, sx.input(k, arg), res));
        }
      }
    });
    const bad = await compareChunked(b, gridInputs(1), [GRID.length], roots, RTOL);
    expect(bad).toEqual([]);
  });

  deviceIt('every binary op and comparison, every dtype pair and result dtype, on all pairs of special values', async (b) => {
    const roots: ScalarExpr[] = [];
    EXPR_DTYPES.forEach((da, i) => EXPR_DTYPES.forEach((db, j) => {
      for (const res of EXPR_DTYPES) {
        for (const op of [...BINARY_OPS, ...COMPARE_OPS]) {
          // An int32 product beyond 2^53 wraps on the device where the reference rounds a float64 product (documented).
          // Likewise a bool of an int32 sum: −2^31 + −2^31 wraps to 0 (false) where the reference sees −2^32 (true).
          if (['mul', 'pow', 'add', 'sub'].includes(op) && da !== 'float32' && db !== 'float32' && res !== 'float32' && (op !== 'add' && op !== 'sub' || res === 'bool')) continue;
          roots.push(sx.binary(op, sx.input(2 * i, da), sx.input(2 * j + 1, db), res));
        }
      }
    }));
    const bad = await compareChunked(b, gridInputs(2), [GRID.length, GRID.length], roots, RTOL);
    expect(bad).toEqual([]);
  });

  deviceIt('where and constants (NaN, ±Infinity, subnormal, int32 limits) in every dtype', async (b) => {
    const consts = [NaN, Infinity, -Infinity, 1e-40, 0.1, -2147483648, 2147483647, 5e9, 0, -0];
    const roots: ScalarExpr[] = [];
    for (const d of EXPR_DTYPES) for (const c of consts) roots.push(sx.binary('add', sx.const(c, d), sx.unary('cast', sx.input(0, 'float32'), d), d));
    EXPR_DTYPES.forEach((dc, k) => { for (const d of EXPR_DTYPES) roots.push(sx.where(sx.input(k, dc), sx.const(7, d), sx.input(1, 'int32'), d)); });
    const bad = await compareOnDevice(b, gridInputs(1), [GRID.length], roots, { rtol: RTOL });
    expect(bad).toEqual([]);
  });

  deviceIt('random expression DAGs over moderate values', async (b) => {
    const rng = new Rng(77);
    const inputs = EXPR_DTYPES.map((dtype) => ({ dtype, values: Array.from({ length: 64 }, () => (dtype === 'float32' ? rng.uniform(-3, 3) : dtype === 'int32' ? rng.int(-6, 6) : rng.int(0, 1))) }));
    const roots: ScalarExpr[] = [];
    for (let t = 0; t < 120; t++) roots.push(randomExpr(rng, rng.int(2, 10)));
    const bad = await compareChunked(b, inputs, [64], roots, 1e-4);
    expect(bad).toEqual([]);
  });
});

/**
 * A random DAG over the three inputs (input(k) has dtype EXPR_DTYPES[k]). Integer-valued
 * products and powers are kept out of int results (see the documented int32 wrap).
 */
function randomExpr(rng: Rng, nodes: number): ScalarExpr {
  const pool: ScalarExpr[] = EXPR_DTYPES.map((d, k) => sx.input(k, d));
  pool.push(sx.const(rng.pick([0.5, 2, -1, 3]), rng.pick(EXPR_DTYPES)));
  for (let i = 0; i < nodes; i++) {
    const dtype: DType = rng.pick(EXPR_DTYPES);
    const a = () => rng.pick(pool);
    const r = rng.next();
    let e: ScalarExpr;
    if (r < 0.35) e = sx.unary(rng.pick(UNARY_OPS), a(), dtype);
    else if (r < 0.65) {
      const op = rng.pick(BINARY_OPS);
      e = sx.binary(op, a(), a(), (op === 'mul' || op === 'pow') ? 'float32' : dtype);
    } else if (r < 0.8) e = sx.binary(rng.pick(COMPARE_OPS), a(), a(), dtype);
    else if (r < 0.9) e = sx.where(a(), a(), a(), dtype);
    else e = sx.unary('cast', a(), dtype);
    pool.push(e);
  }
  return pool[pool.length - 1]!;
}
