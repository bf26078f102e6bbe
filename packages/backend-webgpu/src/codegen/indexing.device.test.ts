import { describe, expect } from 'vitest';
import { fn, NDArray, T, takeIndex, type BufferSpec, type DType, type Program, type ScatterAddKernel, type TakeKernel, type View } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing';
import { WebGPUBackend } from '../backend.js';
import { deviceTests, uploadProgramBuffers } from '../testing-fixtures/device.js';
import '../index.js';

// take and scatterAdd on the device (SwiftShader in CI) against float64 loops written here,
// beyond the conformance cases: many updates at a few indices, so the atomics of concurrent
// invocations really collide. The backend allows seven workgroups per grid dimension, so
// every launch past 1792 elements takes the 2-D split.
const deviceIt = deviceTests(() => WebGPUBackend.create({ limits: { maxComputeWorkgroupsPerDimension: 7 } }));

const at = (v: View, idx: readonly number[]): number => idx.reduce((o, x, d) => o + x * v.strides[d]!, v.offset);
const contiguous = (buffer: number, shape: number[], offset = 0): View =>
  ({ buffer, offset, shape, strides: shape.map((_, d) => shape.slice(d + 1).reduce((a, c) => a * c, 1)) });
const spec = (id: number, dtype: DType, size: number): BufferSpec => ({ id, dtype, size, role: 'temp' });

/** Runs a Program on the device from `init` and reads every buffer back. */
async function runOnDevice(b: WebGPUBackend, program: Program, init: Float64Array[]): Promise<ArrayLike<number>[]> {
  const bufs = uploadProgramBuffers(b, program, init);
  const exe = b.compile(program, { precision: 'fp32' });
  try {
    exe.run(bufs);
    return await Promise.all(bufs.map((x) => b.read(x)));
  } finally {
    exe.dispose();
    bufs.forEach((x) => b.free(x));
  }
}

/**
 * scatterAdd in float64 over host copies of the buffers: `sum` gets the added values, and
 * `terms` (when given) counts, per output word, the values summed into it (the initial one
 * included), for the error bound below.
 */
function scatterReference(k: ScatterAddKernel, host: Float64Array[], terms?: Map<number, number>): void {
  const [outer, n, inner] = k.updates.shape as [number, number, number];
  const size = k.output.shape[1]!;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const y = takeIndex(host[k.indices.buffer]![at(k.indices, [j])]!, size);
      if (y === undefined) continue;
      for (let i = 0; i < inner; i++) {
        const w = at(k.output, [o, y, i]);
        host[k.output.buffer]![w]! += host[k.updates.buffer]![at(k.updates, [o, j, i])]!;
        terms?.set(w, (terms.get(w) ?? 1) + 1);
      }
    }
  }
}

/** Words of `got` that differ from `want` (NaN matches NaN), at most five, described. */
function mismatches(got: ArrayLike<number>, want: ArrayLike<number>, ok: (g: number, w: number, word: number) => boolean = Object.is): string[] {
  const bad: string[] = [];
  for (let w = 0; w < want.length && bad.length < 5; w++) if (!ok(got[w]!, want[w]!, w)) bad.push(`[${w}]: ${got[w]} vs ${want[w]}`);
  return bad;
}

describe('scatterAdd with colliding atomics', () => {
  deviceIt('1000 float32 updates into 3 rows (inner 1 and 5), contiguous and into a transposed view at an offset', async (b) => {
    const rng = new TestRandom(5);
    const [n, rows] = [1000, 3];
    // Inner 1 puts consecutive invocations (the lanes of one SIMD group, on SwiftShader too)
    // on the same few words, so their compare-exchanges fail and retry; inner 5 spreads them.
    for (const inner of [1, 5]) {
      // Indices in [−4, 3]: −3…2 land on the 3 rows (−1 counts from the end), −4 and 3 are dropped.
      const indices = Float64Array.from({ length: n }, () => rng.int(-4, 3));
      // Positive terms in [0.5, 1.5] keep the sums free of cancellation, so a relative bound holds.
      const updates = Float64Array.from({ length: n * inner }, () => Math.fround(rng.uniform(0.5, 1.5)));
      // Buffer 3 holds a [inner, rows] matrix at offset 7 inside sentinels; kernel B adds into
      // its transpose ([1, rows, inner], strides [0, 1, rows]), so the address carries both.
      const size3 = 7 + rows * inner + 4;
      const a: ScatterAddKernel = { kind: 'scatterAdd', updates: contiguous(0, [1, n, inner]), indices: contiguous(1, [n]), output: contiguous(2, [1, rows, inner]), label: 'a' };
      const bT: ScatterAddKernel = { ...a, output: { buffer: 3, offset: 7, shape: [1, rows, inner], strides: [0, 1, rows] }, label: 'b' };
      const program: Program = { buffers: [spec(0, 'float32', n * inner), spec(1, 'int32', n), spec(2, 'float32', rows * inner), spec(3, 'float32', size3)], kernels: [a, bT] };
      const init = [updates, indices, Float64Array.from({ length: rows * inner }, () => Math.fround(rng.uniform(0.5, 1.5))), new Float64Array(size3).fill(-123.5)];
      for (let w = 7; w < 7 + rows * inner; w++) init[3]![w] = 1;
      const got = await runOnDevice(b, program, init);
      const want = init.map((x) => x.slice());
      const terms = [new Map<number, number>(), new Map<number, number>()];
      scatterReference(a, want, terms[0]);
      scatterReference(bT, want, terms[1]);
      // Every output word gets ~250 terms.
      expect(Math.min(...terms[0]!.values())).toBeGreaterThan(200);
      // Tolerance: a sum of k positive float32 terms, added in any order, is within (k − 1)·2⁻²⁴
      // of the exact sum relatively (Higham's γ bound, first order); the float64 loop is exact
      // to far below that. A lost update (≥ 0.5 in a sum of ~300) is 2000 times over it. Words
      // outside the output views keep their values exactly.
      const bound = (m: Map<number, number>) => (g: number, w: number, word: number) => {
        const k = m.get(word);
        return k === undefined ? Object.is(g, w) : Math.abs(g - w) <= (k - 1) * 2 ** -24 * Math.abs(w);
      };
      expect(mismatches(got[2]!, want[2]!, bound(terms[0]!)), `inner ${inner}, contiguous`).toEqual([]);
      expect(mismatches(got[3]!, want[3]!, bound(terms[1]!)), `inner ${inner}, transposed at offset 7`).toEqual([]);
    }
  });

  deviceIt('1000 int32 updates into 3 rows add exactly, wrapping modulo 2³² as the reference rounds', async (b) => {
    const rng = new TestRandom(8);
    const [n, rows, inner] = [1000, 3, 2];
    const indices = Float64Array.from({ length: n }, () => rng.int(-3, 2));
    // Large values: each word's sum passes 2³¹ many times over (exact in float64 below 2⁵³).
    const updates = Float64Array.from({ length: n * inner }, () => rng.int(2 ** 30, 2 ** 31 - 1));
    const k: ScatterAddKernel = { kind: 'scatterAdd', updates: contiguous(0, [1, n, inner]), indices: contiguous(1, [n]), output: contiguous(2, [1, rows, inner]), label: 'int' };
    const program: Program = { buffers: [spec(0, 'int32', n * inner), spec(1, 'int32', n), spec(2, 'int32', rows * inner)], kernels: [k] };
    const init = [updates, indices, Float64Array.from({ length: rows * inner }, () => rng.int(-100, 100))];
    const got = await runOnDevice(b, program, init);
    const want = init.map((x) => x.slice());
    // The int32 buffer holds updates rounded to int32 (wrapped), so the reference reads them so too.
    want[0] = Float64Array.from(want[0]!, (v) => v | 0);
    scatterReference(k, want);
    expect(mismatches(got[2]!, Float64Array.from(want[2]!, (v) => v | 0))).toEqual([]);
  });

  deviceIt("updates that live in the output's buffer, read through its atomic binding", async (b) => {
    // Buffer 0: updates [1, 6, 2] at words 0..11, the output [1, 3, 2] at words 12..17.
    const indices = Float64Array.of(0, 2, -1, 0, 5, -3);
    const k: ScatterAddKernel = { kind: 'scatterAdd', updates: contiguous(0, [1, 6, 2]), indices: contiguous(1, [6]), output: contiguous(0, [1, 3, 2], 12), label: 'shared' };
    for (const dtype of ['float32', 'int32'] as const) {
      const program: Program = { buffers: [spec(0, dtype, 18), spec(1, 'int32', 6)], kernels: [k] };
      const init = [Float64Array.from({ length: 18 }, (_, w) => (w < 12 ? w + 1 : 100 * w)), indices];
      const got = await runOnDevice(b, program, init);
      const want = init.map((x) => x.slice());
      scatterReference(k, want);
      // Small integers: exact in float32 whatever the order.
      expect(mismatches(got[0]!, want[0]!), dtype).toEqual([]);
    }
  });
});

describe('take on the device', () => {
  deviceIt('6000 outputs over a 2-D grid: negative indices, NaN, −2³¹ and zero fills, a strided input', async (b) => {
    const rng = new TestRandom(11);
    const [outer, size, inner, n] = [2, 5, 3, 1000];
    const indices = Float64Array.from({ length: n }, () => rng.int(-7, 6));
    // The float input is stored [inner, size, outer] and read as [outer, size, inner] through strides.
    const xT: View = { buffer: 0, offset: 0, shape: [outer, size, inner], strides: [1, outer, outer * size] };
    const out = (buffer: number): View => contiguous(buffer, [outer, n, inner]);
    const kernels: TakeKernel[] = [
      { kind: 'take', input: xT, indices: contiguous(1, [n]), output: out(2), fill: NaN, label: 'nan' },
      { kind: 'take', input: xT, indices: contiguous(1, [n]), output: out(3), fill: 0, label: 'zero' },
      { kind: 'take', input: contiguous(4, [outer, size, inner]), indices: contiguous(1, [n]), output: out(5), fill: -(2 ** 31), label: 'int' },
    ];
    const m = outer * n * inner;
    const program: Program = {
      buffers: [spec(0, 'float32', outer * size * inner), spec(1, 'int32', n), spec(2, 'float32', m), spec(3, 'float32', m), spec(4, 'int32', outer * size * inner), spec(5, 'int32', m)],
      kernels,
    };
    const init = [
      Float64Array.from({ length: outer * size * inner }, () => Math.fround(rng.uniform(-3, 3))), indices, new Float64Array(m), new Float64Array(m),
      Float64Array.from({ length: outer * size * inner }, () => rng.int(-1000, 1000)), new Float64Array(m),
    ];
    const got = await runOnDevice(b, program, init);
    for (const k of kernels) {
      const want = new Float64Array(m);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < n; j++) {
          const y = takeIndex(indices[j]!, size);
          for (let i = 0; i < inner; i++) want[at(k.output, [o, j, i])] = y === undefined ? k.fill : init[k.input.buffer]![at(k.input, [o, y, i])]!;
        }
      }
      expect(mismatches(got[k.output.buffer]!, want), k.label).toEqual([]);
    }
    // Both fills occur: indices −7, −6 and 5, 6 miss.
    expect(Array.from(indices).some((y) => takeIndex(y, size) === undefined)).toBe(true);
  });
});

describe('through fn', () => {
  deviceIt('an embedding lookup and its gradient: 1000 token ids into a 3-row table', async () => {
    const rng = new TestRandom(21);
    const [vocab, width, tokens] = [3, 4, 1000];
    const table = T.matrix('table');
    const ids = T.ivector('ids');
    const g = T.matrix('g');
    const f = fn([table, ids, g], [T.take(table, ids), T.add(T.scatterAdd(T.mul(table, 0), ids, g), 1)], { backend: 'webgpu' });
    const tableV = new NDArray('float32', [vocab, width], Float32Array.from({ length: vocab * width }, () => rng.uniform(-1, 1)));
    const idsV = new NDArray('int32', [tokens], Int32Array.from({ length: tokens }, () => rng.int(0, vocab - 1)));
    const gV = new NDArray('float32', [tokens, width], Float32Array.from({ length: tokens * width }, () => rng.uniform(0.5, 1.5)));
    const [rows, grad] = await f(tableV, idsV, gV);
    const kinds = f.program!.kernels.map((k) => k.kind);
    expect(kinds).toContain('take');
    expect(kinds).toContain('scatterAdd');
    expect(mismatches(rows!.data, Float64Array.from({ length: tokens * width }, (_, e) => tableV.data[idsV.data[Math.floor(e / width)]! * width + (e % width)]!))).toEqual([]);
    const sums = new Float64Array(vocab * width).fill(1);
    for (let t = 0; t < tokens; t++) for (let c = 0; c < width; c++) sums[idsV.data[t]! * width + c]! += gV.data[t * width + c]!;
    // ~333 positive terms per word: within 333·2⁻²⁴ ≈ 2e-5 relatively, in any order (see above).
    expect(mismatches(grad!.data, sums, (x, w) => Math.abs(x - w) <= 2e-5 * w)).toEqual([]);
    f.dispose();
  });
});
