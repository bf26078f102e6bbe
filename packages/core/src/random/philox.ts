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

/** The high 32 bits of the 64-bit product of two uint32s (exact; no BigInt). */
function mulhi(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + Math.floor(lh / 0x10000) + Math.floor(hl / 0x10000) + Math.floor(mid / 0x10000)) >>> 0;
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
  let c0 = counter[0] >>> 0;
  let c1 = counter[1] >>> 0;
  let c2 = counter[2] >>> 0;
  let c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
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

/** Philox blocks a draw of `n` elements consumes (four words per block). */
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
 */
export function wordToUniform(word: number, dtype: DType): number {
  return dtype === 'float32' ? ((word >>> 9) + 0.5) * TWO_M23 : ((word >>> 0) + 0.5) * TWO_M32;
}

/**
 * Fills `out` as a `random` kernel does. Element i comes from the Philox block
 * b = offset + ⌊i / 4⌋ (mod 2⁶⁴) at counter (b_lo, b_hi, 0, 0) under key (k0, k1):
 * - bits: word i mod 4, as an int32 bit pattern;
 * - uniform: `wordToUniform` of word i mod 4;
 * - normal: Box–Muller on the word pairs (0, 1) and (2, 3): with u₁, u₂ their uniforms,
 *   r = √(−2 ln u₁) and θ = 2π·u₂, the even lane is r·cos θ and the odd lane r·sin θ.
 * Values here are float64; a backend computes normals in the output dtype's precision.
 *
 * @example
 * ```ts
 * const u = new Float64Array(6);
 * fillRandom('uniform', 'float32', initialRandomState(1), u);
 * ```
 */
export function fillRandom(distribution: RandomDistribution, dtype: DType, state: ArrayLike<number>, out: { length: number; [i: number]: number }): void {
  const key: [number, number] = [state[0]! >>> 0, state[1]! >>> 0];
  const lo = state[2]! >>> 0;
  const hi = state[3]! >>> 0;
  const ctr: [number, number, number, number] = [0, 0, 0, 0];
  const w = new Uint32Array(4);
  const n = out.length;
  for (let base = 0; base < n; base += 4) {
    const b = lo + base / 4;
    ctr[0] = b % TWO_32;
    ctr[1] = (hi + Math.floor(b / TWO_32)) % TWO_32;
    philox4x32(ctr, key, w);
    for (let j = 0; j < 4 && base + j < n; j++) {
      if (distribution === 'bits') out[base + j] = w[j]! | 0;
      else if (distribution === 'uniform') out[base + j] = wordToUniform(w[j]!, dtype);
      else {
        const p = j & 2;
        const r = Math.sqrt(-2 * Math.log(wordToUniform(w[p]!, dtype)));
        const theta = 2 * Math.PI * wordToUniform(w[p + 1]!, dtype);
        out[base + j] = (j & 1) === 0 ? r * Math.cos(theta) : r * Math.sin(theta);
      }
    }
  }
}
