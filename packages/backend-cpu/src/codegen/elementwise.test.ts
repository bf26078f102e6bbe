import { describe, expect, it } from 'vitest';
import { sx, type BufferSpec, type ElementwiseKernel, type TypedArray, type View } from '@symgrad/core';
import { compileElementwise } from './elementwise.js';
import { compiledFunctionCount } from './function-cache.js';
import { bufferTable } from '../runtime/kernel-step.js';
import { ALL_DTYPES } from '../testing-fixtures/random-expr.js';
import { elementwiseReference, randomElementwiseCase, type ElementwiseCase } from '../testing-fixtures/elementwise-cases.js';
import { Rng } from '../testing-fixtures/random.js';
import { contiguous, forEachIndex, typed } from '../testing-fixtures/strided.js';

function run(c: ElementwiseCase): void {
  compileElementwise(c.kernel, bufferTable(c.buffers))(c.data);
}

function expectSame(got: TypedArray[], want: number[][], what: string): void {
  got.forEach((g, b) => {
    for (let i = 0; i < g.length; i++) {
      if (!Object.is(g[i], want[b]![i])) throw new Error(`${what}: buffer ${b}[${i}] is ${g[i]}, expected ${want[b]![i]}`);
    }
  });
}

describe('elementwise kernels', () => {
  it('match the reference evaluator exactly on random kernels, views and dtypes', () => {
    const rng = new Rng(7);
    for (let t = 0; t < 400; t++) {
      const c = randomElementwiseCase(rng, t % 2 ? ALL_DTYPES : ['float32']);
      const want = elementwiseReference(c);
      run(c);
      expectSame(c.data, want, `case ${t} shape [${c.kernel.shape}]`);
    }
  });

  it('float32 and float64 arithmetic within 1e-5 / 1e-12 of a float64 reference', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const rng = new Rng(dtype === 'float32' ? 11 : 12);
      const shape = [13, 37];
      const a = Array.from({ length: 13 * 37 }, () => rng.uniform(-2, 2));
      const b = Array.from({ length: 37 }, () => rng.uniform(0.5, 2));
      const x = sx.input(0, dtype);
      const y = sx.input(1, dtype);
      const expr = sx.binary('add', sx.unary('tanh', sx.binary('mul', x, y, dtype)), sx.binary('div', sx.unary('exp', x), y, dtype), dtype);
      const data = [typed(dtype, a), typed(dtype, b), typed(dtype, new Array(13 * 37).fill(0))];
      const buffers: BufferSpec[] = data.map((d, id) => ({ id, dtype, size: d.length, role: 'temp' }));
      compileElementwise({
        kind: 'elementwise', shape, inputs: [contiguous(0, shape), { buffer: 1, offset: 0, shape, strides: [0, 1] }],
        outputs: [contiguous(2, shape)], exprs: [expr], label: 'f',
      }, bufferTable(buffers))(data);
      let num = 0;
      let den = 0;
      forEachIndex(shape, ([i, j]) => {
        const xv = data[0]![i! * 37 + j!]!;
        const yv = data[1]![j!]!;
        const ref = Math.tanh(xv * yv) + Math.exp(xv) / yv;
        num += (data[2]![i! * 37 + j!]! - ref) ** 2;
        den += ref * ref;
      });
      expect(Math.sqrt(num / den)).toBeLessThanOrEqual(dtype === 'float32' ? 1e-5 : 1e-12);
    }
  });

  it('rank 0, size 0 and transposed in-place updates', () => {
    const buffers: BufferSpec[] = [{ id: 0, dtype: 'float32', size: 6, role: 'temp' }, { id: 1, dtype: 'float32', size: 1, role: 'temp' }];
    const data = [Float32Array.from([1, 2, 3, 4, 5, 6]), new Float32Array(1)];
    const x = sx.input(0, 'float32');
    compileElementwise({ kind: 'elementwise', shape: [], inputs: [{ buffer: 0, offset: 4, shape: [], strides: [] }], outputs: [{ buffer: 1, offset: 0, shape: [], strides: [] }], exprs: [sx.unary('square', x)], label: 's' }, bufferTable(buffers))(data);
    expect(data[1]![0]).toBe(25);
    compileElementwise({ kind: 'elementwise', shape: [0, 3], inputs: [contiguous(0, [0, 3])], outputs: [contiguous(1, [0, 3])], exprs: [x], label: 'e' }, bufferTable(buffers))(data);
    expect(data[1]![0]).toBe(25);
    // x[i, j] = -x[i, j] through a transposed view of the same buffer.
    const t: View = { buffer: 0, offset: 0, shape: [3, 2], strides: [1, 3] };
    compileElementwise({ kind: 'elementwise', shape: [3, 2], inputs: [t], outputs: [t], exprs: [sx.unary('neg', x)], label: 'n' }, bufferTable(buffers))(data);
    expect(Array.from(data[0]!)).toEqual([-1, -2, -3, -4, -5, -6]);
  });

  it('shares one generated function between kernels that differ only in geometry', () => {
    const x = sx.input(0, 'float64');
    const expr = sx.binary('mul', sx.unary('log1p', x), sx.const(0.25, 'float64'), 'float64');
    const mk = (shape: number[], strides: number[], size: number): void => {
      const buffers: BufferSpec[] = [{ id: 0, dtype: 'float64', size, role: 'temp' }, { id: 1, dtype: 'float64', size, role: 'temp' }];
      compileElementwise({ kind: 'elementwise', shape, inputs: [{ buffer: 0, offset: 0, shape, strides }], outputs: [{ buffer: 1, offset: 0, shape, strides }], exprs: [expr], label: 'l' }, bufferTable(buffers));
    };
    mk([5, 3], [1, 5], 15);
    const before = compiledFunctionCount();
    mk([7, 11], [1, 7], 77);
    mk([4, 9], [20, 2], 80);
    expect(compiledFunctionCount()).toBe(before);
  });
});

describe('elementwise kernel errors', () => {
  const buffers = bufferTable([{ id: 0, dtype: 'float32', size: 10, role: 'temp' }, { id: 1, dtype: 'float32', size: 10, role: 'temp' }]);
  const x = sx.input(0, 'float32');
  const kernel = (over: Partial<ElementwiseKernel>): ElementwiseKernel => ({
    kind: 'elementwise', shape: [10], inputs: [contiguous(0, [10])], outputs: [contiguous(1, [10])], exprs: [x], label: 'k', ...over,
  });

  it('rejects views outside their buffer, wrong shapes, negative strides and unknown buffers', () => {
    expect(() => compileElementwise(kernel({ inputs: [contiguous(0, [10], 1)] }), buffers)).toThrow('input 0 reaches element 10 of buffer 0, which has 10 elements');
    expect(() => compileElementwise(kernel({ outputs: [contiguous(1, [5])] }), buffers)).toThrow('output 0 has shape [5], expected [10]');
    expect(() => compileElementwise(kernel({ inputs: [{ buffer: 0, offset: 9, shape: [10], strides: [-1] }] }), buffers)).toThrow('input 0 has strides [-1]: the cpu backend needs non-negative integer strides');
    expect(() => compileElementwise(kernel({ inputs: [contiguous(5, [10])] }), buffers)).toThrow('buffer 5 is not declared by the program');
    expect(() => compileElementwise(kernel({ inputs: [contiguous(0, [10], -1)] }), buffers)).toThrow('input 0 has offset -1: offsets are non-negative integers');
    expect(() => compileElementwise(kernel({ outputs: [contiguous(1, [10], 0.5)] }), buffers)).toThrow('output 0 has offset 0.5: offsets are non-negative integers');
    expect(() => compileElementwise(kernel({ shape: [2.5], inputs: [contiguous(0, [2.5])], outputs: [contiguous(1, [2.5])] }), buffers)).toThrow('input 0 has shape [2.5]: sizes are non-negative integers');
    expect(() => compileElementwise(kernel({ shape: [-2], inputs: [contiguous(0, [-2])], outputs: [contiguous(1, [-2])] }), buffers)).toThrow('input 0 has shape [-2]: sizes are non-negative integers');
  });

  it('rejects expressions that do not match the outputs or read missing inputs', () => {
    expect(() => compileElementwise(kernel({ exprs: [x, x] }), buffers)).toThrow('has 2 expressions for 1 outputs');
    expect(() => compileElementwise(kernel({ exprs: [sx.input(1, 'float32')] }), buffers)).toThrow('render-js: input(1) is out of range: the expression has 1 input');
  });
});
