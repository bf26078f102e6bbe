import { describe, expect, it } from 'vitest';
import { listBackends, programAliasingProblems, sx, type Program } from '@symgrad/core';
import { createGpujsBackendFactory, GpujsBackend, registerGpujsBackend } from './backend.js';
import { GPUJS_KERNEL_KINDS } from './codegen/generate.js';
import { describeMode, loadGpu, type GpuLike } from './runtime/gpu-loader.js';
import type { TextureLike } from './runtime/textures.js';
import { FAKE_TEXTURE_DEVICE, fakeTextureGpu, fakeTextureGpuOverCpu } from './testing-fixtures/fake-texture-gpu.js';
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

  it("passes the factory's options to the backends it creates", async () => {
    const inTextures = (await createGpujsBackendFactory(undefined, { textures: true }).create()) as GpujsBackend;
    const onHost = (await createGpujsBackendFactory(undefined, { textures: false }).create()) as GpujsBackend;
    expect([inTextures.textureMode, onHost.textureMode]).toEqual([true, false]);
    // Fusion stays within WebGL2's 16 texture units in texture mode; host arrays have no such limit.
    expect([inTextures.capabilities.maxKernelBuffers, onHost.capabilities.maxKernelBuffers]).toEqual([16, undefined]);
    inTextures.dispose();
    onHost.dispose();
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

  it('rejects buffers past exact float indexing and unknown kernel kinds at compile', async () => {
    const b = await GpujsBackend.create();
    const program = {
      buffers: [{ id: 0, dtype: 'float32', size: 2 ** 24 + 1, role: 'temp' }],
      kernels: [{ kind: 'conv2d', label: 'conv' }],
    } as unknown as Program;
    expect(() => b.compile(program, { precision: 'fp32' })).toThrow([
      'gpujs backend cannot run this program:',
      '  buffer 0 has 16777217 elements, more than the 16777216 gpu.js kernels index exactly',
      `  kernel 0 ('conv') has unknown kind 'conv2d' (supported: ${GPUJS_KERNEL_KINDS.join(', ')})`,
    ].join('\n'));
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
    await check(new GpujsBackend((await fakeTextureGpuOverCpu()).gpu, FAKE_TEXTURE_DEVICE, { textures: true }));
  });
});

describe('mode names', () => {
  it('recognises the kernel class even when a bundler renamed it', () => {
    class Minified {}
    expect(describeMode({ Kernel: Minified, mode: 'gpu', createKernel: () => { throw new Error('unused'); } }, { WebGL2Kernel: Minified })).toBe('gpu.js (WebGL2)');
    expect(describeMode({ Kernel: Minified, mode: 'gpu', createKernel: () => { throw new Error('unused'); } }, {})).toBe('gpu.js (gpu)');
  });
});

describe('error messages', () => {
  const double: Program = {
    buffers: [{ id: 0, dtype: 'float32', size: 5, role: 'input' }, { id: 1, dtype: 'float32', size: 5, role: 'output' }],
    kernels: [{
      kind: 'elementwise', label: 'double', shape: [5], inputs: [{ buffer: 0, offset: 0, shape: [5], strides: [1] }],
      outputs: [{ buffer: 1, offset: 0, shape: [5], strides: [1] }], exprs: [sx.binary('mul', sx.input(0, 'float32'), sx.const(2, 'float32'), 'float32')],
    }],
  };
  const UPLOAD_SOURCE = 'function (a) {\n  return a[this.thread.x];\n}';
  /** A GPU whose kernels (those `fails` picks) throw as a lost WebGL context would; the others run on `gpu`. */
  const failing = (gpu: GpuLike, fails: (source: string) => boolean): GpuLike => ({
    mode: gpu.mode,
    createKernel(source, settings) {
      const inner = gpu.createKernel(source, settings);
      if (!fails(source)) return inner;
      const k = Object.assign(() => { throw new Error('CONTEXT_LOST_WEBGL'); }, { setOutput: () => k, destroy: () => inner.destroy?.() });
      return k;
    },
  });
  const real = async (): Promise<GpuLike> => {
    const p = await loadGpu();
    if (!p.ok) throw new Error(p.reason);
    return p.gpu;
  };
  const setUp = (b: GpujsBackend) => {
    const bufs = [b.allocate('float32', 5), b.allocate('float32', 5)];
    b.write(bufs[0]!, Float32Array.of(1, 2, 3, 4, 5));
    return bufs;
  };

  it('a disposed backend says so on every call', async () => {
    const b = await GpujsBackend.create();
    const x = b.allocate('float32', 2);
    b.dispose();
    expect(() => b.allocate('float32', 2)).toThrow('gpujs backend: the backend was disposed');
    await expect(b.read(x)).rejects.toThrow('gpujs backend: the backend was disposed');
    expect(() => b.write(x, new Float32Array(2))).toThrow('gpujs backend: the backend was disposed');
    expect(() => b.compile(double, { precision: 'fp32' })).toThrow('gpujs backend: the backend was disposed');
  });

  it('names the size, dtype and limit of a refused allocation or write', async () => {
    const b = await GpujsBackend.create();
    expect(() => b.allocate('float32', 2 ** 24 + 1)).toThrow('gpujs backend: cannot allocate 16777217 elements of float32: at most 16777216 elements per buffer');
    expect(() => b.allocate('int32', -1)).toThrow('gpujs backend: cannot allocate -1 elements of int32: at most 16777216 elements per buffer');
    const x = b.allocate('int32', 3);
    expect(() => b.write(x, Int32Array.of(1, 2))).toThrow('gpujs backend: write: the buffer is int32[3], got 2 elements');
    b.dispose();
  });

  for (const textures of [false, true]) {
    const mode = textures ? 'texture mode' : 'host-array mode';
    const make = async (gpu?: GpuLike) => {
      const g = gpu ?? await real();
      return new GpujsBackend(textures ? fakeTextureGpu(g).gpu : g, 'gpu.js (test)', { textures });
    };

    it(`${mode}: a run names the launch and buffer that is missing or freed, and refuses a disposed executable`, async () => {
      const b = await make();
      const bufs = setUp(b);
      const exe = b.compile(double, { precision: 'fp32' });
      expect(() => exe.run(bufs.slice(0, 1))).toThrow("gpujs backend: launch 0 ('double [output 0]'): buffer 1 is missing, freed, or not from this backend");
      b.free(bufs[0]!);
      expect(() => exe.run(bufs)).toThrow("gpujs backend: launch 0 ('double [output 0]'): buffer 0 is missing, freed, or not from this backend");
      exe.dispose();
      expect(() => exe.run(bufs)).toThrow('gpujs backend: run() on a disposed executable');
      b.dispose();
    });

    it(`${mode}: a failing gpu.js kernel is an error naming the kernel, the cause and the source`, async () => {
      const b = await make(failing(await real(), (s) => s !== UPLOAD_SOURCE));
      const bufs = setUp(b);
      const exe = b.compile(double, { precision: 'fp32' });
      expect(() => exe.run(bufs)).toThrow(/^gpujs backend: launch 0 \('double \[output 0\]'\) failed: CONTEXT_LOST_WEBGL\nfunction \(b0\) \{/);
      b.dispose();
    });
  }

  it('texture mode: a failed upload names the buffer, and a short read-back is an error, not wrong values', async () => {
    const up = new GpujsBackend(failing(await real(), () => true), 'gpu.js (test)', { textures: true });
    const bufs = setUp(up);
    expect(() => up.compile(double, { precision: 'fp32' }).run(bufs)).toThrow('gpujs backend: uploading the float32[5] buffer failed: CONTEXT_LOST_WEBGL');
    up.dispose();

    // Kernel results whose textures read back fewer values than the buffer holds.
    const { gpu } = fakeTextureGpu(await real());
    const short: GpuLike = {
      mode: gpu.mode,
      createKernel(source, settings) {
        const inner = gpu.createKernel(source, settings);
        if (source === UPLOAD_SOURCE) return inner;
        return Object.assign((...args: unknown[]) => {
          const t = inner(...args) as TextureLike;
          const all = t.toArray.bind(t);
          t.toArray = () => Array.from(all()).slice(0, 2);
          // Read-backs go through a packing kernel's raw texels (textures.ts): short those too.
          const raw = t.renderRawOutput?.bind(t);
          if (raw) t.renderRawOutput = () => Array.from(raw()).slice(0, 2);
          return t;
        }, { setOutput: inner.setOutput, destroy: inner.destroy });
      },
    };
    const b = new GpujsBackend(short, 'gpu.js (test)', { textures: true });
    const out = setUp(b);
    b.compile(double, { precision: 'fp32' }).run(out);
    await expect(b.read(out[1]!)).rejects.toThrow('gpujs backend: reading the float32[5] buffer: its texture holds only 2 values');
    b.dispose();
  });
});
