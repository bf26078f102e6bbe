/**
 * Batches of padded sequences cut to their longest sequence (PyTorch's padding per batch,
 * Keras's bucketing by length): the steps after the last real id of every row go, so a batch
 * of short texts runs short. Models run on any length their layers take, and the Trainer
 * compiles one function per length it meets (`multiple` rounds lengths up to bound them).
 */
import { NDArray } from '@symgrad/core';
import type { Batch, Features } from '../data/dataset.js';

/** How batches of padded ids are cut (`FitOptions.trimPadding`). */
export interface TrimPaddingOptions {
  /** The id that pads the sequences at their end; 0 by default. */
  readonly padId?: number;
  /** Cut lengths are rounded up to a multiple of this (fewer lengths, fewer compiled functions); 1 by default. */
  readonly multiple?: number;
  /**
   * In training, batch texts of similar lengths together: each run of `bucket` batches' rows
   * (shuffled) is sorted by length before it is cut into batches, whose order is shuffled
   * (`Dataset.batches`'s `bucket`). Off by default.
   */
  readonly bucket?: number;
}

/** The options checked, with their defaults; throws naming `who`. */
export function checkTrimPadding(who: string, o: TrimPaddingOptions | undefined): (Required<Omit<TrimPaddingOptions, 'bucket'>> & { bucket?: number }) | undefined {
  if (o === undefined) return undefined;
  if (typeof o !== 'object' || o === null) throw new TypeError(`${who}: trimPadding must be { padId, multiple }, got ${JSON.stringify(o)}`);
  const padId = o.padId ?? 0;
  const multiple = o.multiple ?? 1;
  if (!Number.isInteger(padId)) throw new TypeError(`${who}: trimPadding.padId must be an integer id, got ${JSON.stringify(o.padId)}`);
  if (!Number.isInteger(multiple) || multiple < 1) throw new RangeError(`${who}: trimPadding.multiple must be a positive integer, got ${JSON.stringify(o.multiple)}`);
  if (o.bucket !== undefined && (!Number.isInteger(o.bucket) || o.bucket < 1)) throw new RangeError(`${who}: trimPadding.bucket must be a positive integer (batches per bucket), got ${JSON.stringify(o.bucket)}`);
  return { padId, multiple, ...(o.bucket === undefined ? {} : { bucket: o.bucket }) };
}

/** Each row's length: the steps up to its last id that is not `padId`. */
export function idLengths(who: string, x: Features, padId: number): Int32Array {
  if (!(x instanceof NDArray) || x.dtype !== 'int32' || x.ndim !== 2) throw new TypeError(`${who}: trimPadding.bucket groups texts of one int32 array of ids [n, steps], got x ${x instanceof NDArray ? `${x.dtype} [${x.shape.join(', ')}]` : `of ${(x as readonly NDArray[]).length} arrays`}`);
  const [n, steps] = [x.shape[0]!, x.shape[1]!];
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let t = steps;
    while (t > 0 && x.data[r * steps + t - 1] === padId) t--;
    out[r] = t;
  }
  return out;
}

/** The first `steps` steps of every row of `a` ([n, steps, …]). */
function firstSteps(a: NDArray, steps: number): NDArray {
  const [n, all] = [a.shape[0]!, a.shape[1]!];
  const inner = a.size / (n * all);
  const out = new (a.data.constructor as new (size: number) => typeof a.data)(n * steps * inner);
  for (let r = 0; r < n; r++) out.set(a.data.subarray(r * all * inner, (r * all + steps) * inner), r * steps * inner);
  return new NDArray(a.dtype, [n, steps, ...a.shape.slice(2)], out);
}

/**
 * `batch` with the trailing steps that are `padId` in every row of its ids cut off (rounded up
 * to a multiple of `multiple`), from the ids and from each target with as many steps (per-step
 * labels). The ids must be one int32 array [n, steps]; throws naming `who` otherwise.
 *
 * @example
 * ```ts
 * trimBatch('fit', { x: ids, y: labels, size: 2, index: 0 }, { padId: 0, multiple: 1 }); // ids [[5, 3, 0, 0], [7, 0, 0, 0]] → [[5, 3], [7, 0]]
 * ```
 */
export function trimBatch<X extends Features, Y extends Features>(who: string, batch: Batch<X, Y>, o: { readonly padId: number; readonly multiple: number }): Batch<X, Y> {
  const x = batch.x as Features;
  if (!(x instanceof NDArray) || x.dtype !== 'int32' || x.ndim !== 2) {
    throw new TypeError(`${who}: trimPadding cuts batches of one int32 array of ids [n, steps], got x ${x instanceof NDArray ? `${x.dtype} [${x.shape.join(', ')}]` : `of ${(x as readonly NDArray[]).length} arrays`}`);
  }
  const [n, steps] = [x.shape[0]!, x.shape[1]!];
  let used = 0;
  for (let r = 0; r < n; r++) {
    for (let t = steps - 1; t >= used; t--) {
      if (x.data[r * steps + t] !== o.padId) {
        used = t + 1;
        break;
      }
    }
  }
  const keep = Math.min(steps, Math.max(1, Math.ceil(used / o.multiple) * o.multiple));
  if (keep === steps) return batch;
  const cut = (a: NDArray): NDArray => (a.ndim >= 2 && a.shape[1] === steps ? firstSteps(a, keep) : a);
  const y = Array.isArray(batch.y) ? (batch.y as readonly NDArray[]).map(cut) : cut(batch.y as NDArray);
  return { ...batch, x: firstSteps(x, keep) as X, y: y as Y };
}
