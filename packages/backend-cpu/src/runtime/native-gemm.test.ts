import { afterAll, describe, expect, it } from 'vitest';
import { gemm as tsGemm } from './gemm.js';
import { nativeCpuStatus, type NativeEpilogue, type NativeIsa } from '../native.js';
import { relError, Rng } from '../testing-fixtures/random.js';

/**
 * The addon's GEMM called directly: against the TypeScript GEMM and a float64 reference on
 * shapes across the native blocking (MR 14/6/4, NR 32/16/8, the avx512 narrow NR 16 (float64 8) for n ≤ NR, KC 1024,
 * MC 126 (float64 56), NC 1024 (float64 512)) on every
 * ISA tier this CPU runs; independence from the thread count; beta = 0 and bounds checks.
 */

const status = nativeCpuStatus();
const addon = status.ok ? status.addon : undefined;
const TIERS = (['avx512', 'avx2', 'generic'] as const).filter((t) => addon?.setIsa(t));
const initial = addon ? { isa: addon.isa(), threads: addon.numThreads() } : undefined;
if (addon && initial) addon.setIsa(TIERS[0]!);

afterAll(() => {
  if (addon && initial) {
    addon.setIsa(initial.isa);
    addon.setNumThreads(initial.threads);
  }
});

interface Problem {
  batch: number; m: number; n: number; k: number; transA: boolean; transB: boolean; alpha: number; beta: number;
  /** Row padding of each operand, and broadcast A/B over the batch (stride 0). */
  pad: number; bcastA: boolean; bcastB: boolean;
}

type Arr = Float32Array | Float64Array;

function setup(p: Problem, dtype: 'float32' | 'float64', rng: Rng) {
  const make = (len: number, fill: () => number): Arr => {
    const a = dtype === 'float32' ? new Float32Array(len) : new Float64Array(len);
    for (let i = 0; i < len; i++) a[i] = fill();
    return a;
  };
  // Stored shapes: A is [k, m] when transposed, B [n, k] when transposed.
  const [ar, ac] = p.transA ? [p.k, p.m] : [p.m, p.k];
  const [br, bc] = p.transB ? [p.n, p.k] : [p.k, p.n];
  const lda = ac + p.pad, ldb = bc + p.pad, ldc = p.n + p.pad;
  const aSize = ar * lda, bSize = br * ldb, cSize = p.m * ldc;
  const a = make(3 + (p.bcastA ? 1 : p.batch) * aSize, () => rng.uniform(-1, 1));
  const b = make(2 + (p.bcastB ? 1 : p.batch) * bSize, () => rng.uniform(-1, 1));
  const c = make(1 + p.batch * cSize, () => (p.beta === 0 ? NaN : rng.uniform(-1, 1)));
  const offsets = new Float64Array(3 * p.batch);
  for (let t = 0; t < p.batch; t++) {
    offsets[3 * t] = 3 + (p.bcastA ? 0 : t * aSize);
    offsets[3 * t + 1] = 2 + (p.bcastB ? 0 : t * bSize);
    offsets[3 * t + 2] = 1 + t * cSize;
  }
  // Strides of op(A) and op(B): a transpose is only a swap of strides.
  const [aRs, aCs] = p.transA ? [1, lda] : [lda, 1];
  const [bRs, bCs] = p.transB ? [1, ldb] : [ldb, 1];
  const strides = Float64Array.from([aRs, aCs, bRs, bCs, ldc, 1]);
  return { a, b, c, offsets, strides, ldc };
}

/** float64 reference and the TypeScript GEMM's result, per element of C that the product covers. */
function expected(p: Problem, s: ReturnType<typeof setup>, dtype: 'float32' | 'float64') {
  const ref: number[] = [];
  const ts: number[] = [];
  const [aRs, aCs, bRs, bCs] = s.strides;
  for (let t = 0; t < p.batch; t++) {
    const [ao, bo, co] = [s.offsets[3 * t]!, s.offsets[3 * t + 1]!, s.offsets[3 * t + 2]!];
    const acc = new Float64Array(p.m * p.n);
    tsGemm(p.m, p.n, p.k, s.a, ao, aRs!, aCs!, s.b, bo, bRs!, bCs!, (blk, ld, row0, rows, col0, cols) => {
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) acc[(row0 + i) * p.n + col0 + j] = blk[i * ld + j]!;
    });
    for (let i = 0; i < p.m; i++) {
      for (let j = 0; j < p.n; j++) {
        let sum = 0;
        for (let q = 0; q < p.k; q++) sum += s.a[ao + i * aRs! + q * aCs!]! * s.b[bo + q * bRs! + j * bCs!]!;
        const old = p.beta === 0 ? 0 : p.beta * s.c[co + i * s.ldc + j]!;
        ref.push(p.alpha * sum + old);
        const v = p.alpha * acc[i * p.n + j]! + old;
        ts.push(dtype === 'float32' ? Math.fround(v) : v);
      }
    }
  }
  return { ref, ts };
}

function run(p: Problem, dtype: 'float32' | 'float64', s: ReturnType<typeof setup>): number[] {
  const c = s.c.slice();
  addon!.gemm(dtype === 'float32' ? 0 : 1, p.m, p.n, p.k, s.a, s.b, c, s.offsets, s.strides, p.alpha, p.beta);
  const got: number[] = [];
  for (let t = 0; t < p.batch; t++) {
    for (let i = 0; i < p.m; i++) for (let j = 0; j < p.n; j++) got.push(c[s.offsets[3 * t + 2]! + i * s.ldc + j]!);
  }
  return got;
}

const base: Problem = { batch: 1, m: 1, n: 1, k: 1, transA: false, transB: false, alpha: 1, beta: 0, pad: 0, bcastA: false, bcastB: false };
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 97, 300], [97, 1, 300], [13, 31, 7], [15, 33, 257], [29, 65, 513], [253, 131, 263], [260, 1030, 40], [6, 17, 1],
  [29, 16, 513], [45, 8, 70], [143, 10, 300], [31, 40, 1100], [130, 530, 9],
];

describe.skipIf(!addon)('native GEMM', () => {
  for (const isa of TIERS as NativeIsa[]) {
    for (const dtype of ['float32', 'float64'] as const) {
      const tol = dtype === 'float32' ? 1e-5 : 1e-12;
      it(`${isa} ${dtype}: shapes across its blocking, transposes, padding, alpha/beta, broadcast batches, against TS and float64 (≤ ${tol})`, () => {
        addon!.setIsa(isa);
        const rng = new Rng(isa.length * 31 + (dtype === 'float32' ? 1 : 2));
        SHAPES.forEach(([m, n, k], idx) => {
          for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
            const p: Problem = {
              ...base, m, n, k, transA, transB, pad: rng.pick([0, 0, 3]), alpha: rng.pick([1, -0.5]), beta: rng.pick([0, 1, 0.25]),
              batch: idx % 3 === 0 ? rng.int(1, 3) : 1, bcastA: rng.bool(0.3), bcastB: rng.bool(0.3),
            };
            const s = setup(p, dtype, rng);
            const want = expected(p, s, dtype);
            const got = run(p, dtype, s);
            const what = `${JSON.stringify(p)}`;
            expect(relError(got, want.ref), `native vs float64: ${what}`).toBeLessThanOrEqual(tol);
            expect(relError(want.ts, want.ref), `TS vs float64: ${what}`).toBeLessThanOrEqual(tol);
          }
        });
      });
    }
  }

  it('gives the same result with 1, 2, 3, 6 and 16 threads (a grid of row and column panel shares, never K), sharded or batched', () => {
    addon!.setIsa(TIERS[0]!);
    const rng = new Rng(9);
    const problems: Problem[] = [
      { ...base, m: 301, n: 1100, k: 600, beta: 0.5, alpha: 1.5 },
      { ...base, m: 3, n: 2100, k: 300, transB: true },
      { ...base, m: 700, n: 20, k: 300, transA: true },
      { ...base, m: 700, n: 10, k: 300, transA: true },
      { ...base, batch: 9, m: 40, n: 50, k: 60, bcastB: true },
    ];
    for (const dtype of ['float32', 'float64'] as const) {
      for (const p of problems) {
        const s = setup(p, dtype, rng);
        addon!.setNumThreads(1);
        const one = run(p, dtype, s);
        addon!.setNumThreads(2);
        const two = run(p, dtype, s);
        expect(relError(two, one), `${dtype} ${JSON.stringify(p)}`).toBeLessThanOrEqual(1e-6);
        expect(two).toEqual(one);
        // More threads than cores: grids of row and column shares (3 × 1 or 1 × 3, 2 × 3, 2 × 8, …).
        for (const threads of [3, 6, 16]) {
          addon!.setNumThreads(threads);
          expect(run(p, dtype, s), `${dtype} ${JSON.stringify(p)}, ${threads} threads`).toEqual(one);
        }
      }
    }
    addon!.setNumThreads(initial!.threads);
  });

  it('reads a row-major A in place (avx512) with the same FMAs as a packed A: bit for bit equal to the same A given transposed', () => {
    // op(A) with unit column stride goes to the in-place kernel by full 14-row panels; the
    // same values stored column-major (op(A) = (Aᵀ)ᵀ, unit row stride) are packed. Shapes
    // cover full and partial row panels, edge columns, several K blocks and both threads.
    addon!.setIsa(TIERS[0]!);
    const rng = new Rng(21);
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [m, n, k] of [[14, 32, 5], [29, 70, 513], [253, 40, 1030], [43, 10, 300], [1, 33, 20]] as const) {
        for (const threads of [1, 2]) {
          addon!.setNumThreads(threads);
          const rowMajor = { ...base, m, n, k, beta: 0.5, pad: 2 };
          const s = setup(rowMajor, dtype, rng);
          const inPlace = run(rowMajor, dtype, s);
          // The same A, stored transposed: element (i, q) of op(A) at i + q·m.
          const lda = k + 2;
          const aT = s.a.slice(0, 3 + m * k);
          for (let i = 0; i < m; i++) for (let q = 0; q < k; q++) aT[3 + i + q * m] = s.a[3 + i * lda + q]!;
          const packedStrides = Float64Array.from([1, m, ...Array.from(s.strides.slice(2))]);
          const packed = run(rowMajor, dtype, { ...s, a: aT, strides: packedStrides });
          expect(packed, `${dtype} ${m}×${n}×${k}, ${threads} thread(s)`).toEqual(inPlace);
          expect(relError(inPlace, expected(rowMajor, s, dtype).ref)).toBeLessThanOrEqual(dtype === 'float32' ? 1e-5 : 1e-12);
        }
      }
    }
    addon!.setNumThreads(initial!.threads);
  });

  it('keeps op(B) packed: packs it on a stale call, then reads only the kept panels (several column and depth blocks, 1 and 2 threads)', () => {
    addon!.setIsa(TIERS[0]!);
    const rng = new Rng(33);
    for (const dtype of ['float32', 'float64'] as const) {
      // float32 NC is 1024 and float64 512: n = 1100 spans two column blocks; KC is 1024: k = 1100 two depth blocks.
      for (const [m, n, k, transB] of [[31, 1100, 1100, false], [20, 70, 9, true], [3, 10, 1030, false]] as const) {
        for (const threads of [1, 2]) {
          addon!.setNumThreads(threads);
          const p = { ...base, m, n, k, transB };
          const s = setup(p, dtype, rng);
          const code = dtype === 'float32' ? 0 : 1;
          const size = addon!.packedBSize(code, n, k);
          expect(size).toBeGreaterThanOrEqual(n * k);
          const kept = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
          const first = s.c.slice();
          addon!.gemm(code, m, n, k, s.a, s.b, first, s.offsets, s.strides, 1, 0, null, null, null, null, kept, false);
          // The same product as without a kept op(B), bit for bit, and the float64 reference's.
          const plain = run(p, dtype, s);
          expect(Array.from(first.subarray(1, 1 + m * n))).toEqual(plain);
          expect(relError(plain, expected(p, s, dtype).ref)).toBeLessThanOrEqual(dtype === 'float32' ? 1e-5 : 1e-12);
          // B replaced by zeros: a kept (fresh) op(B) still gives the first product.
          const again = s.c.slice();
          addon!.gemm(code, m, n, k, s.a, s.b.map(() => 0), again, s.offsets, s.strides, 1, 0, null, null, null, null, kept, true);
          expect(Array.from(again), `${dtype} ${m}×${n}×${k} transB ${transB}, ${threads} thread(s)`).toEqual(Array.from(first));
        }
      }
    }
    addon!.setNumThreads(initial!.threads);
    const a = new Float32Array(6), b = new Float32Array(12), c = new Float32Array(8), st = Float64Array.from([3, 1, 4, 1, 4, 1]);
    expect(() => addon!.gemm(0, 2, 4, 3, a, b, c, new Float64Array(3), st, 1, 0, null, null, null, null, new Float32Array(1), false))
      .toThrow(/packedB holds 1 elements, 3×4 needs \d+ \(packedBSize\)/);
    expect(() => addon!.gemm(0, 2, 4, 3, a, b, c, new Float64Array(6), st, 1, 0, null, null, null, null, new Float32Array(512), false))
      .toThrow(/packedB is for a single matrix/);
    expect(() => addon!.gemm(0, 2, 4, 3, a, b, c, new Float64Array(3), st, 1, 0, null, null, null, null, new Float32Array(512), 1 as unknown as boolean))
      .toThrow(/packedFresh must be a boolean/);
  });

  it('k = 0 gives beta·C; beta = 0 ignores NaN in C; empty products do nothing', () => {
    const c = Float32Array.from([1, NaN, 3, 4]);
    const none = new Float32Array(0);
    const st = Float64Array.from([0, 1, 2, 1, 2, 1]);
    addon!.gemm(0, 2, 2, 0, none, none, c, new Float64Array(3), st, 1, 2);
    expect(Array.from(c)).toEqual([2, NaN, 6, 8]);
    addon!.gemm(0, 2, 2, 0, none, none, c, new Float64Array(3), st, 1, 0);
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
    c.fill(7);
    addon!.gemm(0, 0, 2, 3, none, none, c, new Float64Array(3), st, 1, 0);
    expect(Array.from(c)).toEqual([7, 7, 7, 7]);
  });

  it('fuses relu and the relu-mask exactly as the JavaScript epilogues (NaN, -0), on edge and full tiles', () => {
    addon!.setIsa(TIERS[0]!);
    const rng = new Rng(12);
    const m = 31, n = 70, k = 9;
    const a = Float32Array.from({ length: m * k }, () => rng.uniform(-1, 1));
    const b = Float32Array.from({ length: k * n }, () => rng.uniform(-1, 1));
    a[0] = NaN; // row 0 of C is NaN
    const h = Float32Array.from({ length: m * n }, () => rng.pick([-1, 0, -0, 0.5, NaN]));
    const st = Float64Array.from([k, 1, n, 1, n, 1]);
    const off = new Float64Array(3);
    const plain = new Float32Array(m * n);
    addon!.gemm(0, m, n, k, a, b, plain, off, st, 1, 0);
    for (const threads of [1, 2]) {
      addon!.setNumThreads(threads);
      const relu = new Float32Array(m * n);
      addon!.gemm(0, m, n, k, a, b, relu, off, st, 1, 0, 1);
      const mask = new Float32Array(m * n);
      addon!.gemm(0, m, n, k, a, b, mask, off, st, 1, 0, 2, h, new Float64Array(1), Float64Array.from([n, 1]));
      for (let i = 0; i < m * n; i++) {
        const v = plain[i]!;
        expect(Object.is(relu[i], v > 0 || Number.isNaN(v) ? v : 0), `relu ${i}`).toBe(true);
        expect(Object.is(mask[i], h[i]! > 0 ? v : 0), `mask ${i}`).toBe(true);
      }
    }
    addon!.setNumThreads(initial!.threads);
    expect(() => addon!.gemm(0, m, n, k, a, b, plain, off, st, 1, 0, 2, h, new Float64Array(1), Float64Array.from([n + 1, 1]))).toThrow(/aux reaches/);
    expect(() => addon!.gemm(0, m, n, k, a, b, plain, off, st, 1, 0, 5 as NativeEpilogue)).toThrow(/epilogue must be 0 \(none\), 1 \(relu\), 2 \(mask by aux > 0\), 3 \(\+ aux\) or 4 \(relu of \+ aux\)/);
  });

  it('checks arguments: dtypes, counts and bounds (a RangeError, not a crash)', () => {
    const a = new Float32Array(6), b = new Float32Array(12), c = new Float32Array(8);
    const st = Float64Array.from([3, 1, 4, 1, 4, 1]);
    const off = new Float64Array(3);
    expect(() => addon!.gemm(0, 2, 4, 3, a, b, c, off, st, 1, 0)).not.toThrow();
    expect(() => addon!.gemm(0, 2, 4, 3, a, b, c, Float64Array.from([0, 1, 0]), st, 1, 0)).toThrow(RangeError);
    expect(() => addon!.gemm(0, 3, 4, 3, a, b, c, off, st, 1, 0)).toThrow(/reaches elements/);
    expect(() => addon!.gemm(1, 2, 4, 3, a, b, c, off, st, 1, 0)).toThrow(/Float64Array/);
    expect(() => addon!.gemm(0, 2, 4, 3, a, b, c, new Float64Array(2), st, 1, 0)).toThrow(/3 numbers per matrix/);
    expect(() => addon!.gemm(0, -1, 4, 3, a, b, c, off, st, 1, 0)).toThrow(RangeError);
  });
});
