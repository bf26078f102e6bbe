/**
 * Host-side data augmentation for image rows, applied per minibatch during `fit` (the
 * Trainer's `augment` option). Seeded by (seed, epoch, step), so runs are reproducible.
 */
import { NDArray } from '@symgrad/core';
import { deriveSeed, PhiloxStream } from '../random-stream.js';
import type { Batch } from './dataset.js';

/** What an augmentation gets besides the batch: where it is in training. Epochs and steps count from 1. */
export interface AugmentInfo {
  readonly epoch: number;
  readonly step: number;
}

/** A function from a batch to a new batch of the same shapes. */
export type Augment = (batch: Batch, info: AugmentInfo) => Batch;

export interface RandomShiftOptions {
  /** Image height in pixels (rows are height × width, or [height, width] per example). */
  readonly height: number;
  readonly width: number;
  /** Largest shift in pixels along each axis; 2 by default. */
  readonly maxShift?: number;
  /** 0 by default. */
  readonly seed?: number;
}

/**
 * Shifts each image by a random whole number of pixels in [−maxShift, maxShift] along each
 * axis, filling with zeros (for digits on a black background, such as MNIST).
 *
 * @example
 * ```ts
 * await trainer.fit(train, { epochs: 10, augment: randomShift({ height: 28, width: 28, maxShift: 2 }) });
 * ```
 */
export function randomShift(options: RandomShiftOptions): Augment {
  const { height: h, width: w } = options ?? ({} as RandomShiftOptions);
  const maxShift = options?.maxShift ?? 2;
  for (const [k, v] of [['height', h], ['width', w]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`randomShift: ${k} must be a positive integer, got ${String(v)}`);
  }
  if (!Number.isInteger(maxShift) || maxShift < 0) throw new RangeError(`randomShift: maxShift must be a non-negative integer, got ${String(maxShift)}`);
  const seed = options.seed ?? 0;
  return (batch, info) => {
    const { x } = batch;
    const pixels = x.shape.slice(1).reduce((a, b) => a * b, 1);
    if (pixels !== h * w) throw new Error(`randomShift: rows have ${pixels} values but ${h} × ${w} images need ${h * w}`);
    if (x.dtype !== 'float32') throw new Error(`randomShift: x must be float32, got ${x.dtype}`);
    const rng = new PhiloxStream(deriveSeed(seed, info.epoch, info.step));
    const out = new Float32Array(x.size);
    const span = 2 * maxShift + 1;
    for (let n = 0; n < batch.size; n++) {
      const b = rng.nextBlock();
      const dy = (b[0]! % span) - maxShift;
      const dx = (b[1]! % span) - maxShift;
      const base = n * pixels;
      for (let r = 0; r < h; r++) {
        const sr = r - dy;
        if (sr < 0 || sr >= h) continue;
        for (let c = 0; c < w; c++) {
          const sc = c - dx;
          if (sc >= 0 && sc < w) out[base + r * w + c] = x.data[base + sr * w + sc]!;
        }
      }
    }
    return { ...batch, x: new NDArray('float32', x.shape, out) };
  };
}
