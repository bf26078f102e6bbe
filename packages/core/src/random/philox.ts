/**
 * Philox-4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers:
 * as easy as 1, 2, 3" (SC'11), as in Random123, cuRAND and JAX. A draw is a pure function
 * of (key, counter), so element i of a random array can be computed anywhere (on the host,
 * in any backend's kernel) and every place gets the same bits.
 *
 * This file is the reference of the `random` kernel: every backend is tested against
 * `fillRandom`.
 */
import type { DType } from '../ir/dtype.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_32 = 0x1_0000_0000;

const M0_LO = M0 & 0xffff;
const M0_HI = M0 >>> 16;
const M1_LO = M1 & 0xffff;
const M1_HI = M1 >>> 16;

/**
 * The high 32 bits of a·m (uint32 bit patterns, m = mHi·2¹⁶ + mLo) as an int32 bit pattern,
 * exactly, from 16-bit halves whose partial products fit 32 bits (no BigInt, no float
 * division: the fast form in V8).
 */
function mulhi(a: number, mLo: number, mHi: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const lh = al * mHi;
  const hl = ah * mLo;
  const mid = ((al * mLo) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * mHi + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0;
}

/** Philox-4x32-10 of counter (c0, c1, c2, c3) under key (k0, k1) into `out`, in int32 arithmetic. */
function philoxBlock(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
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
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/**
 * One Philox-4x32-10 block: four uint32 words from a 128-bit counter and a 64-bit key.
 * Writes into `out` (length ≥ 4) and returns it.
 *
 * @example
 * ```ts
 * philox4x32([0, 0, 0, 0], [0, 0]); // Uint32Array [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
 * ```
 */
export function philox4x32(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  philoxBlock(counter[0] | 0, counter[1] | 0, counter[2] | 0, counter[3] | 0, key[0] | 0, key[1] | 0, out);
  return out;
}

/**
 * The Philox key for a seed: any safe integer (negative ones too), split into its low and
 * high 32 bits, so distinct seeds give distinct keys.
 *
 * @example
 * ```ts
 * seedToKey(2 ** 32 + 5); // [5, 1]
 * ```
 */
export function seedToKey(seed: number, who = 'seed'): [number, number] {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new TypeError(`${who}: seed must be a safe integer, got ${typeof seed === 'number' ? seed : typeof seed}`);
  }
  const lo = ((seed % TWO_32) + TWO_32) % TWO_32;
  const hi = Math.floor(seed / TWO_32) >>> 0;
  return [lo, hi];
}

/** What a `random` kernel draws: raw words, uniform numbers in (0, 1), or standard normals. */
export type RandomDistribution = 'uniform' | 'normal' | 'bits';

/** Every RandomDistribution, for validating a `random` kernel and for tests that cover each one. */
export const RANDOM_DISTRIBUTIONS: readonly RandomDistribution[] = ['uniform', 'normal', 'bits'];

/**
 * The int32[4] state of a random stream for a seed: key words (k0, k1) and a 64-bit block
 * offset (lo, hi), all as uint32 bit patterns stored in int32.
 *
 * @example
 * ```ts
 * initialRandomState(42); // Int32Array [42, 0, 0, 0]
 * ```
 */
export function initialRandomState(seed: number): Int32Array {
  const [k0, k1] = seedToKey(seed, 'random state');
  return Int32Array.of(k0 | 0, k1 | 0, 0, 0);
}

/**
 * Philox blocks a draw of `n` elements consumes (four words per block): the number of
 * blocks a kernel computes, and how far the state's offset advances.
 *
 * @example
 * ```ts
 * const blocks = randomBlocks(sizeOf(k.output.shape)); // one thread per block, four outputs each
 * ```
 */
export function randomBlocks(n: number): number {
  return Math.ceil(n / 4);
}

/**
 * The state after drawing `n` elements: the same key, the block offset advanced by
 * ⌈n / 4⌉ with a carry into the high word (modulo 2⁶⁴).
 *
 * @example
 * ```ts
 * advanceRandomState([7, 0, -1, 0], 5); // [7, 0, 1, 1]: 0xffffffff + 2 carries
 * ```
 */
export function advanceRandomState(state: ArrayLike<number>, n: number): [number, number, number, number] {
  const lo = (state[2]! >>> 0) + randomBlocks(n);
  const carry = Math.floor(lo / TWO_32);
  return [state[0]! | 0, state[1]! | 0, lo % TWO_32 | 0, ((state[3]! >>> 0) + carry) | 0];
}

const TWO_M23 = 2 ** -23;
const TWO_M32 = 2 ** -32;

/**
 * A uint32 word as a uniform number in the open interval (0, 1), exactly representable in
 * `dtype`: float32 keeps the top 23 bits, ((w >>> 9) + 0.5)·2⁻²³; float64 uses all 32,
 * (w + 0.5)·2⁻³². Every backend computes the same value bit for bit.
 *
 * @example
 * ```ts
 * wordToUniform(0, 'float32'); // 2⁻²⁴ ≈ 5.96e-8: never 0, so log(u) in Box–Muller is finite
 * ```
 */
export function wordToUniform(word: number, dtype: DType): number {
  return dtype === 'float32' ? ((word >>> 9) + 0.5) * TWO_M23 : ((word >>> 0) + 0.5) * TWO_M32;
}

/** The current block's words in fillRandom (one thread runs JavaScript, so one buffer serves every call). */
const words = new Uint32Array(4);

/**
 * Fills out[start … start + n) as a `random` kernel does (the whole of `out` by default).
 * Element i of the draw comes from the Philox block b = offset + ⌊i / 4⌋ (mod 2⁶⁴) at counter
 * (b_lo, b_hi, 0, 0) under key (k0, k1):
 * - bits: word i mod 4, as an int32 bit pattern;
 * - uniform: `wordToUniform` of word i mod 4;
 * - normal: Box–Muller on the word pairs (0, 1) and (2, 3): with u₁, u₂ their uniforms,
 *   r = √(−2 ln u₁) and θ = 2π·u₂, the even lane is r·cos θ and the odd lane r·sin θ.
 * Values are computed in float64 and rounded as `out` stores them; a backend computes normals
 * in the output dtype's precision. Allocates nothing.
 *
 * @example
 * ```ts
 * const u = new Float64Array(6);
 * fillRandom('uniform', 'float32', initialRandomState(1), u);
 * ```
 */
export function fillRandom(
  distribution: RandomDistribution, dtype: DType, state: ArrayLike<number>, out: { length: number; [i: number]: number },
  start = 0, n = out.length - start,
): void {
  const k0 = state[0]! | 0;
  const k1 = state[1]! | 0;
  let lo = state[2]! | 0;
  let hi = state[3]! | 0;
  const w = words;
  const end = start + n;
  for (let p = start; p < end; p += 4) {
    philoxBlock(lo, hi, 0, 0, k0, k1, w);
    const count = Math.min(4, end - p);
    if (distribution === 'bits') {
      for (let j = 0; j < count; j++) out[p + j] = w[j]! | 0;
    } else if (distribution === 'uniform') {
      for (let j = 0; j < count; j++) out[p + j] = wordToUniform(w[j]!, dtype);
    } else {
      for (let j = 0; j < count; j += 2) {
        const r = Math.sqrt(-2 * Math.log(wordToUniform(w[j]!, dtype)));
        const theta = 2 * Math.PI * wordToUniform(w[j + 1]!, dtype);
        out[p + j] = r * Math.cos(theta);
        if (j + 1 < count) out[p + j + 1] = r * Math.sin(theta);
      }
    }
    lo = (lo + 1) | 0;
    if (lo === 0) hi = (hi + 1) | 0;
  }
}
