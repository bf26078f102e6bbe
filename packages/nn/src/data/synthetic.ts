/**
 * The seed experiment's random data: standard normal features and uniformly random class
 * labels, from Philox (so the same seed gives the same data everywhere).
 */
import { NDArray } from '@symgrad/core';
import { fillStandardNormal } from '../philox.js';
import { deriveSeed, PhiloxStream } from '../random-stream.js';
import { Dataset } from './dataset.js';

export interface RandomClassificationOptions {
  /** 1000 by default. */
  readonly rows?: number;
  /** 1000 by default. */
  readonly features?: number;
  /** 10 by default. */
  readonly classes?: number;
  /** 0 by default. */
  readonly seed?: number;
}

/**
 * Random features x ~ N(0, 1) (float32 [rows, features]) and random labels y (int32 [rows],
 * uniform over `classes`): the data of the seed experiment (1000 × 1000, 10 classes; the
 * first 800 rows train, the rest test).
 *
 * @example
 * ```ts
 * const [train, test] = randomClassification({ seed: 1 }).split(800);
 * ```
 */
export function randomClassification(options: RandomClassificationOptions = {}): Dataset {
  const rows = options.rows ?? 1000;
  const features = options.features ?? 1000;
  const classes = options.classes ?? 10;
  const seed = options.seed ?? 0;
  for (const [k, v] of [['rows', rows], ['features', features], ['classes', classes]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`randomClassification: ${k} must be a positive integer, got ${v}`);
  }
  const x = new Float32Array(rows * features);
  fillStandardNormal(x, deriveSeed(seed, 0));
  const y = new Int32Array(rows);
  const rng = new PhiloxStream(deriveSeed(seed, 1));
  for (let i = 0; i < rows; i++) y[i] = Math.min(classes - 1, Math.floor(rng.uniform() * classes));
  return new Dataset(new NDArray('float32', [rows, features], x), new NDArray('int32', [rows], y));
}
