import { advanceRandomState, isContiguous, type RandomKernel, type TypedArray, type View } from '@symgrad/core';
import type { BufferTable, KernelStep } from './kernel-step.js';
import { checkView, shapeSize } from './view-check.js';

/**
 * The `random` kernel in TypeScript: core's `fillRandom` (Philox-4x32-10, see
 * @symgrad/core's random/philox.ts for the semantics) written as one tight loop per
 * distribution that fills the output typed array in place and allocates nothing per element.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_M23 = 2 ** -23;
const TWO_M32 = 2 ** -32;
const TWO_PI = 2 * Math.PI;

// The multipliers' 16-bit halves, for the high word of a 32×32-bit product.
const M0_LO = M0 & 0xffff;
const M0_HI = M0 >>> 16;
const M1_LO = M1 & 0xffff;
const M1_HI = M1 >>> 16;

/**
 * The high 32 bits of a·m (a, m as uint32 bit patterns; m = mHi·2¹⁶ + mLo) as an int32 bit
 * pattern, from four 16×16-bit products that each fit 32 bits (JavaScript has no 64-bit
 * integer multiply short of BigInt). Measured faster in V8 than a split into two exact
 * 48-bit double products with Math.floor.
 */
function mulhi(a: number, mLo: number, mHi: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const lh = al * mHi;
  const hl = ah * mLo;
  const mid = ((al * mLo) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * mHi + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0;
}

/** Philox-4x32-10 of counter (c0, c1, 0, 0) under key (k0, k1), into `w` (words as int32 bit patterns). */
function philoxBlock(c0: number, c1: number, k0: number, k1: number, w: Int32Array): void {
  let c2 = 0;
  let c3 = 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) | 0;
      k1 = (k1 + W1) | 0;
    }
    const hi0 = mulhi(c0, M0_LO, M0_HI);
    const lo0 = Math.imul(M0, c0);
    const hi1 = mulhi(c2, M1_LO, M1_HI);
    const lo1 = Math.imul(M1, c2);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  w[0] = c0;
  w[1] = c1;
  w[2] = c2;
  w[3] = c3;
}

/** Where and what to draw: the state words (int32 bit patterns) and the output's first element and length. */
interface Draw {
  k0: number;
  k1: number;
  lo: number;
  hi: number;
  out: TypedArray;
  start: number;
  n: number;
}

/**
 * Calls `block(w, p, count)` for each Philox block of a draw, where p is the output index of
 * its first word and count (1..4) how many of its words the output takes.
 */
function forEachBlock(d: Draw, w: Int32Array, block: (w: Int32Array, p: number, count: number) => void): void {
  let lo = d.lo;
  let hi = d.hi;
  const end = d.start + d.n;
  for (let p = d.start; p < end; p += 4) {
    philoxBlock(lo, hi, d.k0, d.k1, w);
    block(w, p, Math.min(4, end - p));
    lo = (lo + 1) | 0;
    if (lo === 0) hi = (hi + 1) | 0;
  }
}

function fillBits(d: Draw, w: Int32Array): void {
  const out = d.out;
  forEachBlock(d, w, (w, p, count) => {
    for (let j = 0; j < count; j++) out[p + j] = w[j]!;
  });
}

function fillUniform(d: Draw, w: Int32Array, f32: boolean): void {
  const out = d.out;
  if (f32) forEachBlock(d, w, (w, p, count) => {
    for (let j = 0; j < count; j++) out[p + j] = ((w[j]! >>> 9) + 0.5) * TWO_M23;
  });
  else forEachBlock(d, w, (w, p, count) => {
    for (let j = 0; j < count; j++) out[p + j] = ((w[j]! >>> 0) + 0.5) * TWO_M32;
  });
}

// Box–Muller on the word pairs (0, 1) and (2, 3). The uniforms are those of the output dtype;
// the math is float64 (JavaScript has no float32 log or sin), rounded once by the store.
function fillNormal(d: Draw, w: Int32Array, f32: boolean): void {
  const out = d.out;
  forEachBlock(d, w, (w, p, count) => {
    for (let j = 0; j < count; j += 2) {
      const u1 = f32 ? ((w[j]! >>> 9) + 0.5) * TWO_M23 : ((w[j]! >>> 0) + 0.5) * TWO_M32;
      const u2 = f32 ? ((w[j + 1]! >>> 9) + 0.5) * TWO_M23 : ((w[j + 1]! >>> 0) + 0.5) * TWO_M32;
      const r = Math.sqrt(-2 * Math.log(u1));
      const theta = TWO_PI * u2;
      out[p + j] = r * Math.cos(theta);
      if (j + 1 < count) out[p + j + 1] = r * Math.sin(theta);
    }
  });
}


/**
 * Checks a random kernel's views and dtypes (the native path relies on these checks too):
 * an int32 state and next of 4 contiguous words, next not overlapping the state, and a
 * contiguous output of the kernel's dtype (int32 for bits, float32 or float64 otherwise).
 */
export function checkRandom(k: RandomKernel, buffers: BufferTable): void {
  const word4 = (v: View, what: string) => {
    checkView(v, what, buffers, [4]);
    if (v.strides[0] !== 1) throw new Error(`${what} has stride ${v.strides[0]}: the state is 4 contiguous int32 words`);
    if (buffers.dtype(v.buffer) !== 'int32') throw new Error(`${what} is in a ${buffers.dtype(v.buffer)} buffer, expected int32`);
  };
  word4(k.state, 'state');
  if (k.next) {
    word4(k.next, 'next');
    if (k.next.buffer === k.state.buffer && Math.abs(k.next.offset - k.state.offset) < 4) throw new Error('next overlaps state');
  }
  const want = k.distribution === 'bits' ? ['int32'] : ['float32', 'float64'];
  if (!want.includes(k.dtype)) throw new Error(`${k.distribution} draws ${want.join(' or ')}, not ${k.dtype}`);
  checkView(k.output, 'output', buffers);
  if (buffers.dtype(k.output.buffer) !== k.dtype) throw new Error(`output is in a ${buffers.dtype(k.output.buffer)} buffer, expected ${k.dtype}`);
  if (!isContiguous(k.output)) throw new Error(`output has strides [${k.output.strides.join(', ')}]: random draws into a contiguous view`);
}

/** The TypeScript step of a random kernel (checked first by `checkRandom`). */
export function compileRandom(k: RandomKernel, buffers: BufferTable): KernelStep {
  checkRandom(k, buffers);
  const n = shapeSize(k.output.shape);
  const f32 = k.dtype === 'float32';
  const w = new Int32Array(4);
  const d: Draw = { k0: 0, k1: 0, lo: 0, hi: 0, out: new Float64Array(0), start: k.output.offset, n };
  return (data) => {
    const state = data[k.state.buffer]!;
    const s = k.state.offset;
    d.k0 = state[s]! | 0;
    d.k1 = state[s + 1]! | 0;
    d.lo = state[s + 2]! | 0;
    d.hi = state[s + 3]! | 0;
    d.out = data[k.output.buffer]!;
    if (k.distribution === 'bits') fillBits(d, w);
    else if (k.distribution === 'uniform') fillUniform(d, w, f32);
    else fillNormal(d, w, f32);
    if (k.next) data[k.next.buffer]!.set(advanceRandomState([d.k0, d.k1, d.lo, d.hi], n), k.next.offset);
  };
}
