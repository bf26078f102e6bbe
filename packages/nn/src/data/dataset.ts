/**
 * In-memory datasets of (x, y) NDArrays with seeded shuffling and minibatches.
 */
import { NDArray, type TypedArray } from '@symgrad/core';
import { deriveSeed, permutation } from '../random-stream.js';

/** One minibatch. */
export interface Batch {
  readonly x: NDArray;
  readonly y: NDArray;
  /** Rows in this batch (the last batch of an epoch may be smaller). */
  readonly size: number;
  /** 0-based index of the batch within the epoch. */
  readonly index: number;
}

export interface BatchOptions {
  /** Shuffle the rows (a new order each epoch); false by default. */
  readonly shuffle?: boolean;
  /** Seed of the order; 0 by default. */
  readonly seed?: number;
  /** Epoch number: with the seed, picks the order. */
  readonly epoch?: number;
}

/**
 * Rows of `a` at the given indices (or the range [start, end)), as a new NDArray.
 *
 * @example
 * ```ts
 * takeRows(x, Int32Array.from([3, 1]));
 * ```
 */
export function takeRows(a: NDArray, rows: Int32Array | { start: number; end: number }): NDArray {
  const rowSize = a.shape.slice(1).reduce((p, d) => p * d, 1);
  if (!(rows instanceof Int32Array)) {
    return new NDArray(a.dtype, [rows.end - rows.start, ...a.shape.slice(1)], a.data.slice(rows.start * rowSize, rows.end * rowSize) as TypedArray);
  }
  const out = new (a.data.constructor as new (n: number) => TypedArray)(rows.length * rowSize);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out.set(a.data.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  }
  return new NDArray(a.dtype, [rows.length, ...a.shape.slice(1)], out);
}

/**
 * Features `x` ([n, …]) and targets `y` ([n, …]) held in memory.
 *
 * @example
 * ```ts
 * const data = new Dataset(x, y);               // NDArrays with n rows each
 * const [train, test] = data.split(800);
 * for (const batch of train.batches(32, { shuffle: true, seed: 1, epoch: 0 })) { … }
 * ```
 */
export class Dataset {
  readonly x: NDArray;
  readonly y: NDArray;

  constructor(x: NDArray, y: NDArray) {
    if (!(x instanceof NDArray) || !(y instanceof NDArray)) throw new TypeError('Dataset: x and y must be NDArrays');
    if (x.ndim < 1 || y.ndim < 1) throw new Error('Dataset: x and y need a leading row axis');
    if (x.shape[0] !== y.shape[0]) throw new Error(`Dataset: x has ${x.shape[0]} rows but y has ${y.shape[0]}`);
    this.x = x;
    this.y = y;
  }

  /** The number of rows. */
  get length(): number {
    return this.x.shape[0]!;
  }

  /** How many batches an epoch has: ⌈length / batchSize⌉. */
  numBatches(batchSize: number): number {
    checkBatchSize(batchSize);
    return Math.ceil(this.length / batchSize);
  }

  /**
   * The minibatches of one epoch, in order or shuffled by (seed, epoch). The last batch
   * holds the remainder when `batchSize` does not divide the length.
   */
  *batches(batchSize: number, options: BatchOptions = {}): Generator<Batch> {
    checkBatchSize(batchSize);
    const order = options.shuffle ? permutation(this.length, deriveSeed(options.seed ?? 0, options.epoch ?? 0)) : undefined;
    let index = 0;
    for (let start = 0; start < this.length; start += batchSize) {
      const end = Math.min(start + batchSize, this.length);
      const rows = order ? order.subarray(start, end) : { start, end };
      yield { x: takeRows(this.x, rows), y: takeRows(this.y, rows), size: end - start, index: index++ };
    }
  }

  /** The rows [start, end). */
  slice(start: number, end = this.length): Dataset {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.length || start > end) {
      throw new RangeError(`Dataset.slice: [${start}, ${end}) is not within [0, ${this.length}]`);
    }
    return new Dataset(takeRows(this.x, { start, end }), takeRows(this.y, { start, end }));
  }

  /** The first `n` rows and the rest. */
  split(n: number): [Dataset, Dataset] {
    if (!Number.isInteger(n) || n < 0 || n > this.length) throw new RangeError(`Dataset.split: n must be an integer in [0, ${this.length}], got ${n}`);
    return [this.slice(0, n), this.slice(n)];
  }

  /** The rows in a seeded random order. */
  shuffle(seed: number): Dataset {
    const order = permutation(this.length, deriveSeed(seed, 0));
    return new Dataset(takeRows(this.x, order), takeRows(this.y, order));
  }
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
}
