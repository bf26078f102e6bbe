/**
 * Ragged sequences of ids as one padded int32 array, the form a model's batches take (Keras's
 * `pad_sequences`, PyTorch's `pad_sequence`).
 */
import { kindOf, NDArray } from '@symgrad/core';

/** The options of `padSequences`. */
export interface PadSequencesOptions {
  /** The steps of the result; the longest sequence's by default. */
  readonly maxLength?: number;
  /** Where the padding goes: 'post' (after the ids, the default, as PyTorch) or 'pre' (Keras's default); `trimPadding` cuts either (its `padding`). */
  readonly padding?: 'pre' | 'post';
  /** Which end of a longer sequence is dropped: 'post' (its end, the default) or 'pre' (its start, as Keras's default). */
  readonly truncating?: 'pre' | 'post';
  /** The padding id; 0 by default (an Embedding's `maskZero` masks it). */
  readonly value?: number;
}

/**
 * Sequences of integer ids, of any lengths, as an int32 array [sequences, maxLength]: each
 * padded with `value` (after it by default) or cut to `maxLength`.
 *
 * @example
 * ```ts
 * padSequences([[5, 3], [7], [1, 2, 4]]);                     // [[5, 3, 0], [7, 0, 0], [1, 2, 4]]
 * padSequences([[5, 3], [7]], { maxLength: 1, padding: 'pre' }); // [[5], [7]]
 * ```
 */
export function padSequences(sequences: readonly ArrayLike<number>[], options: PadSequencesOptions = {}): NDArray {
  const who = 'padSequences';
  if (!Array.isArray(sequences)) throw new TypeError(`${who}: expected an array of sequences of ids, got ${kindOf(sequences)}`);
  const rows = sequences.map((s, i) => {
    const ids = Array.from(typeof s === 'object' && s !== null && typeof s.length === 'number' ? s : [NaN], Number);
    const bad = ids.findIndex((v) => !Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1);
    if (bad >= 0 || typeof s !== 'object' || s === null) throw new TypeError(`${who}: sequence ${i} must hold int32 ids, got ${typeof s === 'object' && s !== null ? `${String(ids[bad])} at ${bad}` : kindOf(s)}`);
    return ids;
  });
  const { padding = 'post', truncating = 'post', value = 0 } = options;
  for (const [name, v] of [['padding', padding], ['truncating', truncating]] as const) {
    if (v !== 'pre' && v !== 'post') throw new TypeError(`${who}: ${name} must be 'pre' or 'post', got ${JSON.stringify(v)}`);
  }
  if (!Number.isInteger(value)) throw new TypeError(`${who}: value must be an integer id, got ${JSON.stringify(value)}`);
  const longest = rows.reduce((m, r) => Math.max(m, r.length), 0);
  const steps = options.maxLength ?? longest;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(options.maxLength === undefined ? `${who}: no sequence has ids; give maxLength` : `${who}: maxLength must be a positive integer, got ${JSON.stringify(options.maxLength)}`);
  }
  const out = new Int32Array(rows.length * steps).fill(value);
  rows.forEach((r, i) => {
    const kept = r.length <= steps ? r : truncating === 'post' ? r.slice(0, steps) : r.slice(r.length - steps);
    out.set(kept, i * steps + (padding === 'post' ? 0 : steps - kept.length));
  });
  return new NDArray('int32', [rows.length, steps], out);
}
