/**
 * Batches of padded sequences cut to their longest sequence (PyTorch's padding per batch,
 * Keras's bucketing by length): the steps after the last real id of every row go, so a batch
 * of short texts runs short; several inputs of ids (a translation model's two texts) are
 * each cut to their own longest. Models run on any length their layers take, and the Trainer
 * compiles one function per length it meets (`multiple` rounds lengths up to bound them).
 */
import { NDArray } from '@symgrad/core';
import type { Batch, Features } from '../data/dataset.js';

/** How batches of padded ids are cut (`FitOptions.trimPadding`). */
export interface TrimPaddingOptions {
  /** The id that pads the sequences; 0 by default. */
  readonly padId?: number;
  /**
   * Where the padding is: 'post' (after the ids, the default; `padSequences`'s default) or
   * 'pre' (before them, Keras's `pad_sequences` default), whose leading steps are cut.
   */
  readonly padding?: 'post' | 'pre';
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
  const padding = o.padding ?? 'post';
  if (padding !== 'post' && padding !== 'pre') throw new TypeError(`${who}: trimPadding.padding must be 'post' or 'pre', got ${JSON.stringify(o.padding)}`);
  if (!Number.isInteger(padId)) throw new TypeError(`${who}: trimPadding.padId must be an integer id, got ${JSON.stringify(o.padId)}`);
  if (!Number.isInteger(multiple) || multiple < 1) throw new RangeError(`${who}: trimPadding.multiple must be a positive integer, got ${JSON.stringify(o.multiple)}`);
  if (o.bucket !== undefined && (!Number.isInteger(o.bucket) || o.bucket < 1)) throw new RangeError(`${who}: trimPadding.bucket must be a positive integer (batches per bucket), got ${JSON.stringify(o.bucket)}`);
  return { padId, multiple, padding, ...(o.bucket === undefined ? {} : { bucket: o.bucket }) };
}

/** The int32 arrays of ids [n, steps] among `x`'s arrays; throws naming `who` when there are none. */
function idArrays(who: string, what: string, x: Features): NDArray[] {
  const arrays = x instanceof NDArray ? [x] : [...(x as readonly NDArray[])];
  const ids = arrays.filter((a) => a instanceof NDArray && a.dtype === 'int32' && a.ndim === 2);
  if (ids.length === 0) {
    const got = arrays.map((a) => (a instanceof NDArray ? `${a.dtype} [${a.shape.join(', ')}]` : typeof a)).join(', ');
    throw new TypeError(`${who}: trimPadding ${what} int32 arrays of ids [n, steps], and x has none: ${got || 'no arrays'}`);
  }
  return ids;
}

type Padding = 'post' | 'pre';

/** Row r's length in `ids`: its steps but the `padId`s after its last id ('post') or before its first ('pre'). */
function rowLength(ids: NDArray, r: number, padId: number, padding: Padding): number {
  const steps = ids.shape[1]!;
  const row = ids.data.subarray(r * steps, (r + 1) * steps);
  let pad = 0;
  if (padding === 'post') while (pad < steps && row[steps - 1 - pad] === padId) pad++;
  else while (pad < steps && row[pad] === padId) pad++;
  return steps - pad;
}

/**
 * Each row's length: its steps but the padding, summed over the inputs of ids when there
 * are several (an encoder's and a decoder's texts).
 */
export function idLengths(who: string, x: Features, padId: number, padding: Padding = 'post'): Int32Array {
  const ids = idArrays(who, 'buckets texts of', x);
  const out = new Int32Array(ids[0]!.shape[0]!);
  for (let r = 0; r < out.length; r++) for (const a of ids) out[r]! += rowLength(a, r, padId, padding);
  return out;
}

/** `keep` steps of every row of `a` ([n, steps, …]): the first ones ('post' padding) or the last ones ('pre'). */
function keepSteps(a: NDArray, keep: number, padding: Padding): NDArray {
  const [n, all] = [a.shape[0]!, a.shape[1]!];
  const inner = a.size / (n * all);
  const from = padding === 'post' ? 0 : all - keep;
  const out = new (a.data.constructor as new (size: number) => typeof a.data)(n * keep * inner);
  for (let r = 0; r < n; r++) out.set(a.data.subarray((r * all + from) * inner, (r * all + from + keep) * inner), r * keep * inner);
  return new NDArray(a.dtype, [n, keep, ...a.shape.slice(2)], out);
}

/**
 * `batch` with the steps that are `padId` in every row of its ids cut off: trailing ones, or
 * leading ones for `padding: 'pre'` (the steps kept rounded up to a multiple of `multiple`). Every int32 input of ids [n, steps] is cut to the longest
 * sequence among the inputs of ids with its number of steps (a translation model's source and
 * target texts are cut each to its own longest); the other inputs and the targets with that
 * many steps (per-step features, per-step labels) are cut with them. Throws naming `who`
 * when x holds no ids.
 *
 * @example
 * ```ts
 * trimBatch('fit', { x: ids, y: labels, size: 2, index: 0 }, { padId: 0, multiple: 1 }); // ids [[5, 3, 0, 0], [7, 0, 0, 0]] → [[5, 3], [7, 0]]
 * ```
 */
export function trimBatch<X extends Features, Y extends Features>(who: string, batch: Batch<X, Y>, o: { readonly padId: number; readonly multiple: number; readonly padding?: Padding }): Batch<X, Y> {
  const padding = o.padding ?? 'post';
  const ids = idArrays(who, 'cuts batches with', batch.x as Features);
  // Steps kept per step count of the inputs of ids.
  const keep = new Map<number, number>();
  for (const a of ids) {
    const [n, steps] = [a.shape[0]!, a.shape[1]!];
    let used = keep.get(steps) ?? 0;
    for (let r = 0; r < n && used < steps; r++) used = Math.max(used, rowLength(a, r, o.padId, padding));
    keep.set(steps, used);
  }
  for (const [steps, used] of keep) keep.set(steps, Math.min(steps, Math.max(1, Math.ceil(used / o.multiple) * o.multiple)));
  if ([...keep].every(([steps, k]) => k === steps)) return batch;
  const cut = (a: NDArray): NDArray => {
    const k = a.ndim >= 2 ? keep.get(a.shape[1]!) : undefined;
    return k === undefined || k === a.shape[1] ? a : keepSteps(a, k, padding);
  };
  const each = (f: Features): Features => (f instanceof NDArray ? cut(f) : (f as readonly NDArray[]).map(cut));
  return { ...batch, x: each(batch.x as Features) as X, y: each(batch.y as Features) as Y };
}
