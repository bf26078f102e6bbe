import { describe, expect } from 'vitest';
import { allocTyped, fn, registerBackend, sx, T, unregisterBackend, type Kernel, type NDArray, type Program, type View } from '@symgrad/core';
import { interpretProgram, relativeError, TestRandom } from '@symgrad/core/testing';
import { WebGPUBackend } from './backend.js';
import { deviceTests } from './testing-fixtures/device.js';

// The runtime on the device (SwiftShader in CI): buffers, ordering, limits, failures, and
// each kernel kind against core's float64 Program interpreter on random small shapes.
const deviceIt = deviceTests();

const view = (buffer: number, shape: number[], offset = 0): View => ({
  buffer, offset, shape, strides: shape.map((_, d) => shape.slice(d + 1).reduce((a, c) => a * c, 1)),
});

/** Runs a Program on the device and through the reference interpreter; returns the worst relative error per buffer. */
async function runBoth(b: WebGPUBackend, program: Program, init: Float64Array[], patch?: (want: Float64Array[]) => void): Promise<number[]> {
  const want = init.map((d) => d.slice());
  interpretProgram(program, want);
  patch?.(want);
  const bufs = program.buffers.map((s, i) => {
    const buf = b.allocate(s.dtype, s.size);
    const a = allocTyped(s.dtype, s.size);
    a.set(init[i]!);
    b.write(buf, a);
    return buf;
  });
  const exe = b.compile(program, { precision: 'fp32' });
  exe.run(bufs);
  const got = await Promise.all(bufs.map((x) => b.read(x)));
  exe.dispose();
  bufs.forEach((x) => b.free(x));
  return got.map((g, i) => relativeError(g, want[i]!));
}

function randomInit(rng: TestRandom, program: Program, lo = -1, hi = 1): Float64Array[] {
  return program.buffers.map((s) => Float64Array.from({ length: s.size }, () => (s.dtype === 'int32' ? rng.int(lo, hi) : Math.fround(rng.uniform(lo, hi)))));
}

describe('buffers', () => {
  deviceIt('write and read every dtype (bool as 0/1), including an empty buffer', async (b) => {
    const f = b.allocate('float32', 3);
    const i = b.allocate('int32', 3);
    const z = b.allocate('bool', 4);
    const e = b.allocate('float32', 0);
    b.write(f, Float32Array.of(1.5, -2, NaN));
    b.write(i, Int32Array.of(-2147483648, 0, 7));
    b.write(z, Uint8Array.of(0, 1, 2, 0));
    b.write(e, new Float32Array(0));
    expect(Array.from(await b.read(f))).toEqual([1.5, -2, NaN]);
    expect(Array.from(await b.read(i))).toEqual([-2147483648, 0, 7]);
    expect(await b.read(z)).toEqual(Uint8Array.of(0, 1, 1, 0));
    expect((await b.read(e)).length).toBe(0);
    expect(() => b.write(f, Int32Array.of(1, 2, 3))).toThrow('webgpu backend: write: the buffer is float32[3], got int32[3]');
    [f, i, z, e].forEach((x) => b.free(x));
    expect(() => b.free(f)).toThrow('was not allocated by this webgpu backend, or was freed');
  });

  deviceIt('refuses a buffer over the device limit and float64, with the reason', async (b) => {
    expect(() => b.allocate('float32', b.capabilities.maxBufferElements + 1)).toThrow(/cannot allocate \d+ elements of float32: this device binds at most \d+ elements per buffer/);
    expect(() => b.allocate('float64', 4)).toThrow("webgpu backend: cannot allocate dtype 'float64': supported dtypes are float32, int32, bool");
  });

  deviceIt('a failed read-back names the buffer and the cause, and the backend goes on', async (b) => {
    const x = b.allocate('int32', 3);
    b.write(x, Int32Array.of(4, 5, 6));
    // The staging buffer's mapping fails, as it does when the driver aborts it.
    const pool = (b as unknown as { staging: { take(n: number): GPUBuffer } }).staging;
    const take = pool.take;
    pool.take = (n) => Object.assign(take.call(pool, n), { mapAsync: () => Promise.reject(new Error('mapping aborted')) });
    try {
      await expect(b.read(x)).rejects.toThrow('webgpu backend: reading the int32[3] buffer failed: mapping aborted');
    } finally {
      pool.take = take;
    }
    expect(Array.from(await b.read(x))).toEqual([4, 5, 6]);
    b.free(x);
  });

  deviceIt('freed buffers are reused: a steady state allocates nothing new on the device', async (b) => {
    const x = b.allocate('float32', 1000);
    const gpu = x.gpu;
    b.free(x);
    const y = b.allocate('float32', 1000);
    await b.read(y);
    expect(y.gpu).toBe(gpu);
    b.free(y);
  });
});

describe('kernels against the float64 interpreter', () => {
  deviceIt('matmul: odd shapes, transposes, alpha/beta, broadcast batches, epilogue', async (b) => {
    const rng = new TestRandom(5);
    for (const [m, n, k, batch, transA, transB] of [[1, 1, 1, [], false, false], [65, 63, 17, [], false, true], [130, 70, 100, [], true, false], [7, 129, 33, [3], true, true], [5, 6, 0, [2], false, false]] as const) {
      const bs = batch.reduce((a, c) => a * c, 1);
      const aShape = transA ? [k, m] : [m, k];
      const bShape = transB ? [n, k] : [k, n];
      const program: Program = {
        buffers: [
          { id: 0, dtype: 'float32', size: bs * m * k, role: 'input' }, { id: 1, dtype: 'float32', size: n * k, role: 'input' },
          { id: 2, dtype: 'float32', size: bs * m * n, role: 'output' }, { id: 3, dtype: 'float32', size: n, role: 'input' },
        ],
        kernels: [{
          kind: 'matmul', batch: [...batch], m, n, k, transA, transB, alpha: 0.75, beta: -0.5, dtype: 'float32', label: 'mm',
          a: { ...view(0, [...batch, ...aShape]) }, b: { buffer: 1, offset: 0, shape: [...batch, ...bShape], strides: [...batch.map(() => 0), ...view(1, bShape).strides] },
          out: view(2, [...batch, m, n]),
          epilogue: { expr: sx.unary('tanh', sx.binary('add', sx.input(0, 'float32'), sx.input(1, 'float32'), 'float32')), inputs: [{ buffer: 3, offset: 0, shape: [...batch, m, n], strides: [...batch.map(() => 0), 0, 1] }] },
        }],
      };
      const errs = await runBoth(b, program, randomInit(rng, program));
      expect(Math.max(...errs), `matmul ${m}×${n}×${k} batch [${batch}] ${transA}/${transB}`).toBeLessThan(2e-5);
    }
  });

  deviceIt('reduce over a long axis (workgroup tree): sum, max, min, argmax with NaN and ties, int32 sum, bool any', async (b) => {
    const rng = new TestRandom(9);
    const [rows, len] = [5, 1000];
    const x: View = { buffer: 0, offset: 0, shape: [len, rows], strides: [1, len] }; // reduce axis 0, strided
    const ops = ['sum', 'max', 'min', 'argmax'] as const;
    const kernels: Kernel[] = ops.map((op, i) => ({
      kind: 'reduce', op, shape: [len, rows], axes: [0], inputs: [x], prologue: sx.input(0, 'float32'), output: view(1 + i, [rows]), label: op,
      ...(op === 'sum' ? { epilogue: sx.binary('mul', sx.input(0, 'float32'), sx.const(0.5, 'float32'), 'float32') } : {}),
    }));
    kernels.push({ kind: 'reduce', op: 'sum', shape: [rows, len], axes: [1], inputs: [view(5, [rows, len])], prologue: sx.input(0, 'int32'), output: view(6, [rows]), label: 'isum' });
    kernels.push({ kind: 'reduce', op: 'sum', shape: [rows, len], axes: [1], inputs: [view(5, [rows, len])], prologue: sx.binary('gt', sx.input(0, 'int32'), sx.const(2, 'int32'), 'bool'), output: view(7, [rows]), label: 'any' });
    const program: Program = {
      buffers: [
        { id: 0, dtype: 'float32', size: rows * len, role: 'input' },
        ...ops.map((op, i) => ({ id: 1 + i, dtype: op === 'argmax' ? 'int32' as const : 'float32' as const, size: rows, role: 'output' as const })),
        { id: 5, dtype: 'int32', size: rows * len, role: 'input' }, { id: 6, dtype: 'int32', size: rows, role: 'output' }, { id: 7, dtype: 'bool', size: rows, role: 'output' },
      ],
      kernels,
    };
    const init = randomInit(rng, program, -3, 3);
    init[0]![3] = 10; init[0]![700] = 10; // a tie in row 0: the first index wins
    init[0]![len + 5] = NaN; // NaN in row 1: it is the max and the min
    init[0]![2 * len + 999] = 50;
    // The reference interpreter's min lets the element after a NaN replace it; Math.min (and
    // this backend, as max does in both) propagates NaN.
    const errs = await runBoth(b, program, init, (want) => { want[3]![1] = NaN; });
    expect(errs[1]).toBeLessThan(1e-6); // a float32 tree sum against the float64 sum
    expect(errs.filter((_, i) => i !== 1)).toEqual(errs.map(() => 0).slice(1));
  });

  deviceIt('softmax cross-entropy (loss and gradient) and gather/oneHot with labels out of range', async (b) => {
    const rng = new TestRandom(3);
    const [rows, classes] = [9, 300];
    const program: Program = {
      buffers: [
        { id: 0, dtype: 'float32', size: rows * classes, role: 'input' }, { id: 1, dtype: 'int32', size: rows, role: 'input' },
        { id: 2, dtype: 'float32', size: rows, role: 'output' }, { id: 3, dtype: 'float32', size: rows * classes, role: 'output' },
        { id: 4, dtype: 'float32', size: rows, role: 'input' }, { id: 5, dtype: 'float32', size: rows, role: 'output' }, { id: 6, dtype: 'int32', size: rows * classes, role: 'output' },
      ],
      kernels: [
        { kind: 'softmaxCrossEntropy', logits: view(0, [rows, classes]), labels: view(1, [rows]), loss: view(2, [rows]), grad: { output: view(3, [rows, classes]), scale: view(4, [rows]) }, dtype: 'float32', label: 'sce' },
        { kind: 'gather', input: view(0, [rows, classes]), indices: view(1, [rows]), output: view(5, [rows]), label: 'gather' },
        { kind: 'oneHot', indices: view(1, [rows]), depth: classes, output: view(6, [rows, classes]), dtype: 'int32', label: 'oneHot' },
      ],
    };
    const init = randomInit(rng, program, -20, 20);
    init[1] = Float64Array.from({ length: rows }, (_, r) => (r === 2 ? -1 : r === 4 ? classes : rng.int(0, classes - 1)));
    const errs = await runBoth(b, program, init);
    expect(Math.max(...errs)).toBeLessThan(1e-5);
  });

  deviceIt('a launch over maxComputeWorkgroupsPerDimension splits into a 2-D grid (limits lowered to force it)', async () => {
    const small = await WebGPUBackend.create({ limits: { maxComputeWorkgroupsPerDimension: 3 } });
    try {
      const rng = new TestRandom(4);
      const [rows, cols] = [7, 300];
      const program: Program = {
        buffers: [{ id: 0, dtype: 'float32', size: rows * cols, role: 'input' }, { id: 1, dtype: 'float32', size: rows * cols, role: 'output' }, { id: 2, dtype: 'float32', size: rows, role: 'output' }, { id: 3, dtype: 'int32', size: rows, role: 'input' }, { id: 4, dtype: 'float32', size: rows, role: 'output' }],
        kernels: [
          { kind: 'elementwise', shape: [rows, cols], inputs: [view(0, [rows, cols])], outputs: [view(1, [rows, cols])], exprs: [sx.unary('exp', sx.input(0, 'float32'))], label: 'exp' },
          { kind: 'reduce', op: 'max', shape: [rows, cols], axes: [1], inputs: [view(0, [rows, cols])], prologue: sx.input(0, 'float32'), output: view(2, [rows]), label: 'max' },
          { kind: 'softmaxCrossEntropy', logits: view(0, [rows, cols]), labels: view(3, [rows]), loss: view(4, [rows]), dtype: 'float32', label: 'sce' },
        ],
      };
      const init = randomInit(rng, program);
      init[3] = Float64Array.from({ length: rows }, () => rng.int(0, cols - 1));
      const errs = await runBoth(small, program, init);
      expect(Math.max(...errs)).toBeLessThan(1e-6);
    } finally {
      small.dispose();
    }
  });
});

describe('fusion within the device\'s bindings', () => {
  deviceIt('fused kernels bind at most maxStorageBuffersPerShaderStage buffers (limits lowered to 4 to force it)', async (b) => {
    expect(b.capabilities.maxKernelBuffers).toBeGreaterThanOrEqual(8); // WebGPU guarantees 8
    const small = await WebGPUBackend.create({ limits: { maxStorageBuffersPerShaderStage: 4 } });
    expect(small.capabilities.maxKernelBuffers).toBe(4);
    registerBackend('webgpu-4-buffers', { availability: () => ({ ok: true }), create: () => small });
    try {
      // Nine inputs summed and each doubled (ten outputs): unlimited fusion would make one
      // kernel of 19 buffers; here every kernel stays within 4.
      const rng = new TestRandom(9);
      const xs = Array.from({ length: 9 }, (_, i) => T.vector(`x${i}`));
      const outs = [xs.reduce((a, x) => T.add(a, x)), ...xs.map((x) => T.mul(x, 2))];
      const f = fn(xs, outs, { backend: 'webgpu-4-buffers' });
      const data = xs.map(() => rng.array([37], 'float32', -1, 1));
      const got = (await f(...data)) as NDArray[];
      expect(f.stats().kernels).toBeGreaterThan(1);
      const sum = Float64Array.from({ length: 37 }, (_, j) => data.reduce((a, d) => a + d.data[j]!, 0));
      expect(relativeError(got[0]!.data, sum)).toBeLessThan(1e-6);
      data.forEach((d, i) => expect(Array.from(got[i + 1]!.data)).toEqual(Array.from(d.data, (v) => 2 * v)));
      f.dispose();
    } finally {
      unregisterBackend('webgpu-4-buffers');
    }
  });
});

describe('ordering and failures', () => {
  deviceIt('compile refuses a program it cannot run, listing every problem and what is supported', async (b) => {
    const program: Program = {
      buffers: [{ id: 0, dtype: 'float64', size: 4, role: 'input' }, { id: 1, dtype: 'float32', size: 4, role: 'output' }],
      kernels: [{ kind: 'elementwise', shape: [4], inputs: [view(0, [4])], outputs: [view(1, [4])], exprs: [sx.unary('cast', sx.input(0, 'float64'), 'float32')], label: 'narrow' }],
    };
    let message = '';
    try {
      b.compile(program, { precision: 'tf32' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'webgpu backend cannot compile this program:',
      "  precision 'tf32' is not supported (supported: fp32)",
      "  buffer 0: dtype 'float64' is not supported (WGSL has no 64-bit floats)",
      "  kernel 0 (elementwise 'narrow'): webgpu codegen: dtype 'float64' has no WGSL representation (supported: float32, int32, bool)",
      `(supported kernels: ${b.capabilities.kernels.join(', ')}; dtypes: float32, int32, bool)`,
    ]);
  });


  deviceIt('run before ready, then write, run and read: the device sees the calls in order', async (b) => {
    const program: Program = {
      buffers: [{ id: 0, dtype: 'float32', size: 4, role: 'input' }, { id: 1, dtype: 'float32', size: 4, role: 'output' }],
      kernels: [{ kind: 'elementwise', shape: [4], inputs: [view(0, [4]), view(1, [4])], outputs: [view(1, [4])], exprs: [sx.binary('add', sx.input(0, 'float32'), sx.input(1, 'float32'), 'float32')], label: 'acc' }],
    };
    const [x, y] = [b.allocate('float32', 4), b.allocate('float32', 4)];
    b.write(x, Float32Array.of(1, 2, 3, 4));
    b.write(y, new Float32Array(4));
    const exe = b.compile(program, { precision: 'fp32' });
    exe.run([x, y]); // before ready: deferred, in order
    const data = Float32Array.of(10, 20, 30, 40);
    b.write(x, data);
    data.fill(0); // the deferred write copied its data
    exe.run([x, y]);
    expect(Array.from(await b.read(y))).toEqual([11, 22, 33, 44]);
    exe.dispose();
    b.free(x);
    b.free(y);
  });

  deviceIt('an uncaptured device error (validation, out of memory) is an Error on the next call', async () => {
    const b = await WebGPUBackend.create();
    try {
      const device = (b as unknown as { ctx: { device: GPUDevice } }).ctx.device;
      device.createBuffer({ size: 4, usage: 0x1 | 0x80 }); // MAP_READ with STORAGE: invalid
      await new Promise((r) => setTimeout(r, 50));
      expect(() => b.allocate('float32', 1)).toThrow(/^webgpu backend: device error: Buffer usages/);
      const x = b.allocate('float32', 1); // reported once; the backend goes on
      expect(Array.from(await b.read(x))).toEqual([0]);
    } finally {
      b.dispose();
    }
  });

  deviceIt('a lost device gives clear errors, and the process goes on', async () => {
    const lost = await WebGPUBackend.create();
    const buf = lost.allocate('float32', 4);
    (lost as unknown as { ctx: { device: GPUDevice } }).ctx.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(() => lost.allocate('float32', 4)).toThrow(/webgpu backend: the device was lost \(destroyed/);
    await expect(lost.read(buf)).rejects.toThrow(/the device was lost/);
    lost.dispose();
    expect(() => lost.allocate('float32', 1)).toThrow('webgpu backend: the backend was disposed');
  });
});
