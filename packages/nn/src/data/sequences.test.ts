import { describe, expect, it } from 'vitest';
import { padSequences } from './sequences.js';

const rows = (a: { shape: readonly number[]; data: ArrayLike<number> }) => Array.from({ length: a.shape[0]! }, (_, i) => Array.from(a.data).slice(i * a.shape[1]!, (i + 1) * a.shape[1]!));

describe('padSequences', () => {
  it('pads after (or before) the ids to the longest sequence or maxLength, cutting longer ones at either end', () => {
    const seqs = [[5, 3], [7], [1, 2, 4], Int32Array.from([9, 8, 7, 6])];
    const padded = padSequences(seqs);
    expect(padded.dtype).toBe('int32');
    expect(rows(padded)).toEqual([[5, 3, 0, 0], [7, 0, 0, 0], [1, 2, 4, 0], [9, 8, 7, 6]]);
    expect(rows(padSequences(seqs, { maxLength: 3, padding: 'pre', value: -1 }))).toEqual([[-1, 5, 3], [-1, -1, 7], [1, 2, 4], [9, 8, 7]]);
    expect(rows(padSequences(seqs, { maxLength: 2, truncating: 'pre' }))).toEqual([[5, 3], [7, 0], [2, 4], [7, 6]]);
    expect(rows(padSequences([[], [1]]))).toEqual([[0], [1]]);
    expect(padSequences([], { maxLength: 3 }).shape).toEqual([0, 3]);
  });

  it('names what is wrong', () => {
    expect(() => padSequences('abc' as never)).toThrow('padSequences: expected an array of sequences of ids, got a string');
    expect(() => padSequences([[1, 2.5]])).toThrow('padSequences: sequence 0 must hold int32 ids, got 2.5 at 1');
    expect(() => padSequences([[1], 7 as never])).toThrow('padSequences: sequence 1 must hold int32 ids, got a number');
    expect(() => padSequences([[1]], { padding: 'mid' as never })).toThrow("padSequences: padding must be 'pre' or 'post', got \"mid\"");
    expect(() => padSequences([[1]], { truncating: 'x' as never })).toThrow("padSequences: truncating must be 'pre' or 'post', got \"x\"");
    expect(() => padSequences([[1]], { value: 0.5 })).toThrow('padSequences: value must be an integer id, got 0.5');
    expect(() => padSequences([[], []])).toThrow('padSequences: no sequence has ids; give maxLength');
    expect(() => padSequences([[1]], { maxLength: 0 })).toThrow('padSequences: maxLength must be a positive integer, got 0');
  });
});
