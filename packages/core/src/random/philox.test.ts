import { describe, expect, it } from 'vitest';
import { advanceRandomState, fillRandom, initialRandomState, philox4x32, seedToKey, wordToUniform } from './philox.js';

describe('philox4x32', () => {
  // Known-answer tests of Random123 (kat_vectors, philox4x32 with 10 rounds).
  it.each([
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ] as const)('matches the Random123 answer for counter %j, key %j', (ctr, key, want) => {
    expect([...philox4x32(ctr, key)]).toEqual(want);
  });
});

describe('seeds and states', () => {
  it('maps distinct seeds to distinct keys, including negative and large ones', () => {
    expect(seedToKey(0)).toEqual([0, 0]);
    expect(seedToKey(-1)).toEqual([0xffffffff, 0xffffffff]);
    expect(seedToKey(2 ** 32)).toEqual([0, 1]);
    expect([...initialRandomState(-1)]).toEqual([-1, -1, 0, 0]);
  });

  it.each([1.5, NaN, Infinity, 2 ** 53, '1'])('rejects seed %s', (s) => {
    expect(() => seedToKey(s as number)).toThrow(/seed must be a safe integer/);
  });

  it('advances the 64-bit block offset by ⌈n/4⌉ with a carry, modulo 2⁶⁴', () => {
    expect(advanceRandomState([7, 8, 0, 0], 0)).toEqual([7, 8, 0, 0]);
    expect(advanceRandomState([7, 8, 0, 0], 1)).toEqual([7, 8, 1, 0]);
    expect(advanceRandomState([7, 8, 0, 0], 8)).toEqual([7, 8, 2, 0]);
    expect(advanceRandomState([7, 8, -1, 5], 5)).toEqual([7, 8, 1, 6]);
    expect(advanceRandomState([7, 8, -2, -1], 9)).toEqual([7, 8, 1, 0]);
  });
});

describe('fillRandom', () => {
  it('element i is word i mod 4 of block offset + ⌊i/4⌋, across the carry', () => {
    const state = [3, 4, -1, 0];
    const bits = new Float64Array(8);
    fillRandom('bits', 'int32', state, bits);
    expect([...bits.subarray(0, 4)]).toEqual([...philox4x32([0xffffffff, 0, 0, 0], [3, 4])].map((w) => w | 0));
    expect([...bits.subarray(4)]).toEqual([...philox4x32([0, 1, 0, 0], [3, 4])].map((w) => w | 0));
  });

  it('a draw continued from the advanced state is the rest of a longer draw', () => {
    const state = initialRandomState(9);
    const whole = new Float64Array(12);
    fillRandom('uniform', 'float64', state, whole);
    const tail = new Float64Array(4);
    fillRandom('uniform', 'float64', advanceRandomState(state, 8), tail);
    expect([...tail]).toEqual([...whole.subarray(8)]);
  });

  it('uniforms are exact in their dtype and strictly inside (0, 1), even for the extreme words', () => {
    for (const w of [0, 1, 255, 256, 0xffffff00, 0xffffffff]) {
      const f32 = wordToUniform(w, 'float32');
      expect(Math.fround(f32)).toBe(f32);
      expect(f32 > 0 && f32 < 1).toBe(true);
      const f64 = wordToUniform(w, 'float64');
      expect(f64 > 0 && f64 < 1).toBe(true);
    }
    const u = new Float64Array(4096);
    fillRandom('uniform', 'float32', initialRandomState(5), u);
    const mean = u.reduce((a, b) => a + b, 0) / u.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });

  it('normals have mean 0 and variance 1 (within sampling error) and follow Box–Muller lane by lane', () => {
    const z = new Float64Array(20000);
    fillRandom('normal', 'float64', initialRandomState(77), z);
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    const w = philox4x32([0, 0, 0, 0], [77, 0]);
    const r = Math.sqrt(-2 * Math.log(wordToUniform(w[2]!, 'float64')));
    const theta = 2 * Math.PI * wordToUniform(w[3]!, 'float64');
    expect(z[2]).toBe(r * Math.cos(theta));
    expect(z[3]).toBe(r * Math.sin(theta));
  });
});
