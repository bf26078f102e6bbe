import type { TypedArray } from '@symgrad/core';

/**
 * A cache-blocked GEMM in plain JavaScript (the GotoBLAS loop structure): C = op(A)·op(B)
 * accumulated in float64. Panels of A (MC×KC) and B (KC×NC) are packed into contiguous
 * float64 scratch, zero-padded to the register block, and a 4×4 micro-kernel keeps its 16
 * accumulators in locals. Each block of C (up to MCC×NC) is accumulated in float64 scratch
 * across every K block and then handed to a `flush` callback, which applies alpha, beta and
 * any epilogue and stores into the output's dtype: float32 results are rounded once.
 *
 * The scratch is allocated once (about 1.2 MB) and reused by every call: a steady state
 * allocates nothing. JavaScript runs one call at a time, so one workspace serves all.
 */

/** Register block: rows of A and columns of B per micro-kernel call. */
export const MR = 4;
export const NR = 4;
/** Cache blocks: depth of a packed panel, rows of a packed A block, columns of a packed B panel. */
export const KC = 256;
export const MC = 64;
export const NC = 256;
/** Rows of C accumulated at once (a multiple of MC). */
export const MCC = 256;

/**
 * Receives a finished float64 block of C: element (i, j) of the block is
 * `acc[i * ldc + j]` for i < rows, j < cols, and lands at C(row0 + i, col0 + j).
 */
export type Flush = (acc: Float64Array, ldc: number, row0: number, rows: number, col0: number, cols: number) => void;

type MicroKernel = (kc: number, pa: number, pb: number, pc: number, ldc: number, first: boolean) => void;

interface Workspace {
  readonly ap: Float64Array;
  readonly bp: Float64Array;
  readonly acc: Float64Array;
  readonly micro: MicroKernel;
}

/**
 * The 4×4 micro-kernel over packed panels: C[pc…] (+)= Ap[pa…]ᵀ·Bp[pb…] for kc steps.
 * The arrays are bound once, so the engine sees fixed typed arrays in the hot loop.
 */
function makeMicroKernel(ap: Float64Array, bp: Float64Array, c: Float64Array): MicroKernel {
  return (kc, pa, pb, pc, ldc, first) => {
    let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
    let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
    for (let p = 0; p < kc; p++) {
      const a0 = ap[pa]!, a1 = ap[pa + 1]!, a2 = ap[pa + 2]!, a3 = ap[pa + 3]!;
      const b0 = bp[pb]!, b1 = bp[pb + 1]!, b2 = bp[pb + 2]!, b3 = bp[pb + 3]!;
      c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
      c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
      c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
      c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      pa += 4;
      pb += 4;
    }
    if (!first) {
      c00 += c[pc]!; c01 += c[pc + 1]!; c02 += c[pc + 2]!; c03 += c[pc + 3]!;
      c10 += c[pc + ldc]!; c11 += c[pc + ldc + 1]!; c12 += c[pc + ldc + 2]!; c13 += c[pc + ldc + 3]!;
      c20 += c[pc + 2 * ldc]!; c21 += c[pc + 2 * ldc + 1]!; c22 += c[pc + 2 * ldc + 2]!; c23 += c[pc + 2 * ldc + 3]!;
      c30 += c[pc + 3 * ldc]!; c31 += c[pc + 3 * ldc + 1]!; c32 += c[pc + 3 * ldc + 2]!; c33 += c[pc + 3 * ldc + 3]!;
    }
    c[pc] = c00; c[pc + 1] = c01; c[pc + 2] = c02; c[pc + 3] = c03;
    pc += ldc;
    c[pc] = c10; c[pc + 1] = c11; c[pc + 2] = c12; c[pc + 3] = c13;
    pc += ldc;
    c[pc] = c20; c[pc + 1] = c21; c[pc + 2] = c22; c[pc + 3] = c23;
    pc += ldc;
    c[pc] = c30; c[pc + 1] = c31; c[pc + 2] = c32; c[pc + 3] = c33;
  };
}

let workspace: Workspace | undefined;

function getWorkspace(): Workspace {
  if (!workspace) {
    const ap = new Float64Array(MC * KC);
    const bp = new Float64Array(KC * NC);
    const acc = new Float64Array(MCC * NC);
    workspace = { ap, bp, acc, micro: makeMicroKernel(ap, bp, acc) };
  }
  return workspace;
}

/**
 * Packs rows i0…i0+mc of op(A) over depth p0…p0+kc into MR-row micro-panels (p-major within
 * a panel), zero-padding the last panel. op(A)(i, p) is `a[off + i·rs + p·cs]`.
 */
function packA(a: TypedArray, off: number, rs: number, cs: number, i0: number, mc: number, p0: number, kc: number, ap: Float64Array): void {
  let q = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    const base = off + (i0 + ir) * rs + p0 * cs;
    if (rows === MR) {
      let x0 = base, x1 = base + rs, x2 = base + 2 * rs, x3 = base + 3 * rs;
      for (let p = 0; p < kc; p++) {
        ap[q] = a[x0]!; ap[q + 1] = a[x1]!; ap[q + 2] = a[x2]!; ap[q + 3] = a[x3]!;
        q += 4; x0 += cs; x1 += cs; x2 += cs; x3 += cs;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) ap[q++] = r < rows ? a[base + r * rs + p * cs]! : 0;
      }
    }
  }
}

/**
 * Packs columns j0…j0+nc of op(B) over depth p0…p0+kc into NR-column micro-panels
 * (p-major), zero-padding the last panel. op(B)(p, j) is `b[off + p·rs + j·cs]`.
 */
function packB(b: TypedArray, off: number, rs: number, cs: number, p0: number, kc: number, j0: number, nc: number, bp: Float64Array): void {
  let q = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    let x = off + p0 * rs + (j0 + jr) * cs;
    if (cols === NR) {
      for (let p = 0; p < kc; p++) {
        bp[q] = b[x]!; bp[q + 1] = b[x + cs]!; bp[q + 2] = b[x + 2 * cs]!; bp[q + 3] = b[x + 3 * cs]!;
        q += 4; x += rs;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let c = 0; c < NR; c++) bp[q++] = c < cols ? b[x + c * cs]! : 0;
        x += rs;
      }
    }
  }
}

/**
 * C(m×n) = op(A)(m×k) · op(B)(k×n), handed to `flush` block by block in float64.
 * op(A)(i, p) = a[aOff + i·aRs + p·aCs]; op(B)(p, j) = b[bOff + p·bRs + j·bCs].
 */
export function gemm(
  m: number, n: number, k: number,
  a: TypedArray, aOff: number, aRs: number, aCs: number,
  b: TypedArray, bOff: number, bRs: number, bCs: number,
  flush: Flush,
): void {
  if (m === 0 || n === 0) return;
  const ws = getWorkspace();
  const { ap, bp, acc, micro } = ws;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const ldc = Math.ceil(nc / NR) * NR;
    for (let icc = 0; icc < m; icc += MCC) {
      const mcc = Math.min(MCC, m - icc);
      if (k === 0) acc.fill(0, 0, mcc * ldc);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packB(b, bOff, bRs, bCs, pc, kc, jc, nc, bp);
        for (let ic = icc; ic < icc + mcc; ic += MC) {
          const mc = Math.min(MC, icc + mcc - ic);
          packA(a, aOff, aRs, aCs, ic, mc, pc, kc, ap);
          const rowBase = (ic - icc) * ldc;
          for (let jr = 0; jr < ldc; jr += NR) {
            for (let ir = 0; ir < mc; ir += MR) micro(kc, ir * kc, jr * kc, rowBase + ir * ldc + jr, ldc, pc === 0);
          }
        }
      }
      flush(acc, ldc, icc, mcc, jc, nc);
    }
  }
}
