import { describe, expect } from 'vitest';
import { BINARY_OPS, COMPARE_OPS, roundTo, sx, UNARY_OPS, type DType, type ElementwiseKernel, type Program, type ScalarExpr, type View } from '@symgrad/core';
import { interpretProgram, TestRandom } from '@symgrad/core/testing';
import { WebGPUBackend } from '../backend.js';
import type { WebGPUExecutable } from '../runtime/executable.js';
import { deviceTests, uploadProgramBuffers } from '../testing-fixtures/device.js';
import { close, compareOnDevice, EXPR_DTYPES } from '../testing-fixtures/expr-harness.js';

// The vec4 elementwise form (four elements per invocation, a partial last vec4) against
// core's float64 Program interpreter on SwiftShader, next to the scalar form it falls back to.
const deviceIt = deviceTests();

const lin = (buffer: number, n: number, offset = 0): View => ({ buffer, offset, shape: [n], strides: [1] });
const x = (i: number) => sx.input(i, 'float32');

/**
 * Runs a Program on the device and through the reference interpreter (on the same
 * dtype-rounded data) and returns one message per mismatching element of every buffer,
 * untouched elements included (a tail store must not clobber a neighbour), plus each
 * kernel's form ('vec4' or 'scalar').
 */
async function check(b: WebGPUBackend, program: Program, seed: number, rtol = 2e-6): Promise<{ bad: string[]; forms: string[] }> {
  const rng = new TestRandom(seed);
  const init = program.buffers.map((s) => Float64Array.from({ length: s.size }, () => {
    const v = s.dtype === 'float32' ? rng.uniform(-2, 2) : s.dtype === 'int32' ? rng.int(-50, 50) : rng.int(0, 1);
    return roundTo(s.dtype, v);
  }));
  const want = init.map((d) => d.slice());
  interpretProgram(program, want);
  const bufs = uploadProgramBuffers(b, program, init);
  const exe = b.compile(program, { precision: 'fp32' }) as WebGPUExecutable;
  await exe.ready;
  exe.run(bufs);
  const got = await Promise.all(bufs.map((buf) => b.read(buf)));
  const forms = exe.sources.map((s) => (s.split('\n')[0]!.endsWith('(vec4)') ? 'vec4' : 'scalar'));
  exe.dispose();
  bufs.forEach((buf) => b.free(buf));
  const bad: string[] = [];
  program.buffers.forEach((s, i) => {
    for (let e = 0; e < s.size; e++) {
      const g = Number(got[i]![e]);
      const w = want[i]![e]!;
      if (!close(g, w, s.dtype, rtol) && bad.length < 20) bad.push(`buffer ${i} [${s.dtype}] element ${e}: device ${g}, reference ${w}`);
    }
  });
  return { bad, forms };
}

/**
 * Inputs x, y (float32), k (int32), c (bool); outputs f (float32), j (int32), m (bool):
 * three outputs of three dtypes from one kernel, mixing ops with a vector form and ops
 * rendered per lane.
 */
function mixedProgram(n: number): Program {
  const dtypes: DType[] = ['float32', 'float32', 'int32', 'bool', 'float32', 'int32', 'bool'];
  const k = sx.input(2, 'int32');
  const exprs: ScalarExpr[] = [
    sx.where(sx.input(3, 'bool'), sx.binary('add', sx.binary('mul', x(0), x(0), 'float32'), sx.unary('exp', x(1)), 'float32'), sx.binary('div', x(1), sx.const(3, 'float32'), 'float32'), 'float32'),
    sx.binary('add', sx.binary('mul', k, k, 'int32'), sx.unary('cast', sx.binary('mul', x(0), sx.const(10, 'float32'), 'float32'), 'int32'), 'int32'),
    sx.binary('lt', x(0), x(1), 'bool'),
  ];
  const kernel: ElementwiseKernel = { kind: 'elementwise', shape: [n], inputs: [0, 1, 2, 3].map((i) => lin(i, n)), outputs: [4, 5, 6].map((i) => lin(i, n)), exprs, label: `mixed-${n}` };
  return { buffers: dtypes.map((dtype, id) => ({ id, dtype, size: n, role: id < 4 ? 'input' as const : 'output' as const })), kernels: [kernel] };
}

describe('vec4 elementwise kernels', () => {
  deviceIt('n = 1, 3, 4, 5, 7, 1021, 4096: float32, int32 and bool outputs from one kernel (scalar below 4)', async (b) => {
    for (const n of [1, 3, 4, 5, 7, 1021, 4096]) {
      const r = await check(b, mixedProgram(n), n);
      expect(r.bad, `n = ${n}`).toEqual([]);
      expect(r.forms).toEqual([n >= 4 ? 'vec4' : 'scalar']);
    }
  });

  deviceIt('in place: float32 and int32 outputs over their own inputs', async (b) => {
    for (const n of [6, 1021]) {
      const program: Program = {
        buffers: [{ id: 0, dtype: 'float32', size: n, role: 'input' }, { id: 1, dtype: 'float32', size: n, role: 'input' }, { id: 2, dtype: 'int32', size: n, role: 'input' }],
        kernels: [{
          kind: 'elementwise', shape: [n], inputs: [lin(0, n), lin(1, n), lin(2, n)], outputs: [lin(0, n), lin(2, n)], label: 'sgd-in-place',
          exprs: [sx.binary('sub', x(0), sx.binary('mul', sx.const(0.1, 'float32'), x(1), 'float32'), 'float32'), sx.binary('add', sx.input(2, 'int32'), sx.const(1, 'int32'), 'int32')],
        }],
      };
      const r = await check(b, program, 10 + n);
      expect(r.bad, `n = ${n}`).toEqual([]);
      expect(r.forms).toEqual(['vec4']);
    }
  });

  deviceIt('offsets: multiples of 4 take vec4 and leave the words past a partial tail alone; other offsets take the scalar form', async (b) => {
    // Two outputs in one buffer, at 0 and 8, 5 elements each: words 5-7 and 13-15 share
    // the tails' vec4s and must keep their values.
    const aligned: Program = {
      buffers: [{ id: 0, dtype: 'float32', size: 24, role: 'input' }, { id: 1, dtype: 'float32', size: 18, role: 'output' }, { id: 2, dtype: 'bool', size: 10, role: 'output' }],
      kernels: [{
        kind: 'elementwise', shape: [5], inputs: [lin(0, 5, 12), lin(0, 5, 4)], outputs: [lin(1, 5), lin(1, 5, 8), lin(2, 5, 4)], label: 'aligned',
        exprs: [sx.binary('sub', x(0), x(1), 'float32'), sx.unary('sqrt', sx.unary('abs', x(1))), sx.binary('ge', x(0), x(1), 'bool')],
      }],
    };
    const a = await check(b, aligned, 3);
    expect(a.bad).toEqual([]);
    expect(a.forms).toEqual(['vec4']);
    const unaligned: Program = {
      buffers: [{ id: 0, dtype: 'float32', size: 40, role: 'input' }, { id: 1, dtype: 'float32', size: 40, role: 'output' }],
      kernels: [
        { kind: 'elementwise', shape: [13], inputs: [lin(0, 13, 3)], outputs: [lin(1, 13, 8)], exprs: [sx.unary('tanh', x(0))], label: 'odd-input-offset' },
        { kind: 'elementwise', shape: [13], inputs: [lin(0, 13, 24)], outputs: [lin(1, 13, 25)], exprs: [sx.unary('neg', x(0))], label: 'odd-output-offset' },
      ],
    };
    const u = await check(b, unaligned, 4);
    expect(u.bad).toEqual([]);
    expect(u.forms).toEqual(['scalar', 'scalar']);
  });

  deviceIt('a launch over maxComputeWorkgroupsPerDimension splits into a 2-D grid (limits lowered to force it)', async () => {
    const small = await WebGPUBackend.create({ limits: { maxComputeWorkgroupsPerDimension: 2 } });
    try {
      // 3077 elements: 770 invocations, 4 workgroups of 256 on a 2×2 grid, and a 1-element tail.
      const r = await check(small, mixedProgram(3077), 5);
      expect(r.bad).toEqual([]);
      expect(r.forms).toEqual(['vec4']);
    } finally {
      small.dispose();
    }
  });

  deviceIt('every op and cast in every dtype on special values, through the vec4 renderer', async (b) => {
    // 28 elements and 28-element output slots: every view is linear at a multiple of 4.
    const grid = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 2, -2, 3, -3, 1e-3, -7.25, 1000, 20, -20, 88, 89, -87, 1e30, -1e30, 2147483647, -2147483648, 3e9, 0.3, 7];
    const rev = [...grid].reverse();
    const inputs = EXPR_DTYPES.flatMap((dtype) => [grid, rev].map((g) => ({ dtype, values: dtype === 'bool' ? g.map((v) => (v !== 0 && !Number.isNaN(v) ? 1 : 0)) : g })));
    const roots: ScalarExpr[] = [];
    EXPR_DTYPES.forEach((da, i) => {
      for (const res of EXPR_DTYPES) {
        for (const op of [...UNARY_OPS, 'cast'] as const) {
          if (op === 'square' && da !== 'float32' && res !== 'float32') continue; // the documented int32 wrap
          roots.push(sx.unary(op, sx.input(2 * i, da), res));
        }
        EXPR_DTYPES.forEach((db, j) => {
          for (const op of [...BINARY_OPS, ...COMPARE_OPS]) {
            // As in wgsl-expr.device.test.ts: int32 products and sums that wrap differ from the float64 reference (documented).
            if (['mul', 'pow', 'add', 'sub'].includes(op) && da !== 'float32' && db !== 'float32' && res !== 'float32' && (op !== 'add' && op !== 'sub' || res === 'bool')) continue;
            roots.push(sx.binary(op, sx.input(2 * i, da), sx.input(2 * j + 1, db), res));
          }
        });
        EXPR_DTYPES.forEach((dc, j) => roots.push(sx.where(sx.input(2 * j, dc), sx.input(2 * i + 1, da), sx.const(-3, 'int32'), res)));
      }
    });
    const chunks: ScalarExpr[][] = [];
    for (let i = 0; i < roots.length; i += 24) chunks.push(roots.slice(i, i + 24));
    const bad = (await Promise.all(chunks.map((c) => compareOnDevice(b, inputs, [28], c, { rtol: 2e-6 })))).flat();
    expect(bad).toEqual([]);
  });
});
