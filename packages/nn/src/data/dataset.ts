/**
 * In-memory datasets of (x, y) NDArrays with seeded shuffling and minibatches. `x` is one
 * NDArray, or one per input for a model of several inputs (a FunctionalModel's).
 */
import { NDArray, type TypedArray } from '@symgrad/core';
import { deriveSeed, permutation } from '../random-stream.js';

/** A model's inputs for some rows: one NDArray, or one per input of a model of several, each with the same rows. */
export type Features = NDArray | readonly NDArray[];

/** One minibatch. */
export interface Batch<X extends Features = NDArray, Y extends Features = NDArray> {
  readonly x: X;
  readonly y: Y;
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
  /**
   * Groups rows of similar `lengths` (one per row: a text's ids before its padding) in batches,
   * as a bucket iterator does: each run of `bucket.batches` batches' rows (in the shuffled
   * order) is sorted by length and cut into batches, whose order is then shuffled. With
   * `trimPadding`, batches of short texts run short.
   */
  readonly bucket?: { readonly lengths: ArrayLike<number>; readonly batches: number };
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

/** The rows of every array of `x` (see `takeRows`). */
function takeFeatureRows<X extends Features>(x: X, rows: Int32Array | { start: number; end: number }): X {
  return (Array.isArray(x) ? x.map((a: NDArray) => takeRows(a, rows)) : takeRows(x as NDArray, rows)) as X;
}

/**
 * Features `x` ([n, …], or one such NDArray per input of a model of several inputs) and
 * targets `y` ([n, …], or one per output of a model trained on several) held in memory.
 *
 * @example
 * ```ts
 * const data = new Dataset(x, y);               // NDArrays with n rows each
 * const [train, test] = data.split(800);
 * for (const batch of train.batches(32, { shuffle: true, seed: 1, epoch: 0 })) { … }
 * const pairs = new Dataset([source, target], labels);   // two inputs
 * ```
 */
export class Dataset<X extends Features = NDArray, Y extends Features = NDArray> {
  readonly x: X;
  readonly y: Y;

  constructor(x: X, y: Y) {
    const xs: readonly unknown[] = Array.isArray(x) ? x : [x];
    const ys: readonly unknown[] = Array.isArray(y) ? y : [y];
    if (xs.length === 0 || xs.some((a) => !(a instanceof NDArray)) || ys.length === 0 || ys.some((a) => !(a instanceof NDArray))) {
      throw new TypeError('Dataset: x (an NDArray, or a non-empty array of NDArrays, one per model input) and y must be NDArrays');
    }
    const [inputs, targets] = [xs as readonly NDArray[], ys as readonly NDArray[]];
    if (inputs.some((a) => a.ndim < 1) || targets.some((a) => a.ndim < 1)) throw new Error('Dataset: x and y need a leading row axis');
    const rows = targets[0]!.shape[0];
    const name = (what: string, list: readonly NDArray[], i: number) => `${what}${list.length > 1 ? `[${i}]` : ''}`;
    inputs.forEach((a, i) => {
      if (a.shape[0] !== rows) throw new Error(`Dataset: ${name('x', inputs, i)} has ${a.shape[0]} rows but ${name('y', targets, 0)} has ${rows}`);
    });
    targets.forEach((a, i) => {
      if (a.shape[0] !== rows) throw new Error(`Dataset: ${name('y', targets, i)} has ${a.shape[0]} rows but y[0] has ${rows}`);
    });
    this.x = (Array.isArray(x) ? [...x] : x) as X;
    this.y = (Array.isArray(y) ? [...y] : y) as Y;
  }

  /** The number of rows. */
  get length(): number {
    return this.targets[0]!.shape[0]!;
  }

  /** The arrays of `y` as a list (one for a single output). */
  get targets(): readonly NDArray[] {
    return Array.isArray(this.y) ? this.y : [this.y as NDArray];
  }

  /** The arrays of `x` as a list (one for a single input). */
  get inputs(): readonly NDArray[] {
    return Array.isArray(this.x) ? this.x : [this.x as NDArray];
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
  *batches(batchSize: number, options: BatchOptions = {}): Generator<Batch<X, Y>> {
    checkBatchSize(batchSize);
    const order = options.shuffle ? permutation(this.length, deriveSeed(options.seed ?? 0, options.epoch ?? 0)) : undefined;
    if (options.bucket !== undefined) {
      yield* this.bucketBatches(batchSize, order ?? Int32Array.from({ length: this.length }, (_, i) => i), options);
      return;
    }
    let index = 0;
    for (let start = 0; start < this.length; start += batchSize) {
      const end = Math.min(start + batchSize, this.length);
      const rows = order ? order.subarray(start, end) : { start, end };
      yield { x: takeFeatureRows(this.x, rows), y: takeFeatureRows(this.y, rows), size: end - start, index: index++ };
    }
  }

  /** Batches of rows of similar lengths (see `BatchOptions.bucket`), from rows in `order`. */
  private *bucketBatches(batchSize: number, order: Int32Array, options: BatchOptions): Generator<Batch<X, Y>> {
    const { lengths, batches: per } = options.bucket!;
    if (typeof lengths !== 'object' || lengths === null || lengths.length !== this.length || !Array.from(lengths).every((v) => Number.isInteger(v) && v >= 0)) {
      throw new RangeError(`Dataset.batches: bucket.lengths must hold a non-negative integer length per row (${this.length})`);
    }
    if (!Number.isInteger(per) || per < 1) throw new RangeError(`Dataset.batches: bucket.batches must be a positive integer, got ${JSON.stringify(per)}`);
    const groups: Int32Array[] = [];
    const run = batchSize * per;
    for (let start = 0; start < order.length; start += run) {
      // Stable: rows of one length keep the shuffled order.
      const rows = Array.from(order.subarray(start, Math.min(start + run, order.length))).sort((a, b) => lengths[a]! - lengths[b]!);
      for (let b = 0; b < rows.length; b += batchSize) groups.push(Int32Array.from(rows.slice(b, b + batchSize)));
    }
    const shuffled = options.shuffle ? permutation(groups.length, deriveSeed(deriveSeed(options.seed ?? 0, options.epoch ?? 0), 1)) : Int32Array.from(groups.keys());
    let index = 0;
    for (const g of shuffled) {
      const rows = groups[g]!;
      yield { x: takeFeatureRows(this.x, rows), y: takeFeatureRows(this.y, rows), size: rows.length, index: index++ };
    }
  }

  /** The rows [start, end). */
  slice(start: number, end = this.length): Dataset<X, Y> {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.length || start > end) {
      throw new RangeError(`Dataset.slice: [${start}, ${end}) is not within [0, ${this.length}]`);
    }
    return new Dataset(takeFeatureRows(this.x, { start, end }), takeFeatureRows(this.y, { start, end }));
  }

  /** The first `n` rows and the rest. */
  split(n: number): [Dataset<X, Y>, Dataset<X, Y>] {
    if (!Number.isInteger(n) || n < 0 || n > this.length) throw new RangeError(`Dataset.split: n must be an integer in [0, ${this.length}], got ${n}`);
    return [this.slice(0, n), this.slice(n)];
  }

  /** The rows in a seeded random order. */
  shuffle(seed: number): Dataset<X, Y> {
    const order = permutation(this.length, deriveSeed(seed, 0));
    return new Dataset(takeFeatureRows(this.x, order), takeFeatureRows(this.y, order));
  }
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
}
