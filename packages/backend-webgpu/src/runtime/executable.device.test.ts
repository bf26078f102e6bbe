import { describe, expect, it } from 'vitest';
import { fn, sx, type DeviceBuffer, type Program } from '@symgrad/core';
import { buildSeedStep, relativeError, TestRandom } from '@symgrad/core/testing';
import { WebGPUBackend } from '../backend.js';
import { deviceTests } from '../testing-fixtures/device.js';
import type { DeviceContext } from './device.js';
import { WebGPUExecutable } from './executable.js';
import { OrderedQueue } from './ordered-queue.js';
import '../index.js';

// Profile runs on the device's clock (timestamp queries; SwiftShader has them): one compute
// pass per kernel, timed by the pass's own timestamps, computing what a normal run computes.
const deviceIt = deviceTests();

/** One seed step (sizes 29 → 23 → 17 → 10, 13 rows) from fixed weights, with or without profiling. */
async function seedStep(profile: boolean) {
  const rng = new TestRandom(5);
  const s = buildSeedStep(rng, [29, 23, 17, 10], 0.1);
  const X = rng.array([13, 29]);
  const Y = rng.array([13], 'int32', 0, 9);
  const train = fn([s.x, s.y], s.loss, { updates: s.updates, backend: 'webgpu', profile });
  const losses = [(await train(X, Y)).item(), (await train(X, Y)).item()];
  const weights = await Promise.all(s.weights.map((w) => w.read()));
  return { train, losses, weights, dispose: () => { train.dispose(); s.weights.forEach((w) => w.dispose()); } };
}

describe('runTimed (profile mode on the device clock)', () => {
  deviceIt('times every kernel of the seed step, and the profiled steps compute what plain ones do', async () => {
    const plain = await seedStep(false);
    const timed = await seedStep(true);
    try {
      const p = timed.train.profile();
      expect(p.clock).toBe('device');
      expect(p.kernels).toHaveLength(timed.train.program!.kernels.length);
      // A tiny kernel may take less than the clock's resolution (0 ms); the products cannot.
      const kinds = timed.train.program!.kernels.map((k) => k.kind);
      p.kernels.forEach((k, i) => {
        expect(k.calls, k.label).toBe(2);
        expect(Number.isFinite(k.totalMs) && k.totalMs >= 0, `${k.label}: ${k.totalMs} ms`).toBe(true);
        if (kinds[i] === 'matmul') expect(k.totalMs, k.label).toBeGreaterThan(0);
      });
      expect(kinds.filter((k) => k === 'matmul').length).toBeGreaterThanOrEqual(5);
      // Full resolution: Dawn would otherwise round every timestamp down to a multiple of 65,536 ns.
      expect(p.kernels.some((k) => Math.round(k.totalMs * 1e6) % 65536 !== 0), p.kernels.map((k) => k.totalMs).join(', ')).toBe(true);
      expect(p.table).toContain("times from the device's clock");
      expect(relativeError(timed.losses, plain.losses)).toBeLessThanOrEqual(1e-6);
      timed.weights.forEach((w, i) => expect(relativeError(w.data, plain.weights[i]!.data), `w${i + 1}`).toBeLessThanOrEqual(1e-6));
    } finally {
      plain.dispose();
      timed.dispose();
    }
  });

  deviceIt('is ordered after earlier writes, and refuses a disposed executable', async (b) => {
    const program: Program = {
      buffers: [{ id: 0, dtype: 'float32', size: 5, role: 'input' }, { id: 1, dtype: 'float32', size: 5, role: 'output' }],
      kernels: [{
        kind: 'elementwise', label: 'double', shape: [5],
        inputs: [{ buffer: 0, offset: 0, shape: [5], strides: [1] }],
        outputs: [{ buffer: 1, offset: 0, shape: [5], strides: [1] }],
        exprs: [sx.binary('mul', sx.input(0, 'float32'), sx.const(2, 'float32'), 'float32')],
      }],
    };
    const bufs: DeviceBuffer[] = [b.allocate('float32', 5), b.allocate('float32', 5)];
    const exe = b.compile(program, { precision: 'fp32' });
    b.write(bufs[0]!, Float32Array.of(1, 2, 3, 4, 5));
    const ms = await exe.runTimed!(bufs);
    expect(ms).toHaveLength(1);
    expect(ms[0]).toBeGreaterThan(0);
    expect(Array.from(await b.read(bufs[1]!))).toEqual([2, 4, 6, 8, 10]);
    exe.dispose();
    await expect(exe.runTimed!(bufs)).rejects.toThrow('webgpu backend: runTimed() on a disposed executable');
    bufs.forEach((x) => b.free(x));
  });
});

describe('split-K launches', () => {
  const split = deviceTests(() => WebGPUBackend.create({ matmulConfig: () => ({ tileM: 32, tileN: 32, tileK: 8, threadM: 2, threadN: 2, splitK: 3 }) }));
  split('bind the executable\'s scratch memory, count as one Program kernel in runTimed, and give the product', async (b) => {
    const m = 9, n = 11, k = 40;
    const program: Program = {
      buffers: [
        { id: 0, dtype: 'float32', size: m * k, role: 'input' }, { id: 1, dtype: 'float32', size: k * n, role: 'input' },
        { id: 2, dtype: 'float32', size: m * n, role: 'output' },
      ],
      kernels: [{
        kind: 'matmul', batch: [], m, n, k, transA: false, transB: false, alpha: 1, beta: 0, dtype: 'float32', label: 'mm',
        a: { buffer: 0, offset: 0, shape: [m, k], strides: [k, 1] }, b: { buffer: 1, offset: 0, shape: [k, n], strides: [n, 1] },
        out: { buffer: 2, offset: 0, shape: [m, n], strides: [n, 1] },
      }],
    };
    const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 13) - 6);
    const bb = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) - 5);
    const bufs = [b.allocate('float32', m * k), b.allocate('float32', k * n), b.allocate('float32', m * n)];
    b.write(bufs[0]!, a);
    b.write(bufs[1]!, bb);
    const exe = b.compile(program, { precision: 'fp32' }) as WebGPUExecutable;
    expect(exe.sources).toHaveLength(2);
    const ms = await exe.runTimed!(bufs);
    expect(ms).toHaveLength(1);
    expect(ms[0]).toBeGreaterThan(0);
    const got = await b.read(bufs[2]!);
    // Small integers: every partial sum is exact in float32.
    const want = Array.from({ length: m * n }, (_, i) => {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[Math.floor(i / n) * k + p]! * bb[p * n + (i % n)]!;
      return s;
    });
    expect(Array.from(got)).toEqual(want);
    exe.dispose();
    bufs.forEach((x) => b.free(x));
  });
});

it('an executable on a device without timestamp queries has no runTimed (profile mode then uses the host clock)', () => {
  const ctx = { timestamps: false, prepare: () => ({ pipeline: new Promise(() => {}) }) } as unknown as DeviceContext;
  const exe = new WebGPUExecutable(ctx, new OrderedQueue(), [], (x): x is never => false);
  expect(exe.runTimed).toBeUndefined();
  expect(new WebGPUExecutable({ ...ctx, timestamps: true } as unknown as DeviceContext, new OrderedQueue(), [], (x): x is never => false).runTimed).toBeTypeOf('function');
});

describe('failures reported with the kernel and the cause (a stand-in device context)', () => {
  const kernel = { code: 'fn main() {}', bindings: [], dispatch: [1, 1, 1] as const, label: 'scale' };

  it('a pipeline the device refuses fails `ready`, naming the kernel, with the compiler messages', async () => {
    const ctx = {
      timestamps: false,
      prepare: () => ({ module: {}, pipeline: Promise.reject(new Error('pipeline creation failed')) }),
      compilationMessages: () => Promise.resolve('error at 3:7: unresolved identifier'),
    } as unknown as DeviceContext;
    const exe = new WebGPUExecutable(ctx, new OrderedQueue(), [kernel], (x): x is never => false);
    await expect(exe.ready).rejects.toThrow("webgpu backend: kernel 0 ('scale') failed to compile: pipeline creation failed\nerror at 3:7: unresolved identifier");
  });

  it('a failed timestamp read in runTimed names the cause', async () => {
    const ctx = {
      timestamps: true,
      check: () => {},
      prepare: () => ({ module: {}, pipeline: Promise.resolve({}), resolved: {} }),
      device: { createQuerySet: () => { throw new Error('query set allocation failed'); } },
    } as unknown as DeviceContext;
    const exe = new WebGPUExecutable(ctx, new OrderedQueue(), [kernel], (x): x is never => false);
    await expect(exe.runTimed!([])).rejects.toThrow("webgpu backend: reading the kernels' timestamps failed: query set allocation failed");
  });
});
