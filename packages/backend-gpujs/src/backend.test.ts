import { describe, expect, it } from 'vitest';
import { listBackends, programAliasingProblems, sx, type Program } from '@symgrad/core';
import { createGpujsBackendFactory, GpujsBackend, registerGpujsBackend } from './backend.js';
import { describeMode, loadGpu } from './runtime/gpu-loader.js';
import { fakeTextureGpu } from './testing-fixtures/fake-texture-gpu.js';
import './index.js';

describe('availability', () => {
  it('gives a reason, never a crash, when gpu.js cannot be imported', async () => {
    const f = createGpujsBackendFactory(() => loadGpu(() => Promise.reject(new Error('libwebgpu.so: GLIBCXX_3.4.32 not found'))));
    const a = await f.availability();
    expect(a).toEqual({ ok: false, reason: "gpu.js could not be imported (libwebgpu.so: GLIBCXX_3.4.32 not found): install it with 'pnpm add gpu.js'" });
    await expect(Promise.resolve(f.create())).rejects.toThrow("cannot create the 'gpujs' backend: gpu.js could not be imported");
  });

  it('gives a reason when gpu.js exports no GPU or its constructor throws', async () => {
    expect(await loadGpu(() => Promise.resolve({}))).toMatchObject({ ok: false, reason: expect.stringContaining('exports no GPU class') });
    const GPU = function () {
      throw new Error('no context');
    };
    expect(await loadGpu(() => Promise.resolve({ GPU }))).toEqual({ ok: false, reason: 'gpu.js could not create a GPU: no context' });
  });

  it('is registered as gpujs on import, idempotently, and names the mode gpu.js picked', async () => {
    registerGpujsBackend();
    const entry = (await listBackends()).find((b) => b.name === 'gpujs');
    expect(entry).toMatchObject({ name: 'gpujs', priority: 5, available: true });
    const b = await GpujsBackend.create();
    expect(b.capabilities.device).toMatch(/^gpu\.js \((webasm|cpu|WebGL2|WebGL|headless-gl|WebGPU)\)$/);
    console.log(`gpu.js mode here: ${b.capabilities.device}`);
    b.dispose();
  });
});

describe('compile and buffers', () => {
  it('rejects float64 at compile, listing every problem at once', async () => {
    const b = await GpujsBackend.create();
    const v = (buffer: number) => ({ buffer, offset: 0, shape: [2, 2], strides: [2, 1] });
    const program: Program = {
      buffers: [0, 1, 2].map((id) => ({ id, dtype: id === 1 ? 'float32' as const : 'float64' as const, size: 4, role: 'temp' as const })),
      kernels: [{ kind: 'matmul', batch: [], m: 2, n: 2, k: 2, a: v(0), b: v(1), transA: false, transB: false, alpha: 1, beta: 0, out: v(2), dtype: 'float64', label: 'dot' }],
    };
    let message = '';
    try {
      b.compile(program, { precision: 'fp32' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'gpujs backend cannot run this program:',
      '  buffer 0 has dtype float64: gpu.js computes in float32 (use the cpu backend for float64)',
      '  buffer 2 has dtype float64: gpu.js computes in float32 (use the cpu backend for float64)',
      "  kernel 0 ('dot') computes in float64: gpu.js computes in float32",
    ]);
    b.dispose();
  });

  it('round-trips float32, int32 and bool exactly, and refuses foreign or freed buffers', async () => {
    const b = await GpujsBackend.create();
    const f = b.allocate('float32', 3);
    b.write(f, Float32Array.of(1.5, -0, 3.4028234663852886e38));
    expect(Array.from(await b.read(f))).toEqual([1.5, -0, 3.4028234663852886e38]);
    const i = b.allocate('int32', 2);
    b.write(i, Int32Array.of(-16777216, 16777216));
    expect(await b.read(i)).toEqual(Int32Array.of(-16777216, 16777216));
    const m = b.allocate('bool', 2);
    b.write(m, Uint8Array.of(1, 0));
    expect(await b.readMany([m])).toEqual([Uint8Array.of(1, 0)]);
    expect(() => b.allocate('float64', 1)).toThrow("gpujs backend: cannot allocate dtype 'float64': supported dtypes are float32, int32, bool");
    b.free(f);
    await expect(b.read(f)).rejects.toThrow('not allocated by this gpujs backend, or was freed');
    expect(() => b.write({ dtype: 'float32', size: 1 }, Float32Array.of(1))).toThrow('not allocated by this gpujs backend');
    b.dispose();
  });
});

describe('in-place multi-output kernels', () => {
  // out0 = 2·x written over x while out1 = x + 1 still reads x: every output of the kernel sees
  // the inputs as they were (as one pass over the elements would), in both runtimes.
  const program: Program = {
    buffers: [{ id: 0, dtype: 'float32', size: 5, role: 'input' }, { id: 1, dtype: 'float32', size: 5, role: 'output' }],
    kernels: [{
      kind: 'elementwise', label: 'mul+add', shape: [5], inputs: [{ buffer: 0, offset: 0, shape: [5], strides: [1] }],
      outputs: [{ buffer: 0, offset: 0, shape: [5], strides: [1] }, { buffer: 1, offset: 0, shape: [5], strides: [1] }],
      exprs: [sx.binary('mul', sx.input(0, 'float32'), sx.const(2, 'float32'), 'float32'), sx.binary('add', sx.input(0, 'float32'), sx.const(1, 'float32'), 'float32')],
    }],
  };
  const check = async (b: GpujsBackend) => {
    expect(programAliasingProblems(program)).toEqual([]); // the IR allows it
    const bufs = [b.allocate('float32', 5), b.allocate('float32', 5)];
    b.write(bufs[0]!, Float32Array.of(1, 2, 3, 4, 5));
    b.compile(program, { precision: 'fp32' }).run(bufs);
    expect(Array.from(await b.read(bufs[0]!))).toEqual([2, 4, 6, 8, 10]);
    expect(Array.from(await b.read(bufs[1]!))).toEqual([2, 3, 4, 5, 6]);
    b.dispose();
  };
  it('host-array mode', async () => check(await GpujsBackend.create()));
  it('texture mode', async () => {
    const p = await loadGpu();
    if (!p.ok) throw new Error(p.reason);
    await check(new GpujsBackend(fakeTextureGpu(p.gpu).gpu, 'gpu.js (fake textures over webasm)', { textures: true }));
  });
});

describe('mode names', () => {
  it('recognises the kernel class even when a bundler renamed it', () => {
    class Minified {}
    expect(describeMode({ Kernel: Minified, mode: 'gpu', createKernel: () => { throw new Error('unused'); } }, { WebGL2Kernel: Minified })).toBe('gpu.js (WebGL2)');
    expect(describeMode({ Kernel: Minified, mode: 'gpu', createKernel: () => { throw new Error('unused'); } }, {})).toBe('gpu.js (gpu)');
  });
});
