import { describe, expect, it } from 'vitest';
import { contiguousView, sx, type MatmulKernel, type Program } from '@symgrad/core';
import { concatPrograms, kernelCasePrograms, opCasePrograms, seedStepProgram } from '../testing-fixtures/programs.js';
import { gemmSteps, ltEpilogueOf } from './matmul-plan.js';
import { planProgram } from './program-source.js';

const HOSTILE = '"); system("rm -rf /"); /* */ } __global__ void x() { //\n#include </etc/passwd>';

describe('planProgram', () => {
  it('plans every conformance Program; kernel names are k<index>_<kind> only', async () => {
    const programs = [...(await opCasePrograms()).values(), ...kernelCasePrograms().values(), await seedStepProgram()];
    for (const p of programs) {
      const plan = planProgram(p);
      for (const n of plan.kernelNames) expect(n).toMatch(/^k\d+_(elementwise|reduce|gather|take|scatterAdd|oneHot|softmaxCrossEntropy|softmax|random|epilogue|matmul)$/);
      expect(new Set(plan.kernelNames).size).toBe(plan.kernelNames.length);
      for (const s of plan.steps) if (s.kind === 'launch') for (const b of s.buffers) expect(b).toBeLessThan(p.buffers.length);
    }
  });

  it('never puts labels or other strings from the Program into the source (hostile labels)', async () => {
    const base = concatPrograms([...kernelCasePrograms().values(), await seedStepProgram()]);
    const hostile: Program = { ...base, kernels: base.kernels.map((k) => ({ ...k, label: HOSTILE })) };
    const clean = planProgram({ ...base, kernels: base.kernels.map((k) => ({ ...k, label: 'x' })) });
    const plan = planProgram(hostile);
    expect(plan.source).toBe(clean.source);
    expect(plan.source).not.toContain('system');
    expect(plan.source).not.toContain('passwd');
    // Labels do reach error messages, where they help.
    expect(plan.steps.some((s) => s.what.includes(HOSTILE))).toBe(true);
  });

  it('rejects non-numeric shapes, strides and offsets instead of interpolating them', () => {
    const p: Program = {
      buffers: [{ id: 0, dtype: 'float32', size: 4, role: 'input' }, { id: 1, dtype: 'float32', size: 4, role: 'output' }],
      kernels: [{ kind: 'elementwise', shape: [4], inputs: [{ buffer: 0, offset: '0]; evil(' as unknown as number, shape: [4], strides: [1] }], outputs: [contiguousView(1, [4])], exprs: [sx.input(0, 'float32')], label: 'x' }],
    };
    expect(() => planProgram(p)).toThrow('render-cuda: view offset 0]; evil( is not an integer');
    const q: Program = { ...p, kernels: [{ ...p.kernels[0]!, inputs: [{ buffer: 7, offset: 0, shape: [4], strides: [1] }] } as never] };
    expect(() => planProgram(q)).toThrow(/buffer 7 is not in the Program/);
    const strided: Program = { ...p, kernels: [{ ...p.kernels[0]!, inputs: [{ buffer: 0, offset: 0, shape: [4], strides: [1.5] }] } as never] };
    expect(() => planProgram(strided)).toThrow('render-cuda: view stride 1.5 is not an integer');
  });

  describe('rejects malformed Programs, naming the kernel and what is wrong', () => {
    const buffers: Program['buffers'] = [{ id: 0, dtype: 'float32', size: 12, role: 'input' }, { id: 1, dtype: 'float32', size: 12, role: 'output' }];
    const x = sx.input(0, 'float32');
    const elementwise = { kind: 'elementwise', shape: [12], inputs: [contiguousView(0, [12])], outputs: [contiguousView(1, [12])], exprs: [x], label: 'e' } as const;
    const reduce = (over: object) => ({ kind: 'reduce', op: 'sum', shape: [3, 4], axes: [1], inputs: [contiguousView(0, [3, 4])], prologue: x, output: contiguousView(1, [3]), label: 'r', ...over }) as never;

    it('buffers out of order and unknown kernel kinds', () => {
      expect(() => planProgram({ buffers: [buffers[1]!, buffers[0]!], kernels: [] })).toThrow('cuda: buffer 0 has id 1; Program buffers must be numbered in order');
      expect(() => planProgram({ buffers, kernels: [elementwise, { kind: 'conv', label: 'c' } as never] })).toThrow("cuda: kernel 1 has unknown kind 'conv'");
    });

    it('elementwise kernels whose expressions do not match their outputs, or whose views have another rank', () => {
      expect(() => planProgram({ buffers, kernels: [{ ...elementwise, exprs: [x, x] }] })).toThrow('render-cuda: kernel 0 (elementwise) has 2 expressions for 1 outputs');
      expect(() => planProgram({ buffers, kernels: [{ ...elementwise, inputs: [contiguousView(0, [3, 4])] }] }))
        .toThrow('render-cuda: a view of buffer 0 with strides [4, 1] (rank 2) indexed with 1 dims');
    });

    it('reduce kernels with bad axes or ops', () => {
      expect(() => planProgram({ buffers, kernels: [reduce({ axes: [2] })] })).toThrow('render-cuda: kernel 0 (reduce): axis 2 is out of range for rank 2 (shape [3, 4])');
      expect(() => planProgram({ buffers, kernels: [reduce({ axes: [0.5] })] })).toThrow('render-cuda: kernel 0 (reduce): axis 0.5 is out of range for rank 2 (shape [3, 4])');
      expect(() => planProgram({ buffers, kernels: [reduce({ op: 'prod' })] })).toThrow("render-cuda: kernel 0 (reduce): unknown reduce op 'prod' (sum, max, min or argmax)");
      expect(() => planProgram({ buffers, kernels: [reduce({ op: 'argmax', axes: [0, 1], output: contiguousView(1, []) })] }))
        .toThrow('render-cuda: kernel 0 (reduce): argmax reduces exactly one axis, got 2');
    });
  });

  it('writes a reduce with any axes through index math', () => {
    const p: Program = {
      buffers: [{ id: 0, dtype: 'float32', size: 60, role: 'input' }, { id: 1, dtype: 'int32', size: 4, role: 'output' }],
      kernels: [{ kind: 'reduce', op: 'argmax', shape: [3, 4, 5], axes: [0], inputs: [contiguousView(0, [3, 4, 5])], prologue: sx.input(0, 'float32'), output: { buffer: 1, offset: 0, shape: [4, 5], strides: [0, 0] }, label: 'r' }],
    };
    const plan = planProgram(p);
    expect(plan.source).toContain('sg_group_argmax<32>');
    expect(plan.steps[0]).toMatchObject({ kind: 'launch', name: 'k0_reduce', block: [256, 1, 1], buffers: [0, 1] });
  });
});

describe('matmul through cuBLAS (row-major as transposed column-major)', () => {
  const mm = (over: Partial<MatmulKernel>): MatmulKernel => ({
    kind: 'matmul', batch: [], m: 3, n: 5, k: 7, a: contiguousView(0, [3, 7]), b: contiguousView(1, [7, 5]), transA: false, transB: false,
    alpha: 1, beta: 0, out: contiguousView(2, [3, 5]), dtype: 'float32', label: 'mm', ...over,
  });
  // Wide enough on every side for cuBLAS (narrower products run as generated kernels: kernels-matmul-skinny.ts).
  const wide = (over: Partial<MatmulKernel>): MatmulKernel =>
    mm({ n: 17, k: 19, a: contiguousView(0, [3, 19]), b: contiguousView(1, [19, 17]), out: contiguousView(2, [3, 17]), ...over });

  it('swaps operands: C^T = B^T A^T with row strides as leading dimensions', () => {
    expect(gemmSteps(mm({}), 4)).toEqual([expect.objectContaining({ opA: 0, opB: 0, m: 5, n: 3, k: 7, a: { buffer: 1, offset: 0 }, lda: 5, b: { buffer: 0, offset: 0 }, ldb: 7, c: { buffer: 2, offset: 0 }, ldc: 5, batch: 1 })]);
  });

  it('maps transA/transB to OP_T on the swapped operands', () => {
    const [s] = gemmSteps(mm({ a: contiguousView(0, [7, 3]), b: contiguousView(1, [5, 7]), transA: true, transB: true, alpha: 0.5, beta: 2 }), 0);
    expect(s).toMatchObject({ opA: 1, opB: 1, lda: 7, ldb: 3, alpha: 0.5, beta: 2 });
  });

  it('batches: last batch dim strided-batched (stride 0 broadcasts), outer dims loop with offsets', () => {
    const steps = gemmSteps(mm({
      batch: [2, 4], a: { buffer: 0, offset: 1, shape: [2, 4, 3, 7], strides: [100, 21, 7, 1] }, b: { buffer: 1, offset: 0, shape: [2, 4, 7, 5], strides: [0, 0, 5, 1] },
      out: contiguousView(2, [2, 4, 3, 5]),
    }), 0);
    expect(steps).toHaveLength(2);
    expect(steps[1]).toMatchObject({ batch: 4, strideA: 0, strideB: 21, strideC: 15, b: { buffer: 0, offset: 101 }, a: { buffer: 1, offset: 0 }, c: { buffer: 2, offset: 60 } });
  });

  it('rejects int matmul and layouts cuBLAS cannot read', () => {
    expect(() => gemmSteps(mm({ dtype: 'int32' }), 2)).toThrow('cuda: kernel 2 (matmul): a matmul in int32 is not supported (float32 and float64 only)');
    expect(() => gemmSteps(mm({ a: { buffer: 0, offset: 0, shape: [3, 7], strides: [1, 3] } }), 0))
      .toThrow('cuda: kernel 0 (matmul): A has strides [1, 3]: cuBLAS needs a unit stride in the last dim');
    expect(() => gemmSteps(mm({ b: { buffer: 1, offset: 0, shape: [7, 5], strides: [4, 1] } }), 1))
      .toThrow('cuda: kernel 1 (matmul): B has row stride 4 < 5 (its row length), which cuBLAS cannot read');
    expect(() => gemmSteps(mm({ out: { buffer: 2, offset: 0, shape: [3, 5], strides: [5, 2] } }), 0))
      .toThrow('cuda: kernel 0 (matmul): the output has strides [5, 2]: cuBLAS needs a unit stride in the last dim');
  });

  it('runs a fused epilogue as a generated kernel right after the GEMM', () => {
    const k = wide({ epilogue: { expr: sx.unary('relu', sx.input(0, 'float32')), inputs: [] } });
    const plan = planProgram({ buffers: [0, 1, 2].map((id) => ({ id, dtype: 'float32' as const, size: 64, role: 'temp' as const })), kernels: [k] });
    expect(plan.steps.map((s) => s.kind)).toEqual(['gemm', 'launch']);
    expect(plan.kernelNames).toEqual(['k0_epilogue']);
  });

  describe('with cuBLASLt', () => {
    const f32 = sx.input(0, 'float32');
    const bias = sx.input(1, 'float32');
    const zero = sx.const(0, 'float32');
    const buffers = [0, 1, 2, 3].map((id) => ({ id, dtype: 'float32' as const, size: 256, role: 'temp' as const }));
    const rowBias = (shape: number[], offset = 0) => ({ buffer: 3, offset, shape, strides: [...shape.slice(0, -2).map(() => 5), 0, 1] });
    const lt = (k: MatmulKernel) => planProgram({ buffers, kernels: [k] }, { gemm: 'cublasLt' });

    it('fuses relu, x + bias and relu(x + bias) into the GEMM: no generated kernel', () => {
      const cases = [
        [sx.unary('relu', f32), [], 'relu'],
        [sx.binary('add', f32, bias, 'float32'), [rowBias([3, 17], 2)], 'bias'],
        [sx.unary('relu', sx.binary('add', bias, f32, 'float32')), [rowBias([3, 17], 2)], 'reluBias'],
      ] as const;
      for (const [expr, inputs, kind] of cases) {
        const plan = lt(wide({ epilogue: { expr, inputs: [...inputs] } }));
        expect(plan.kernelNames).toEqual([]);
        expect(plan.steps).toEqual([expect.objectContaining({ kind: 'gemm', epilogue: { kind, biasBatchStride: 0, ...(inputs.length ? { bias: { buffer: 3, offset: 2 } } : {}) } })]);
        expect(plan.gemm).toBe('cublasLt');
      }
    });

    it('steps the bias with the batch: strided within a call, offset between calls', () => {
      const k = wide({
        batch: [2, 4], a: contiguousView(0, [2, 4, 3, 19]), b: contiguousView(1, [2, 4, 19, 17]), out: contiguousView(2, [2, 4, 3, 17]),
        epilogue: { expr: sx.binary('add', f32, bias, 'float32'), inputs: [{ buffer: 3, offset: 1, shape: [2, 4, 3, 17], strides: [20, 5, 0, 1] }] },
      });
      const steps = gemmSteps(k, 0, ltEpilogueOf(k, buffers.map((b) => b.dtype)));
      expect(steps.map((s) => s.epilogue)).toEqual([{ kind: 'bias', biasBatchStride: 5, bias: { buffer: 3, offset: 1 } }, { kind: 'bias', biasBatchStride: 5, bias: { buffer: 3, offset: 21 } }]);
    });

    it('keeps a generated kernel for what cuBLASLt cannot fuse', () => {
      const mask = sx.where(sx.binary('gt', bias, zero, 'bool'), f32, zero, 'float32');
      const unfused: MatmulKernel[] = [
        wide({ epilogue: { expr: mask, inputs: [contiguousView(3, [3, 17])] } }), // the relu gradient reads h, not cuBLASLt's bit mask
        wide({ epilogue: { expr: sx.binary('add', f32, bias, 'float32'), inputs: [contiguousView(3, [3, 17])] } }), // a full matrix, not a row bias
        wide({ epilogue: { expr: sx.binary('add', f32, bias, 'float32'), inputs: [{ buffer: 3, offset: 0, shape: [3, 17], strides: [0, 2] }] } }), // a strided bias
        wide({ epilogue: { expr: sx.binary('add', f32, bias, 'float32'), inputs: [{ buffer: 2, offset: 0, shape: [3, 17], strides: [0, 1] }] } }), // the bias is the output
        wide({ epilogue: { expr: sx.unary('tanh', f32), inputs: [] } }),
        wide({ k: 0, a: contiguousView(0, [3, 0]), b: contiguousView(1, [0, 17]), epilogue: { expr: sx.unary('relu', f32), inputs: [] } }), // k = 0 runs on cuBLAS
        wide({ dtype: 'float64', epilogue: { expr: sx.unary('relu', sx.input(0, 'float64')), inputs: [] } }),
      ];
      for (const k of unfused) {
        expect(ltEpilogueOf(k, buffers.map((b) => b.dtype))).toBeUndefined();
        const plan = lt(k);
        expect(plan.steps.map((s) => s.kind)).toEqual(['gemm', 'launch']);
        expect(plan.steps[0]).not.toHaveProperty('epilogue');
      }
      // A bias stored as float64 under a float32 matmul is not the same sum.
      const f64Bias = planProgram({ buffers: buffers.map((b) => (b.id === 3 ? { ...b, dtype: 'float64' as const } : b)), kernels: [wide({ epilogue: { expr: sx.binary('add', f32, sx.unary('cast', sx.input(1, 'float64'), 'float32'), 'float32'), inputs: [rowBias([3, 17])] } })] }, { gemm: 'cublasLt' });
      expect(f64Bias.kernelNames).toEqual(['k0_epilogue']);
    });

    it('plain cuBLAS never fuses', () => {
      const plan = planProgram({ buffers, kernels: [wide({ epilogue: { expr: sx.unary('relu', f32), inputs: [] } })] });
      expect(plan.gemm).toBe('cublas');
      expect(plan.kernelNames).toEqual(['k0_epilogue']);
    });

    it('marks each step with the buffers it reads and writes: the GEMM its operands, the epilogue launch its own', () => {
      const plan = lt(wide({ beta: 1, epilogue: { expr: sx.binary('add', f32, bias, 'float32'), inputs: [rowBias([3, 17])] } }));
      expect(plan.steps[0]).toMatchObject({ reads: [0, 1, 2, 3], writes: [2] });
      // The relu gradient where(h > 0, A·B, 0), h in buffer 3: the GEMM does not read h, the epilogue does not read A or B.
      const mask = sx.where(sx.binary('gt', bias, zero, 'bool'), f32, zero, 'float32');
      const split = lt(wide({ epilogue: { expr: mask, inputs: [contiguousView(3, [3, 17])] } }));
      expect(split.steps.map((st) => [st.kind, st.kernel, st.reads, st.writes])).toEqual([['gemm', 0, [0, 1], [2]], ['launch', 0, [2, 3], [2]]]);
    });
  });
});

