import { describe, expect, it } from 'vitest';
import { fillStandardNormal, fillUniform01 } from './philox.js';

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
