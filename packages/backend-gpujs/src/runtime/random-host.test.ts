import { afterAll, describe, expect, it } from 'vitest';
import { advanceRandomState, fillRandom, sx, type DType, type Kernel, type Program, type RandomDistribution, type View } from '@symgrad/core';
import { GpujsBackend } from '../backend.js';
import { fakeTextureGpu } from '../testing-fixtures/fake-texture-gpu.js';
import type { GpujsBuffer } from './buffers.js';
import { loadGpu } from './gpu-loader.js';

// `random` kernels against core's reference, in host-array mode (gpu.js's webasm/cpu mode
// here) and texture mode (the stand-in textures of pipeline.test.ts). Draws run on the host
// from core's fillRandom, so bits, uniforms and next are exact and normals are the float64
// reference rounded to float32 (asserted exactly; a GPU Philox would need a tolerance).
const probe = await loadGpu();
if (!probe.ok) throw new Error(probe.reason);
const backends = {
  'host arrays': new GpujsBackend(probe.gpu, 'gpu.js (webasm)', { textures: false }),
  textures: new GpujsBackend(fakeTextureGpu(probe.gpu).gpu, 'gpu.js (fake textures)', { textures: true }),
};
afterAll(() => Object.values(backends).forEach((b) => b.dispose()));

const contiguous = (buffer: number, n: number, offset = 0): View => ({ buffer, offset, shape: [n], strides: [1] });
const U32 = 0x1_0000_0000;
/** States as uint32 words (k0, k1, lo, hi); stored as int32 bit patterns. */
const STATES: Record<string, number[]> = {
  'seed 42': [42, 0, 0, 0],
  'full-width key': [0x9e3779b9, 0xdeadbeef, 7, 0],
  'lo carries into hi': [0x12345678, 0x87654321, U32 - 2, 0x00ffffff],
  'wraps 2^64': [3, 0xfedcba98, U32 - 1, U32 - 1],
};
const SIZES = [1, 3, 5, 13, 17, 1021];
const DRAWS: [RandomDistribution, DType][] = [['bits', 'int32'], ['uniform', 'float32'], ['normal', 'float32']];

/** Core's values of a draw, as the output buffer stores them. */
function reference(distribution: RandomDistribution, dtype: DType, state: readonly number[], n: number): number[] {
  const want = new Float64Array(n);
  fillRandom(distribution, dtype, state, want);
  return Array.from(want, (v) => (dtype === 'float32' ? Math.fround(v) : v));
}

/**
 * One `random` kernel: the state at offset 2 of a 7-word int32 buffer, the output at offset
 * `outOffset` of its buffer (whose other elements must survive), `next` into its own buffer.
 */
async function draw(b: GpujsBackend, distribution: RandomDistribution, dtype: DType, state: readonly number[], n: number, outOffset = 0) {
  const stateBuf = b.allocate('int32', 7);
  b.write(stateBuf, Int32Array.from([5, 6, ...state, 9]));
  const out = b.allocate(dtype, n + outOffset + 2);
  const fill = dtype === 'int32' ? Int32Array.from({ length: out.size }, () => -4) : Float32Array.from({ length: out.size }, () => -4);
  b.write(out, fill);
  const next = b.allocate('int32', 4);
  const program: Program = {
    buffers: [{ id: 0, dtype: 'int32', size: 7, role: 'temp' }, { id: 1, dtype, size: out.size, role: 'temp' }, { id: 2, dtype: 'int32', size: 4, role: 'temp' }],
    kernels: [{ kind: 'random', distribution, dtype, state: contiguous(0, 4, 2), output: contiguous(1, n, outOffset), next: contiguous(2, 4), label: 'draw' }],
  };
  const exe = b.compile(program, { precision: 'fp32' });
  exe.run([stateBuf, out, next]);
  const [o, s] = await b.readMany([out, next]);
  exe.dispose();
  [stateBuf, out, next].forEach((x) => b.free(x));
  return { values: Array.from(o!).slice(outOffset, outOffset + n), rest: [...Array.from(o!).slice(0, outOffset), ...Array.from(o!).slice(outOffset + n)], next: Array.from(s!) };
}

describe.each(Object.entries(backends))('random kernels (%s)', (_, b) => {
  describe.each(Object.entries(STATES))('%s', (_name, words) => {
    const state = words.map((w) => w | 0);
    it.each(DRAWS)('%s %s on awkward sizes, next exact', async (distribution, dtype) => {
      for (const n of SIZES) {
        const got = await draw(b, distribution, dtype, state, n, n % 3);
        expect(got.values, `n = ${n}`).toEqual(reference(distribution, dtype, state, n));
        expect(got.rest, `n = ${n}: elements outside the output view`).toEqual(Array(got.rest.length).fill(-4));
        expect(got.next, `n = ${n}`).toEqual(advanceRandomState(state, n));
      }
    });
  });

  it('chains draws through next within one run (next feeds the following draw exactly)', async () => {
    const state = [0xabcdef01 | 0, 0x7fffffff, -1, 0];
    const ids = { state: 0, a: 1, mid: 2, c: 3, end: 4 };
    const program: Program = {
      buffers: [['int32', 4], ['float32', 7], ['int32', 4], ['int32', 9], ['int32', 4]].map(([dtype, size], id) => ({ id, dtype: dtype as DType, size: size as number, role: 'temp' as const })),
      kernels: [
        { kind: 'random', distribution: 'uniform', dtype: 'float32', state: contiguous(ids.state, 4), output: contiguous(ids.a, 7), next: contiguous(ids.mid, 4), label: 'u' },
        { kind: 'random', distribution: 'bits', dtype: 'int32', state: contiguous(ids.mid, 4), output: contiguous(ids.c, 9), next: contiguous(ids.end, 4), label: 'b' },
      ],
    };
    const bufs = program.buffers.map((s) => b.allocate(s.dtype, s.size));
    b.write(bufs[0]!, Int32Array.from(state));
    const exe = b.compile(program, { precision: 'fp32' });
    exe.run(bufs);
    const [a, c, end] = await b.readMany([bufs[1]!, bufs[3]!, bufs[4]!]);
    const mid = advanceRandomState(state, 7);
    expect(Array.from(a!)).toEqual(reference('uniform', 'float32', state, 7));
    expect(Array.from(c!)).toEqual(reference('bits', 'int32', mid, 9));
    expect(Array.from(end!)).toEqual(advanceRandomState(mid, 9));
    exe.dispose();
    bufs.forEach((x) => b.free(x));
  });
});

describe('random kernels in texture mode', () => {
  const b = backends.textures;
  it('draws on the host: a state the host wrote needs no read-back; an output a GPU kernel reads is uploaded once', async () => {
    // random uniform → y = 2u on the GPU; the state comes from write(), so nothing is read back.
    const program: Program = {
      buffers: [{ id: 0, dtype: 'int32', size: 4, role: 'temp' }, { id: 1, dtype: 'float32', size: 10, role: 'temp' }, { id: 2, dtype: 'float32', size: 10, role: 'temp' }],
      kernels: [
        { kind: 'random', distribution: 'uniform', dtype: 'float32', state: contiguous(0, 4), output: contiguous(1, 10), label: 'u' },
        { kind: 'elementwise', shape: [10], inputs: [contiguous(1, 10)], outputs: [contiguous(2, 10)], exprs: [sx.binary('mul', sx.input(0, 'float32'), sx.const(2, 'float32'), 'float32')], label: '2u' } as Kernel,
      ],
    };
    const bufs = program.buffers.map((s) => b.allocate(s.dtype, s.size));
    const state = [0x9e3779b9 | 0, 1, 2, 3];
    b.write(bufs[0]!, Int32Array.from(state));
    const exe = b.compile(program, { precision: 'fp32' });
    const before = b.textureStats();
    exe.run(bufs);
    const after = b.textureStats();
    expect(after.hostDraws - before.hostDraws).toBe(1);
    expect(after.hostReads - before.hostReads).toBe(0);
    expect(after.uploads - before.uploads).toBe(1);
    expect((bufs[1] as GpujsBuffer).texture, 'the drawn output is on the GPU for the kernel that read it').toBeDefined();
    const y = await b.read(bufs[2]!);
    expect(Array.from(y)).toEqual(reference('uniform', 'float32', state, 10).map((u) => 2 * u));
    exe.dispose();
    bufs.forEach((x) => b.free(x));
  });
});
