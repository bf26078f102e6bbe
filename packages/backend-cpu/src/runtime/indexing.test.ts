import { describe, expect, it } from 'vitest';
import { compileScatterAdd, compileTake } from './indexing.js';
import { relError, Rng } from '../testing-fixtures/random.js';
import { offsetOf, TestBuffers } from '../testing-fixtures/strided.js';

const SIZES = [1, 2, 7, 13];
const resolve = (y: number, size: number) => (y < 0 ? y + size : y);

describe('take', () => {
  it('copies input[o, indices[j], i] and fills out-of-range indices, on random strided views', () => {
    const rng = new Rng(31);
    for (let t = 0; t < 60; t++) {
      const [outer, size, inner, n] = [rng.pick(SIZES), rng.pick(SIZES), rng.pick(SIZES), rng.pick([1, 3, 11])];
      const dtype = rng.pick(['float32', 'float64', 'int32'] as const);
      const fill = dtype === 'int32' ? -(2 ** 31) : rng.pick([NaN, 0]);
      const b = new TestBuffers();
      const input = b.layout(rng, dtype, [outer, size, inner], () => rng.int(-50, 50), rng.bool(0.2));
      const indices = b.layout(rng, 'int32', [n], () => rng.int(-size - 2, size + 1));
      const output = b.layout(rng, dtype, [outer, n, inner], () => 7);
      compileTake({ kind: 'take', input, indices, output, fill, label: 't' }, b.table())(b.data);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < n; j++) {
          const y = resolve(b.data[indices.buffer]![offsetOf(indices, [j])]!, size);
          for (let i = 0; i < inner; i++) {
            const want = y >= 0 && y < size ? b.data[input.buffer]![offsetOf(input, [o, y, i])]! : fill;
            expect(b.data[output.buffer]![offsetOf(output, [o, j, i])]).toBe(want);
          }
        }
      }
    }
  });
});

describe('scatterAdd', () => {
  it('adds updates at repeated indices in place, drops out-of-range ones, on random strided views', () => {
    const rng = new Rng(32);
    for (let t = 0; t < 60; t++) {
      const [outer, size, inner, n] = [rng.pick(SIZES), rng.pick([1, 3, 5]), rng.pick(SIZES), rng.pick([1, 4, 40])];
      const dtype = rng.pick(['float32', 'float64', 'int32'] as const);
      const b = new TestBuffers();
      const output = b.layout(rng, dtype, [outer, size, inner], () => rng.int(-9, 9));
      const indices = b.layout(rng, 'int32', [n], () => rng.int(-size - 1, size));
      const updates = b.layout(rng, dtype, [outer, n, inner], () => (dtype === 'int32' ? rng.int(-9, 9) : rng.uniform(-1, 1)), rng.bool(0.2));
      const want = new Float64Array(outer * size * inner);
      for (let o = 0; o < outer; o++) {
        for (let y = 0; y < size; y++) for (let i = 0; i < inner; i++) want[(o * size + y) * inner + i] = b.data[output.buffer]![offsetOf(output, [o, y, i])]!;
        for (let j = 0; j < n; j++) {
          const y = resolve(b.data[indices.buffer]![offsetOf(indices, [j])]!, size);
          if (y < 0 || y >= size) continue;
          for (let i = 0; i < inner; i++) want[(o * size + y) * inner + i]! += b.data[updates.buffer]![offsetOf(updates, [o, j, i])]!;
        }
      }
      compileScatterAdd({ kind: 'scatterAdd', updates, indices, output, label: 's' }, b.table())(b.data);
      const got = Array.from({ length: want.length }, (_, f) => b.data[output.buffer]![offsetOf(output, [Math.floor(f / (size * inner)), Math.floor(f / inner) % size, f % inner])]!);
      // float32 rounds each of up to 40 adds of values ≤ 1 in magnitude: ≤ 40·2⁻²⁴ relative.
      expect(relError(got, want)).toBeLessThan(dtype === 'float32' ? 3e-6 : 1e-15);
    }
  });

  it('names the view whose shape does not fit', () => {
    const b = new TestBuffers();
    const out = { buffer: b.add('float32', [0, 0, 0, 0]), offset: 0, shape: [2, 2], strides: [2, 1] };
    const idx = { buffer: b.add('int32', [0, 1]), offset: 0, shape: [2], strides: [1] };
    const upd = { buffer: b.add('float32', [1, 2, 3, 4]), offset: 0, shape: [1, 2, 2], strides: [4, 2, 1] };
    expect(() => compileScatterAdd({ kind: 'scatterAdd', updates: upd, indices: idx, output: out, label: 's' }, b.table())).toThrow('output has shape [2, 2], expected [outer, size, inner]');
    expect(() => compileTake({ kind: 'take', input: out, indices: idx, output: upd, fill: 0, label: 't' }, b.table())).toThrow('input has shape [2, 2], expected [outer, size, inner]');
    const out3 = { ...out, shape: [1, 2, 2], strides: [4, 2, 1] };
    expect(() => compileScatterAdd({ kind: 'scatterAdd', updates: { ...upd, shape: [1, 3, 2] }, indices: idx, output: out3, label: 's' }, b.table())).toThrow('updates has shape [1, 3, 2], expected [1, 2, 2]');
  });
});
