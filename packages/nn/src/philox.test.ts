import { describe, expect, it } from 'vitest';
import { fillStandardNormal, fillUniform01, philox4x32, seedToKey } from './philox.js';

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

describe('seeds', () => {
  it('maps distinct seeds to distinct keys, including negative and large ones', () => {
    expect(seedToKey(0)).toEqual([0, 0]);
    expect(seedToKey(1)).toEqual([1, 0]);
    expect(seedToKey(-1)).toEqual([0xffffffff, 0xffffffff]);
    expect(seedToKey(2 ** 32)).toEqual([0, 1]);
    expect(seedToKey(Number.MAX_SAFE_INTEGER)).toEqual([0xffffffff, 0x1fffff]);
  });

  it.each([1.5, NaN, Infinity, 2 ** 53, '1'])('rejects seed %s', (s) => {
    expect(() => seedToKey(s as number)).toThrow(/seed must be a safe integer/);
  });
});

describe('streams', () => {
  it('uniforms lie in (0, 1) and depend only on the element index (a prefix of a longer draw is the shorter draw)', () => {
    const a = new Float64Array(10);
    const b = new Float64Array(1001);
    fillUniform01(a, 7);
    fillUniform01(b, 7);
    expect([...b.subarray(0, 10)]).toEqual([...a]);
    for (const v of b) expect(v > 0 && v < 1).toBe(true);
  });

  it('normals depend only on the element index too', () => {
    const a = new Float64Array(7);
    const b = new Float64Array(64);
    fillStandardNormal(a, 3);
    fillStandardNormal(b, 3);
    expect([...b.subarray(0, 7)]).toEqual([...a]);
    expect(b.every(Number.isFinite)).toBe(true);
  });
});
