/**
 * Deterministic inputs shared by every JavaScript peer: the seed MLP's weights (He-normal
 * from @symgrad/nn, so every peer starts from the same numbers), its inputs and labels.
 */
import { TestRandom } from '@symgrad/core/testing/reference';
import { heNormal } from '@symgrad/nn';

/** The seed workload's fixed sizes (DESIGN.md, "The reference workload"). */
export const SEED = { rows: 800, features: 1000, hidden: 1000, classes: 10, lr: 0.1 } as const;

/** The shape of one MLP f → h → h → c trained on n rows. */
export interface MlpShape {
  readonly rows: number;
  readonly features: number;
  readonly hidden: number;
  readonly classes: number;
}

export const SEED_SHAPE: MlpShape = { rows: SEED.rows, features: SEED.features, hidden: SEED.hidden, classes: SEED.classes };

/** `size` floats uniform in [-1, 1). */
export function uniformF32(size: number, seed: number): Float32Array {
  const rng = new TestRandom(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = 2 * rng.next() - 1;
  return out;
}

/** `size` labels uniform in 0 … classes-1. */
export function labelsI32(size: number, classes: number, seed: number): Int32Array {
  const rng = new TestRandom(seed);
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(rng.next() * classes);
  return out;
}

/** Inputs, labels and initial weights of one MLP, all float32/int32 row-major. */
export interface MlpData {
  readonly shape: MlpShape;
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly w1: Float32Array;
  readonly w2: Float32Array;
  readonly w3: Float32Array;
}

export function mlpData(shape: MlpShape, seed = 0): MlpData {
  const { rows, features, hidden, classes } = shape;
  const w = (dims: number[], s: number): Float32Array => heNormal(dims, { seed: s }).data as Float32Array;
  return {
    shape,
    x: uniformF32(rows * features, seed + 1),
    y: labelsI32(rows, classes, seed + 2),
    w1: w([features, hidden], seed + 3),
    w2: w([hidden, hidden], seed + 4),
    w3: w([hidden, classes], seed + 5),
  };
}
