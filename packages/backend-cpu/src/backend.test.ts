import { describe, expect, it } from 'vitest';
import { getBackend, listBackends, sx, type Kernel, type Program } from '@symgrad/core';
import { CpuBackend, cpuBackendFactory, registerCpuBackend } from './index.js';
import { contiguous } from './testing-fixtures/strided.js';

const x = sx.input(0, 'float32');
const add1: Kernel = { kind: 'elementwise', shape: [3], inputs: [contiguous(0, [3])], outputs: [contiguous(1, [3])], exprs: [sx.binary('add', x, sx.const(1, 'float32'), 'float32')], label: 'add1' };
const program: Program = { buffers: [{ id: 0, dtype: 'float32', size: 3, role: 'input' }, { id: 1, dtype: 'float32', size: 3, role: 'output' }], kernels: [add1] };

describe('CpuBackend buffers', () => {
  it('describes itself (the TypeScript path; native.test.ts checks the native device string)', () => {
    const cpu = new CpuBackend({ native: false });
    expect(cpu.name).toBe('cpu');
    expect(cpu.capabilities).toEqual({
      dtypes: ['float32', 'float64', 'int32', 'bool'],
      kernels: ['elementwise', 'reduce', 'matmul', 'gather', 'take', 'scatterAdd', 'oneHot', 'softmaxCrossEntropy', 'random', 'softmax'],
      maxBufferElements: 2 ** 31 - 1, precisions: ['fp32'], syncRead: true, device: 'TypeScript (JavaScript engine)',
    });
  });

  it('copies data in on write and out on read, and counts allocations and frees', async () => {
    const cpu = new CpuBackend();
    const b = cpu.allocate('float32', 3);
    const src = Float32Array.from([1, 2, 3]);
    cpu.write(b, src);
    src[0] = 99;
    const got = cpu.readSync(b);
    got[1] = 99;
    expect(Array.from(cpu.readSync(b))).toEqual([1, 2, 3]);
    expect(Array.from(await cpu.read(b))).toEqual([1, 2, 3]);
    expect(cpu.read(b)).toBeInstanceOf(Promise);
    const flags = cpu.allocate('bool', 3);
    cpu.write(flags, Uint8Array.from([0, 7, 1]));
    expect(Array.from(cpu.readSync(flags))).toEqual([0, 1, 1]);
    expect(cpu.readSync(cpu.allocate('int32', 2))).toBeInstanceOf(Int32Array);
    cpu.free(b);
    expect(cpu.stats).toEqual({ allocations: 3, frees: 1 });
  });

  it('reports misuse of buffers', async () => {
    const cpu = new CpuBackend();
    const b = cpu.allocate('float32', 3);
    expect(() => cpu.allocate('float16' as 'float32', 3)).toThrow("cpu backend: cannot allocate dtype 'float16': supported dtypes are float32, float64, int32, bool");
    expect(() => cpu.allocate('float32', -1)).toThrow('cpu backend: cannot allocate -1 elements: sizes are integers from 0 to 2147483647');
    expect(() => cpu.write(b, Float64Array.from([1, 2, 3]))).toThrow('cpu backend: write: the buffer is float32[3], got float64[3]');
    expect(() => cpu.write(b, Float32Array.from([1, 2]))).toThrow('cpu backend: write: the buffer is float32[3], got float32[2]');
    expect(() => cpu.write(b, [1, 2, 3] as unknown as Float32Array)).toThrow('cpu backend: write: the buffer is float32[3], got a Array');
    expect(() => new CpuBackend().readSync(b)).toThrow('cpu backend: read: the buffer was not allocated by this cpu backend, or was freed');
    cpu.free(b);
    expect(() => cpu.free(b)).toThrow('cpu backend: free: the buffer was not allocated by this cpu backend, or was freed');
    await expect(cpu.read(b)).rejects.toThrow('cpu backend: read: the buffer was not allocated by this cpu backend, or was freed');
    cpu.dispose();
    expect(() => cpu.allocate('float32', 1)).toThrow('cpu backend: the backend was disposed');
  });
});

describe('CpuBackend.compile', () => {
  it('runs a program on its buffer table', () => {
    const cpu = new CpuBackend();
    const bufs = [cpu.allocate('float32', 3), cpu.allocate('float32', 3)];
    cpu.write(bufs[0]!, Float32Array.from([1, 2, 3]));
    const exe = cpu.compile(program, { precision: 'fp32' });
    expect(exe.ready).toBeUndefined();
    exe.run(bufs);
    expect(Array.from(cpu.readSync(bufs[1]!))).toEqual([2, 3, 4]);
  });

  it('lists every unsupported kernel, dtype and option in one error before compiling anything', () => {
    const cpu = new CpuBackend();
    const bad: Program = {
      buffers: [...program.buffers, { id: 2, dtype: 'float16' as 'float32', size: 4, role: 'temp' }],
      kernels: [
        { kind: 'fft', label: 'fft(x)' } as unknown as Kernel,
        add1,
        { ...add1, exprs: [] },
        { kind: 'conv2d', label: 'conv(x, w)' } as unknown as Kernel,
      ],
    };
    expect(() => cpu.compile(bad, { precision: 'tf32' })).toThrow(
      "cpu backend cannot compile this program:\n" +
      "  precision 'tf32' is not supported (supported: fp32)\n" +
      "  kernel 0 (fft 'fft(x)'): kind 'fft' is not supported\n" +
      "  kernel 3 (conv2d 'conv(x, w)'): kind 'conv2d' is not supported\n" +
      "  buffer 2: dtype 'float16' is not supported\n" +
      '(supported kernels: elementwise, reduce, matmul, gather, take, scatterAdd, oneHot, softmaxCrossEntropy, random, softmax; dtypes: float32, float64, int32, bool)',
    );
  });

  it('names the kernel (index, kind, label) of a malformed kernel', () => {
    const cpu = new CpuBackend();
    const p: Program = { ...program, kernels: [add1, { ...add1, outputs: [contiguous(1, [3], 1)], label: 'shifted' }] };
    expect(() => cpu.compile(p, { precision: 'fp32' })).toThrow("cpu backend: kernel 1 (elementwise 'shifted'): output 0 reaches element 3 of buffer 1, which has 3 elements");
  });

  it('checks the buffers of every run', () => {
    const cpu = new CpuBackend();
    const exe = cpu.compile(program, { precision: 'fp32' });
    const a = cpu.allocate('float32', 3);
    expect(() => exe.run([a])).toThrow('cpu backend: run() got no buffer for buffer 1 (output, float32[3])');
    expect(() => exe.run([a, cpu.allocate('int32', 3)])).toThrow('cpu backend: buffer 1 is int32[3], the program needs float32[3]');
    expect(() => exe.run([a, new CpuBackend().allocate('float32', 3)])).toThrow('cpu backend: buffer 1 was not allocated by this cpu backend (or was freed)');
    exe.dispose();
    expect(() => exe.run([a, a])).toThrow('cpu backend: this executable was disposed');
  });
});

describe('registration', () => {
  it("registers 'cpu' with priority 10 on import, idempotently", async () => {
    registerCpuBackend();
    registerCpuBackend();
    const entry = (await listBackends()).find((b) => b.name === 'cpu');
    expect(entry).toEqual({ name: 'cpu', priority: 10, available: true });
    expect(await getBackend('cpu')).toBeInstanceOf(CpuBackend);
    expect(cpuBackendFactory.availability()).toEqual({ ok: true });
  });
});
