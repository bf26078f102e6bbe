import { describe, expect, it } from 'vitest';
import { contiguousView, sx, T, type Kernel, type MatmulKernel, type Program } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing';
import { programOf, seedStepProgram } from '../testing-fixtures/programs.js';
import { planLtEpilogues } from './lt-epilogues.js';
import { planProgram } from './program-source.js';

const f32 = sx.input(0, 'float32');
const h = sx.input(1, 'float32');
const zero = sx.const(0, 'float32');
const mask = sx.where(sx.binary('gt', h, zero, 'bool'), f32, zero, 'float32');

/** h = relu(x·W) (kernel 0, into buffer 3), then g = where(h > 0, d·Vᵀ, 0) (into buffer 6). */
function pair(over: { forward?: Partial<MatmulKernel>; backward?: Partial<MatmulKernel>; between?: Kernel[] } = {}): Program {
  const m = 5, n = 130, k = 7;
  const forward: MatmulKernel = {
    kind: 'matmul', batch: [], m, n, k, a: contiguousView(0, [m, k]), b: contiguousView(1, [k, n]), transA: false, transB: false, alpha: 1, beta: 0,
    out: contiguousView(3, [m, n]), epilogue: { expr: sx.unary('relu', f32), inputs: [] }, dtype: 'float32', label: 'fwd', ...over.forward,
  };
  const backward: MatmulKernel = {
    kind: 'matmul', batch: [], m, n, k: 11, a: contiguousView(4, [m, 11]), b: contiguousView(5, [n, 11]), transA: false, transB: true, alpha: 1, beta: 0,
    out: contiguousView(6, [m, n]), epilogue: { expr: mask, inputs: [contiguousView(3, [m, n])] }, dtype: 'float32', label: 'bwd', ...over.backward,
  };
  return {
    buffers: [0, 1, 2, 3, 4, 5, 6].map((id) => ({ id, dtype: 'float32' as const, size: 2048, role: 'temp' as const })),
    kernels: [forward, ...(over.between ?? []), backward],
  };
}

describe('planLtEpilogues', () => {
  const dtypes = Array.from({ length: 7 }, () => 'float32' as const);

  it('pairs a relu gradient with the relu GEMM whose output it tests: one bit mask, ld padded to 128 bits', () => {
    const plan = planLtEpilogues(pair(), dtypes);
    expect(plan.epilogues).toEqual([{ kind: 'relu', aux: { index: 0, ld: 256 } }, { kind: 'dRelu', aux: { index: 0, ld: 256 } }]);
    expect(plan.auxBytes).toEqual([(256 / 8) * 5]);
    const bias = planLtEpilogues(pair({ forward: { epilogue: { expr: sx.unary('relu', sx.binary('add', f32, h, 'float32')), inputs: [{ buffer: 2, offset: 0, shape: [5, 130], strides: [0, 1] }] } } }), dtypes);
    expect(bias.epilogues[0]).toMatchObject({ kind: 'reluBias', aux: { index: 0, ld: 256 } });
    expect(bias.epilogues[1]).toEqual({ kind: 'dRelu', aux: { index: 0, ld: 256 } });
  });

  it('leaves the gradient to a generated kernel when the mask would not be the same', () => {
    const cases: Program[] = [
      pair({ forward: { epilogue: undefined } }), // h is not a relu's output
      pair({ forward: { alpha: 2 } }), // a scaled product: the mask test is unchanged but keep both plain
      pair({ backward: { beta: 1 } }), // beta·out before the mask: order of operations in cuBLASLt unknown
      pair({ forward: { out: { buffer: 3, offset: 1, shape: [5, 130], strides: [130, 1] } } }), // h is another view
      pair({ between: [{ kind: 'elementwise', shape: [4], inputs: [contiguousView(0, [4])], outputs: [contiguousView(3, [4])], exprs: [f32], label: 'overwrite' }] }), // h rewritten in between
      pair({ forward: { k: 0, a: contiguousView(0, [5, 0]), b: contiguousView(1, [0, 130]) } }), // k = 0 runs on cuBLAS
    ];
    for (const p of cases) {
      const plan = planLtEpilogues(p, dtypes);
      expect(plan.auxBytes).toEqual([]);
      expect(plan.epilogues.at(-1)).toBeUndefined();
    }
  });

  it('fuses both relu gradients of the seed step, so only the loss kernels remain generated', async () => {
    const program = await seedStepProgram([64, 48, 32, 10], 37);
    const plan = planProgram(program, { gemm: 'cublasLt' });
    const kinds = plan.steps.flatMap((s) => (s.kind === 'gemm' && s.epilogue ? [s.epilogue.kind] : []));
    expect(kinds.filter((k) => k === 'dRelu')).toHaveLength(2);
    expect(plan.steps.filter((s) => s.kind === 'gemm' && s.epilogue?.aux && s.epilogue.kind !== 'dRelu')).toHaveLength(2);
    expect(plan.auxBytes).toEqual([(128 / 8) * 37, (128 / 8) * 37]);
    expect(plan.kernelNames.some((n) => n.endsWith('_epilogue'))).toBe(false);
    // The mask is an access of its own: the forward GEMM writes it, the backward one reads it.
    const aux = program.buffers.length;
    const writer = plan.steps.findIndex((s) => s.writes.includes(aux));
    const reader = plan.steps.findIndex((s) => s.reads.includes(aux));
    expect(writer).toBeGreaterThanOrEqual(0);
    expect(reader).toBeGreaterThan(writer);
  });

  it('pairs what T.relu and T.where(T.gt(h, 0), …, 0) lower to (the device check\'s relu-gradient case)', async () => {
    const rng = new TestRandom(5);
    const x = T.matrix('x'), w1 = T.matrix('w1'), d = T.matrix('d'), w2 = T.matrix('w2');
    const hidden = T.relu(T.dot(x, w1));
    const grad = T.where(T.gt(hidden, 0), T.dot(d, T.transpose(w2)), 0);
    const program = await programOf([x, w1, d, w2], [hidden, grad], [rng.array([37, 13], 'float32', -1, 1), rng.array([13, 130], 'float32', -1, 1), rng.array([37, 11], 'float32', -1, 1), rng.array([130, 11], 'float32', -1, 1)]);
    const plan = planProgram(program, { gemm: 'cublasLt' });
    expect(plan.steps.map((s) => (s.kind === 'gemm' ? s.epilogue?.kind : s.kind))).toEqual(['relu', 'dRelu']);
    expect(plan.auxBytes).toEqual([(256 / 8) * 37]);
  });
});
