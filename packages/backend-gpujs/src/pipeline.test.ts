import { afterAll, describe, expect, it } from 'vitest';
import { fn, getBackend, registerBackend, shared, sx, T, unregisterBackend, type Program } from '@symgrad/core';
import { runConformanceSuite } from '@symgrad/core/testing';
import { runKernelCase } from '@symgrad/core/testing/reference';
import { GpujsBackend } from './backend.js';
import { FAKE_TEXTURE_DEVICE, fakeTextureGpuOverCpu, type FakeCounters } from './testing-fixtures/fake-texture-gpu.js';
import { partialViewsCase } from './testing-fixtures/partial-views.js';
import './index.js';

// Texture (pipeline) mode in Node: gpu.js has no GPU mode here, so its kernels run on
// webasm/cpu underneath a stand-in that returns textures and enforces gpu.js's texture
// lifetime rules (testing-fixtures/fake-texture-gpu.ts). browser.test.ts runs the same
// runtime on real WebGL2 textures.
const NAME = 'gpujs-textures-test';
let counters: FakeCounters | undefined;
registerBackend(NAME, {
  availability: () => ({ ok: true }),
  async create() {
    const fake = await fakeTextureGpuOverCpu();
    counters = fake.counters;
    return new GpujsBackend(fake.gpu, FAKE_TEXTURE_DEVICE, { textures: true });
  },
}, -100);

afterAll(() => unregisterBackend(NAME));

// The whole conformance suite (op cases with views and partial outputs, update semantics,
// the seed step) through textures.
runConformanceSuite({ backend: NAME, dtypes: ['float32'], skip: [], seedStep: { sizes: [64, 48, 32, 10], rows: 37 } });

const backend = async (): Promise<GpujsBackend> => (await getBackend(NAME)) as GpujsBackend;

describe('texture pipeline', () => {
  it('keeps every intermediate of a multi-kernel program on the GPU: one host read per output', async () => {
    const b = await backend();
    expect(b.textureMode).toBe(true);
    const x = T.matrix('x');
    const w1 = shared({ data: Float32Array.from({ length: 12 * 7 }, (_, i) => Math.sin(i) * 0.3), shape: [12 * 7] }, 'w1', 'float32');
    const w2 = shared({ data: Float32Array.from({ length: 7 * 5 }, (_, i) => Math.cos(i) * 0.3), shape: [7 * 5] }, 'w2', 'float32');
    // reshape the flat values, then a 4-kernel chain: matmul → tanh → matmul → softmax-ish reduce.
    const W1 = T.reshape(w1, [12, 7]);
    const W2 = T.reshape(w2, [7, 5]);
    const h = T.tanh(T.dot(x, W1));
    const z = T.dot(h, W2);
    const out = T.sum(T.exp(z.sub(T.max(z, 1, true))), 1);
    const f = fn([x], out, { backend: NAME });
    const X = Float32Array.from({ length: 9 * 12 }, (_, i) => ((i * 37) % 11) / 11 - 0.5);
    const first = await f({ data: X, shape: [9, 12] });
    const kernels = (f.program as Program | undefined)?.kernels.length ?? 0;
    expect(kernels).toBeGreaterThanOrEqual(3);
    const before = { ...b.textureStats() };
    const c0 = { ...counters! };
    for (let r = 0; r < 3; r++) {
      const got = await f({ data: X, shape: [9, 12] });
      expect(Array.from(got.data)).toEqual(Array.from(first.data));
    }
    const s = b.textureStats();
    // Per run: the output is read once, the input is uploaded once; nothing else crosses.
    expect(s.hostReads - before.hostReads).toBe(3);
    expect(counters!.toArray - c0.toArray).toBe(3);
    expect(s.uploads - before.uploads).toBe(3);
    expect(counters!.arrayCalls - c0.arrayCalls).toBe(0);
    f.dispose();
    w1.dispose();
    w2.dispose();
  });

  it('updates shared variables from themselves in place, run after run, without host reads', async () => {
    const b = await backend();
    const n = 6;
    const x = T.matrix('x');
    const w0 = Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
    const w = shared({ data: w0, shape: [n, n] }, 'w', 'float32');
    const v = shared({ data: Float32Array.from({ length: n }, (_, i) => i), shape: [n] }, 'v', 'float32');
    // w ← w − 0.1·xᵀ(x·w) folds into a matmul accumulating into w (beta = 1), and
    // v ← 0.5·v + 1 is an elementwise kernel writing the buffer it reads.
    const g = T.dot(x.T, T.dot(x, w));
    const f = fn([x], [], { backend: NAME, updates: [[w, w.sub(g.mul(0.1))], [v, v.mul(0.5).add(1)]] });
    const X = Float32Array.from({ length: 4 * n }, (_, i) => Math.sin(i + 1) * 0.5);
    // Float64 reference of the same recurrence.
    let W = Array.from(w0);
    let V = Array.from({ length: n }, (_, i) => i);
    const runs = 5;
    const reads0 = b.textureStats().hostReads;
    for (let r = 0; r < runs; r++) {
      await f({ data: X, shape: [4, n] });
      const XW = Array.from({ length: 4 * n }, (_, idx) => {
        const i = Math.floor(idx / n), j = idx % n;
        let s = 0;
        for (let k = 0; k < n; k++) s += X[i * n + k]! * W[k * n + j]!;
        return s;
      });
      W = W.map((wv, idx) => {
        const i = Math.floor(idx / n), j = idx % n;
        let s = 0;
        for (let k = 0; k < 4; k++) s += X[k * n + i]! * XW[k * n + j]!;
        return wv - 0.1 * s;
      });
      V = V.map((vv) => 0.5 * vv + 1);
    }
    expect(b.textureStats().hostReads - reads0).toBe(0);
    const gotW = (await w.read()).data;
    const gotV = (await v.read()).data;
    for (let i = 0; i < n * n; i++) expect(gotW[i]).toBeCloseTo(W[i]!, 5);
    for (let i = 0; i < n; i++) expect(gotV[i]).toBeCloseTo(V[i]!, 5);
    // Reading twice costs one read-back per buffer: the host copy stays valid.
    const r1 = b.textureStats().hostReads;
    await w.read();
    expect(b.textureStats().hostReads).toBe(r1);
    // The shared values survive the function's disposal (its kernels' textures are rehomed).
    f.dispose();
    const liveBefore = b.textureStats().live;
    expect(Array.from((await v.read()).data)).toEqual(Array.from(gotV));
    w.set({ data: w0, shape: [n, n] });
    expect(Array.from((await w.read()).data)).toEqual(Array.from(w0));
    expect(b.textureStats().live).toBeLessThanOrEqual(liveBefore);
    w.dispose();
    v.dispose();
  });

  it('deletes textures on free() and every texture on dispose()', async () => {
    const fake = await fakeTextureGpuOverCpu();
    const b = new GpujsBackend(fake.gpu, FAKE_TEXTURE_DEVICE, { textures: true });
    const v = (buffer: number, size: number) => ({ buffer, offset: 0, shape: [size], strides: [1] });
    const program: Program = {
      buffers: [{ id: 0, dtype: 'float32', size: 8, role: 'input' }, { id: 1, dtype: 'float32', size: 8, role: 'output' }, { id: 2, dtype: 'float32', size: 1, role: 'output' }],
      kernels: [
        { kind: 'elementwise', shape: [8], label: 'double', inputs: [v(0, 8)], outputs: [v(1, 8)], exprs: [sx.binary('mul', sx.input(0, 'float32'), sx.const(2, 'float32'), 'float32')] },
        { kind: 'reduce', op: 'sum', shape: [8], axes: [0], label: 'sum', inputs: [v(1, 8)], prologue: sx.input(0, 'float32'), output: v(2, 1) },
      ],
    };
    const bufs = program.buffers.map((s) => b.allocate(s.dtype, s.size));
    b.write(bufs[0]!, Float32Array.from({ length: 8 }, (_, i) => i));
    const exe = b.compile(program, { precision: 'fp32' });
    exe.run(bufs);
    exe.run(bufs);
    expect(b.textureStats().live).toBe(3);
    expect(fake.counters.toArray).toBe(0);
    expect(Array.from(await b.read(bufs[2]!))).toEqual([56]);
    b.free(bufs[1]!);
    expect(b.textureStats().live).toBe(2);
    exe.dispose();
    expect(Array.from(await b.read(bufs[0]!))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    b.dispose();
    expect(b.textureStats().live).toBe(0);
    expect(fake.counters.live).toBe(0);
  });

  it('writes into part of a buffer (old values pass through) and falls back to the host for interleaved views', async () => {
    const b = await backend();
    const { program, init } = partialViewsCase();
    const before = b.textureStats();
    const errs = await runKernelCase(b, { program, init });
    expect(errs).toEqual([0, 0, 0, 0]);
    expect(b.textureStats().fallbacks - before.fallbacks).toBe(1);
  });
});

