import { describe, expect, it } from 'vitest';
import type { DType, SoftmaxCrossEntropyKernel, TypedArray, View } from '@symgrad/core';
import { compileGather, compileOneHot, compileSoftmaxCrossEntropy } from './specials.js';
import { relError, Rng } from '../testing-fixtures/random.js';
import { contiguous, forEachIndex, offsetOf, TestBuffers, typed } from '../testing-fixtures/strided.js';

const SIZES = [1, 2, 7, 13, 37];



describe('gather', () => {
  it('picks input[r, indices[r]] and gives NaN for out-of-range indices, on strided views', () => {
    const rng = new Rng(21);
    for (let t = 0; t < 60; t++) {
      const [rows, classes] = [rng.pick(SIZES), rng.pick(SIZES)];
      const dtype = rng.pick(['float32', 'float64'] as const);
      const b = new TestBuffers();
      const input = b.layout(rng, dtype, [rows, classes], () => rng.uniform(-5, 5));
      const indices = b.layout(rng, 'int32', [rows], () => rng.int(-1, classes));
      const output = b.layout(rng, dtype, [rows], () => 3);
      compileGather({ kind: 'gather', input, indices, output, label: 'g' }, b.table())(b.data);
      for (let r = 0; r < rows; r++) {
        const y = b.data[indices.buffer]![offsetOf(indices, [r])]!;
        const want = y >= 0 && y < classes ? b.data[input.buffer]![offsetOf(input, [r, y])]! : NaN;
        expect(b.data[output.buffer]![offsetOf(output, [r])]).toBe(want);
      }
    }
  });
});

describe('oneHot', () => {
  it('writes 1 at the index and 0 elsewhere, a row of zeros out of range, any index rank', () => {
    const rng = new Rng(22);
    for (let t = 0; t < 60; t++) {
      const shape = Array.from({ length: rng.int(0, 3) }, () => rng.pick([1, 2, 3, 7]));
      const depth = rng.pick([0, 1, 4, 13]);
      const dtype = rng.pick(['float32', 'int32', 'bool'] as const);
      const b = new TestBuffers();
      const indices = b.layout(rng, 'int32', shape, () => rng.int(-1, depth));
      const output = b.layout(rng, dtype, [...shape, depth], () => 5);
      compileOneHot({ kind: 'oneHot', indices, depth, output, dtype, label: 'o' }, b.table())(b.data);
      forEachIndex([...shape, depth], (idx) => {
        const y = b.data[indices.buffer]![offsetOf(indices, idx.slice(0, -1))]!;
        expect(b.data[output.buffer]![offsetOf(output, idx)]).toBe(y === idx[idx.length - 1] ? 1 : 0);
      });
    }
  });
});

describe('softmaxCrossEntropy', () => {
  /** Float64 reference, computed the textbook way on max-shifted logits. */
  function reference(z: number[][], y: number[], scale: number[]): { loss: number[]; grad: number[][] } {
    const loss: number[] = [];
    const grad: number[][] = [];
    z.forEach((row, r) => {
      const m = Math.max(...row);
      const ex = row.map((v) => Math.exp(v - m));
      const s = ex.reduce((a, v) => a + v, 0);
      const ok = Number.isInteger(y[r]) && y[r]! >= 0 && y[r]! < row.length;
      loss.push(ok ? Math.log(s) + m - row[y[r]!]! : NaN);
      grad.push(ex.map((v, c) => (v / s - (c === y[r] ? 1 : 0)) * scale[r]!));
    });
    return { loss, grad };
  }

  for (const dtype of ['float32', 'float64'] as const) {
    const tol = dtype === 'float32' ? 1e-5 : 1e-12;
    it(`loss and gradient within ${tol} of a float64 reference, with huge logits and bad labels (${dtype})`, () => {
      const rng = new Rng(dtype === 'float32' ? 23 : 24);
      for (let t = 0; t < 40; t++) {
        const [rows, classes] = [rng.pick(SIZES), rng.pick(SIZES)];
        const big = rng.bool(0.3) ? 1000 : 20;
        const b = new TestBuffers();
        const logits = b.layout(rng, dtype, [rows, classes], () => rng.uniform(-big, big));
        const labels = b.layout(rng, 'int32', [rows], () => (rng.bool(0.1) ? rng.pick([-1, classes]) : rng.int(0, classes - 1)));
        const loss = b.layout(rng, dtype, [rows], () => 0);
        const gradOut = b.layout(rng, dtype, [rows, classes], () => 0);
        const broadcast = rng.bool();
        const scaleView: View = broadcast ? { buffer: b.specs.length, offset: 0, shape: [rows], strides: [0] } : contiguous(b.specs.length, [rows]);
        b.add(dtype, Array.from({ length: broadcast ? 1 : rows }, () => rng.uniform(0.1, 1)));
        const k: SoftmaxCrossEntropyKernel = { kind: 'softmaxCrossEntropy', logits, labels, loss, grad: { output: gradOut, scale: scaleView }, dtype, label: 'sce' };
        compileSoftmaxCrossEntropy(k, b.table())(b.data);
        const read = (v: View, idx: number[]) => b.data[v.buffer]![offsetOf(v, idx)]!;
        const z = Array.from({ length: rows }, (_, r) => Array.from({ length: classes }, (_, c) => read(logits, [r, c])));
        const y = Array.from({ length: rows }, (_, r) => read(labels, [r]));
        const sc = Array.from({ length: rows }, (_, r) => read(scaleView, [r]));
        const want = reference(z, y, sc);
        const gotLoss = Array.from({ length: rows }, (_, r) => read(loss, [r]));
        const gotGrad = z.flatMap((row, r) => row.map((_, c) => read(gradOut, [r, c])));
        expect(gotLoss.every((v) => !Number.isFinite(v) === Number.isNaN(v))).toBe(true);
        expect(relError(gotLoss, want.loss), `case ${t} loss`).toBeLessThanOrEqual(tol);
        expect(relError(gotGrad, want.grad.flat()), `case ${t} grad`).toBeLessThanOrEqual(tol);
      }
    });
  }

  it('without a gradient only writes the loss', () => {
    const b = new TestBuffers();
    const z = b.add('float64', [0, 0, Math.log(3)]);
    const y = b.add('int32', [2]);
    const l = b.add('float64', [0]);
    compileSoftmaxCrossEntropy({ kind: 'softmaxCrossEntropy', logits: contiguous(z, [1, 3]), labels: contiguous(y, [1]), loss: contiguous(l, [1]), dtype: 'float64', label: 'l' }, b.table())(b.data);
    expect(b.data[l]![0]).toBeCloseTo(Math.log(5) - Math.log(3), 14);
  });
});

describe('special kernel errors', () => {
  const b = new TestBuffers();
  b.add('float32', new Array(12).fill(0));
  b.add('int32', new Array(4).fill(0));
  b.add('float32', new Array(4).fill(0));
  it('rejects wrong ranks and shapes, and bad depths', () => {
    expect(() => compileGather({ kind: 'gather', input: contiguous(0, [2, 2, 3]), indices: contiguous(1, [2]), output: contiguous(2, [2]), label: 'g' }, b.table()))
      .toThrow('input has shape [2, 2, 3], expected [rows, classes]');
    expect(() => compileGather({ kind: 'gather', input: contiguous(0, [4, 3]), indices: contiguous(1, [3]), output: contiguous(2, [4]), label: 'g' }, b.table()))
      .toThrow('indices has shape [3], expected [4]');
    expect(() => compileOneHot({ kind: 'oneHot', indices: contiguous(1, [4]), depth: -1, output: contiguous(0, [4, 3]), dtype: 'float32', label: 'o' }, b.table()))
      .toThrow('depth -1 is not a non-negative integer');
    expect(() => compileOneHot({ kind: 'oneHot', indices: contiguous(1, [4]), depth: 2, output: contiguous(0, [4, 3]), dtype: 'float32', label: 'o' }, b.table()))
      .toThrow('output has shape [4, 3], expected [4, 2]');
    expect(() => compileSoftmaxCrossEntropy({ kind: 'softmaxCrossEntropy', logits: contiguous(0, [4, 3]), labels: contiguous(1, [4]), loss: contiguous(2, [4]), grad: { output: contiguous(0, [3, 4]), scale: contiguous(2, [4]) }, dtype: 'float32', label: 's' }, b.table()))
      .toThrow('grad output has shape [3, 4], expected [4, 3]');
  });
});
