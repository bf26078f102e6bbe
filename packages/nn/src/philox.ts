/**
 * Host-side fills from core's Philox-4x32-10 (the generator of the backends' `random`
 * kernel), for initializers and synthetic data: element i depends only on the seed and i.
 */
import { philox4x32, seedToKey } from '@symgrad/core';

export { philox4x32, seedToKey };

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
