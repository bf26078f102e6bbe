import { describe, expect, it } from 'vitest';
import { fillUniform01 } from './philox.js';
import { deriveSeed, permutation, PhiloxStream } from './random-stream.js';

describe('PhiloxStream', () => {
  it('stream 0 continues the stateless fillUniform01 sequence block by block', () => {
    const whole = new Float64Array(12);
    fillUniform01(whole, 9);
    const rng = new PhiloxStream(9);
    const a = new Float64Array(4);
    const b = new Float64Array(8);
    rng.fillUniform(a);
    rng.fillUniform(b);
    expect([...a, ...b]).toEqual([...whole]);
    expect(rng.position).toBe(3);
  });

  it('position can be saved and restored; streams are independent', () => {
    const rng = new PhiloxStream(1);
    rng.uniform();
    const p = rng.position;
    const x = rng.uniform();
    rng.position = p;
    expect(rng.uniform()).toBe(x);
    expect(new PhiloxStream(1, 1).uniform()).not.toBe(new PhiloxStream(1, 0).uniform());
    expect(() => (rng.position = -1)).toThrow('PhiloxStream: position must be a non-negative safe integer, got -1');
    expect(() => new PhiloxStream(1, -1)).toThrow('PhiloxStream: stream must be an integer in [0, 2^32), got -1');
    expect(() => new PhiloxStream(0.5)).toThrow('PhiloxStream: seed must be a safe integer, got 0.5');
  });

  it('deriveSeed gives distinct, reproducible safe integers', () => {
    const seeds = new Set<number>();
    for (let i = 0; i < 100; i++) for (let j = 0; j < 3; j++) seeds.add(deriveSeed(0, i, j));
    expect(seeds.size).toBe(300);
    expect(deriveSeed(5, 1)).toBe(deriveSeed(5, 1));
    expect(deriveSeed(5, 1)).not.toBe(deriveSeed(6, 1));
    expect(deriveSeed(5)).not.toBe(deriveSeed(5, 0, 0));
    for (const s of seeds) expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
    expect(() => deriveSeed(0, -1)).toThrow('deriveSeed: path element 0 must be an integer in [0, 2^32), got -1');
  });

  it('permutation is a seeded permutation', () => {
    const p = permutation(1000, 3);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...permutation(1000, 3)]).toEqual([...p]);
    expect([...permutation(1000, 4)]).not.toEqual([...p]);
    expect(permutation(0, 1).length).toBe(0);
    expect(() => permutation(-1, 0)).toThrow('permutation: n must be an integer in [0, 2^31), got -1');
  });
});
