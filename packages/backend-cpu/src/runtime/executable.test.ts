import { afterEach, describe, expect, it, vi } from 'vitest';
import { sx, type Program } from '@symgrad/core';
import { CpuBackend } from '../backend.js';
import { nativeCpuStatus } from '../native.js';
import type { CpuExecutable } from './executable.js';
import { contiguous } from '../testing-fixtures/strided.js';

describe('CpuExecutable', () => {
  it('runs kernels in order on buffers indexed by id, whatever order the program lists them in', () => {
    // logits = x · w (matmul), then per-row loss against labels and argmax predictions.
    const program: Program = {
      buffers: [
        { id: 4, dtype: 'int32', size: 2, role: 'output' },
        { id: 1, dtype: 'float32', size: 6, role: 'input' },
        { id: 0, dtype: 'float32', size: 4, role: 'input' },
        { id: 2, dtype: 'float32', size: 6, role: 'temp' },
        { id: 3, dtype: 'int32', size: 2, role: 'input' },
        { id: 5, dtype: 'float32', size: 2, role: 'output' },
        { id: 6, dtype: 'float32', size: 1, role: 'output' },
      ],
      kernels: [
        { kind: 'matmul', batch: [], m: 2, n: 3, k: 2, a: contiguous(0, [2, 2]), b: contiguous(1, [2, 3]), transA: false, transB: false, alpha: 1, beta: 0, out: contiguous(2, [2, 3]), dtype: 'float32', label: 'logits' },
        { kind: 'reduce', op: 'argmax', shape: [2, 3], axes: [1], inputs: [contiguous(2, [2, 3])], prologue: sx.input(0, 'float32'), output: contiguous(4, [2]), label: 'argmax' },
        { kind: 'softmaxCrossEntropy', logits: contiguous(2, [2, 3]), labels: contiguous(3, [2]), loss: contiguous(5, [2]), dtype: 'float32', label: 'loss' },
        { kind: 'reduce', op: 'sum', shape: [2], axes: [0], inputs: [contiguous(5, [2])], prologue: sx.input(0, 'float32'), epilogue: sx.binary('mul', sx.input(0, 'float32'), sx.const(0.5, 'float32'), 'float32'), output: contiguous(6, []), label: 'mean' },
      ],
    };
    const cpu = new CpuBackend();
    const table = [['float32', 4], ['float32', 6], ['float32', 6], ['int32', 2], ['int32', 2], ['float32', 2], ['float32', 1]] as const;
    const bufs = table.map(([d, n]) => cpu.allocate(d, n));
    cpu.write(bufs[0]!, Float32Array.from([1, 0, 0, 1]));
    cpu.write(bufs[1]!, Float32Array.from([0, 2, 1, 3, 0, 1]));
    cpu.write(bufs[3]!, Int32Array.from([1, 0]));
    const exe = cpu.compile(program, { precision: 'fp32' });
    exe.run(bufs);
    expect(Array.from(cpu.readSync(bufs[4]!))).toEqual([1, 0]);
    const lse = (r: number[]) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0));
    const want = [lse([0, 2, 1]) - 2, lse([3, 0, 1]) - 3];
    const loss = Array.from(cpu.readSync(bufs[5]!));
    loss.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    expect(cpu.readSync(bufs[6]!)[0]).toBeCloseTo((want[0]! + want[1]!) / 2, 6);
    // A second run gives the same answer and allocates nothing on the backend.
    const before = { ...cpu.stats };
    exe.run(bufs);
    expect(Array.from(cpu.readSync(bufs[5]!))).toEqual(loss);
    expect(cpu.stats).toEqual(before);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it.skipIf(!nativeCpuStatus().ok)('lists the kernels that run in TypeScript although the addon loaded, and prints them when SYMGRAD_CPU_DEBUG=1', () => {
    const program: Program = {
      buffers: [{ id: 0, dtype: 'int32', size: 4, role: 'input' }, { id: 1, dtype: 'int32', size: 4, role: 'output' }, { id: 2, dtype: 'int32', size: 4, role: 'output' }],
      kernels: [
        { kind: 'matmul', batch: [], m: 2, n: 2, k: 2, a: contiguous(0, [2, 2]), b: contiguous(0, [2, 2]), transA: false, transB: false, alpha: 1, beta: 0, out: contiguous(1, [2, 2]), dtype: 'int32', label: 'imatmul' },
        { kind: 'elementwise', shape: [2, 2], inputs: [contiguous(1, [2, 2])], outputs: [contiguous(2, [2, 2])], exprs: [sx.unary('neg', sx.input(0, 'int32'))], label: 'neg' },
      ],
    };
    vi.stubEnv('SYMGRAD_CPU_DEBUG', '1');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const exe = new CpuBackend({ native: true }).compile(program, { precision: 'fp32' }) as CpuExecutable;
    const want = ["kernel 0 (matmul 'imatmul') runs in TypeScript: the TypeScript GEMM (dtype, operand storage or aliasing)"];
    expect(exe.nativeFallbacks).toEqual(want);
    expect(warn.mock.calls).toEqual([[`symgrad cpu: ${want[0]}`]]);
    expect((new CpuBackend({ native: false }).compile(program, { precision: 'fp32' }) as CpuExecutable).nativeFallbacks).toEqual([]);
  });
});
