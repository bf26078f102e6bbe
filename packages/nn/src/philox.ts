/**
 * Philox-4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers:
 * as easy as 1, 2, 3" (SC'11), as in Random123, cuRAND and JAX. A draw is a pure function
 * of (key, counter), so element i of a random array can be computed anywhere (on the host
 * here, in a backend's kernel later) and every place gets the same number.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

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
  const lo = ((seed % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000;
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
  return [lo, hi];
}

/** 2^-32: turns a uint32 into a fraction. */
const INV_2_32 = 1 / 0x1_0000_0000;

/**
 * Fills `out` with uniform numbers in the open interval (0, 1): element i is word i % 4 of
 * the Philox block at counter (⌊i / 4⌋, 0, 0, 0) under the seed's key, as (word + 0.5) / 2³².
 *
 * @example
 * ```ts
 * const u = new Float64Array(8);
 * fillUniform01(u, 42);
 * ```
 */
export function fillUniform01(out: Float64Array | Float32Array, seed: number): void {
  const key = seedToKey(seed);
  const block = new Uint32Array(4);
  const ctr: [number, number, number, number] = [0, 0, 0, 0];
  const n = out.length;
  for (let i = 0; i < n; i += 4) {
    ctr[0] = (i / 4) % 0x1_0000_0000;
    ctr[1] = Math.floor(i / 4 / 0x1_0000_0000);
    philox4x32(ctr, key, block);
    for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (block[j]! + 0.5) * INV_2_32;
  }
}

/**
 * Fills `out` with standard normal numbers by the Box–Muller transform: words (0, 1) and
 * (2, 3) of the Philox block at counter (⌊i / 4⌋, 0, 0, 0) give elements 4⌊i/4⌋ … 4⌊i/4⌋ + 3
 * as r·cos θ, r·sin θ with r = √(−2 ln u₁), θ = 2π u₂ and u = (word + 0.5) / 2³².
 *
 * @example
 * ```ts
 * const z = new Float32Array(8);
 * fillStandardNormal(z, 42);
 * ```
 */
export function fillStandardNormal(out: Float64Array | Float32Array, seed: number): void {
  const key = seedToKey(seed);
  const block = new Uint32Array(4);
  const ctr: [number, number, number, number] = [0, 0, 0, 0];
  const n = out.length;
  const TWO_PI = 2 * Math.PI;
  for (let i = 0; i < n; i += 4) {
    ctr[0] = (i / 4) % 0x1_0000_0000;
    ctr[1] = Math.floor(i / 4 / 0x1_0000_0000);
    philox4x32(ctr, key, block);
    for (let p = 0; p < 2; p++) {
      const u1 = (block[2 * p]! + 0.5) * INV_2_32;
      const u2 = (block[2 * p + 1]! + 0.5) * INV_2_32;
      const r = Math.sqrt(-2 * Math.log(u1));
      const theta = TWO_PI * u2;
      const k = i + 2 * p;
      if (k < n) out[k] = r * Math.cos(theta);
      if (k + 1 < n) out[k + 1] = r * Math.sin(theta);
    }
  }
}
