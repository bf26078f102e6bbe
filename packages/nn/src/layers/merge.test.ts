import '@symgrad/backend-cpu';
import { fn, NDArray, T } from '@symgrad/core';
import { relativeError, TestRandom } from '@symgrad/core/testing';
import { describe, expect, it } from 'vitest';
import { Dense } from './dense.js';
import { Embedding } from './embedding.js';
import { FunctionalModel } from './functional.js';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from './merge.js';
import { GlobalAveragePooling1D } from './pooling.js';
import { layerFromConfig } from './registry.js';
import { Sequential } from './sequential.js';
import { Input } from './symbolic-tensor.js';

/** The model's output for random inputs of the given per-example shapes, and the inputs. */
async function run(layer: Add | Concatenate, shapes: number[][], rows: number, rng: TestRandom): Promise<{ got: NDArray; xs: NDArray[] }> {
  const inputs = shapes.map((s) => new Input(s));
  const model = new FunctionalModel({ inputs, outputs: layer.apply(inputs) });
  const vars = shapes.map((s, i) => T.tensor('float32', [null, ...s.map(() => null)], `x${i}`));
  const xs = shapes.map((s) => rng.array([rows, ...s], 'float32', -2, 2));
  return { got: await fn(vars, model.apply(vars))(...xs), xs };
}

describe('merging layers', () => {
  const elementwise: [string, () => Add, (vs: number[]) => number, number][] = [
    ['Add', () => new Add(), (vs) => vs.reduce((a, b) => a + b), 3],
    ['Subtract', () => new Subtract() as unknown as Add, (vs) => vs[0]! - vs[1]!, 2],
    ['Multiply', () => new Multiply() as unknown as Add, (vs) => vs.reduce((a, b) => a * b), 3],
    ['Average', () => new Average() as unknown as Add, (vs) => vs.reduce((a, b) => a + b) / vs.length, 4],
    ['Maximum', () => new Maximum() as unknown as Add, (vs) => Math.max(...vs), 2],
    ['Minimum', () => new Minimum() as unknown as Add, (vs) => Math.min(...vs), 3],
  ];
  for (const [name, make, reference, count] of elementwise) {
    it(`${name} of ${count} inputs matches float64, on awkward shapes`, async () => {
      const rng = new TestRandom(name.length * 13 + count);
      for (const [rows, shape] of [[1, [1]], [7, [3, 5]], [2, [13]]] as [number, number[]][]) {
        const { got, xs } = await run(make(), Array.from({ length: count }, () => shape), rows, rng);
        expect(got.shape).toEqual([rows, ...shape]);
        const want = Float64Array.from({ length: got.size }, (_, i) => reference(xs.map((x) => x.data[i]!)));
        expect(relativeError(got.data, want)).toBeLessThan(1e-6);
      }
    });
  }

  for (const axis of [-1, 1, 2]) {
    it(`Concatenate along axis ${axis} matches float64`, async () => {
      const rng = new TestRandom(40 + axis);
      const at = axis < 0 ? 2 : axis;   // of the batched [rows, 3, w] inputs
      const shapes = [[3, 2], [3, 5], [3, 1]].map((s) => (at === 1 ? [s[1]!, 4] : s));
      const { got, xs } = await run(new Concatenate({ axis }), shapes, 5, rng);
      const sizes = shapes.map((s) => s[at - 1]!);
      const total = sizes.reduce((a, b) => a + b);
      expect(got.shape).toEqual(at === 1 ? [5, total, 4] : [5, 3, total]);
      const want = new Float64Array(got.size);
      const [outer, inner] = at === 1 ? [5, 4] : [15, 1];
      for (let o = 0; o < outer; o++) {
        let offset = 0;
        xs.forEach((x, k) => {
          const n = sizes[k]! * inner;
          for (let i = 0; i < n; i++) want[o * total * inner + offset + i] = x.data[o * n + i]!;
          offset += n;
        });
      }
      expect(relativeError(got.data, want)).toBeLessThan(1e-7);
    });
  }

  it('merge masks: joined along the steps, masks join (an unmasked input counts every step); elementwise, a step counts where every mask keeps it', async () => {
    const a = new Input([3], { dtype: 'int32' });
    const b = new Input([2], { dtype: 'int32' });
    const ea = new Embedding(6, 2, { maskZero: true });
    const eb = new Embedding(6, 2);
    const joined = new Concatenate({ axis: 1 }).apply([ea.apply(a), eb.apply(b)]);
    const model = new FunctionalModel({ inputs: [a, b], outputs: new GlobalAveragePooling1D().apply(joined) });
    const [va, vb] = [T.imatrix('a'), T.imatrix('b')];
    const got = await fn([va, vb], model.apply([va, vb]))(new NDArray('int32', [1, 3], Int32Array.of(0, 4, 0)), new NDArray('int32', [1, 2], Int32Array.of(0, 5)));
    // Real steps: a's id 4, and both of b's (b has no mask, so its id 0 counts).
    const [ta, tb] = [ea.parameters()[0]!.get().data, eb.parameters()[0]!.get().data];
    const want = [0, 1].map((f) => (ta[4 * 2 + f]! + tb[0 * 2 + f]! + tb[5 * 2 + f]!) / 3);
    expect(relativeError(got.data, want)).toBeLessThan(1e-6);

    const c = new Input([3], { dtype: 'int32' });
    const d = new Input([3], { dtype: 'int32' });
    const [ec, ed] = [new Embedding(6, 2, { maskZero: true }), new Embedding(6, 2, { maskZero: true })];
    const sum = new FunctionalModel({ inputs: [c, d], outputs: new GlobalAveragePooling1D().apply(new Add().apply([ec.apply(c), ed.apply(d)])) });
    const [vc, vd] = [T.imatrix('c'), T.imatrix('d')];
    const out = await fn([vc, vd], sum.apply([vc, vd]))(new NDArray('int32', [1, 3], Int32Array.of(1, 0, 2)), new NDArray('int32', [1, 3], Int32Array.of(3, 4, 0)));
    // Only step 0 has both ids real.
    const [tc, td] = [ec.parameters()[0]!.get().data, ed.parameters()[0]!.get().data];
    expect(relativeError(out.data, [0, 1].map((f) => tc[1 * 2 + f]! + td[3 * 2 + f]!))).toBeLessThan(1e-6);
  });

  it('rebuild from their configurations', () => {
    for (const layer of [new Add({ name: 'a' }), new Subtract(), new Multiply(), new Average(), new Maximum(), new Minimum(), new Concatenate({ axis: 2, name: 'c' })]) {
      const copy = layerFromConfig({ className: layer.className, config: layer.getConfig() });
      expect(copy.className).toBe(layer.className);
      expect(copy.getConfig()).toEqual(layer.getConfig());
    }
    expect(new Concatenate().getConfig()).toEqual({ axis: -1 });
  });

  it('name what is wrong', () => {
    expect(() => new Concatenate({ axis: 0 })).toThrow('Concatenate: axis must be a nonzero integer (axis 0 is the batch), got 0');
    expect(() => new Concatenate({ axis: 1.5 })).toThrow('Concatenate: axis must be a nonzero integer (axis 0 is the batch), got 1.5');
    const x = new Input([4], { name: 'x' });
    const y = new Input([3, 2], { name: 'y' });
    expect(() => new FunctionalModel({ inputs: [x, y], outputs: new Concatenate({ axis: 3 }).apply([x, x]) })).toThrow(/^FunctionalModel 'model': Concatenate 'concatenate_0': axis 3 is out of range for batches of per-example shape \[4\] \(rank 2\) \(built at /);
    expect(() => new FunctionalModel({ inputs: [x, y], outputs: new Concatenate().apply([x, y]) })).toThrow(/^FunctionalModel 'model': Concatenate 'concatenate_0': inputs must agree on every axis but 1, got \[4\], \[3, 2\] \(input 1 differs from input 0\)/);
    expect(() => new Subtract().apply([x, x, x])).toThrow("Subtract.apply: takes 2 inputs, got 3 (Input 'x' [null, 4] float32, Input 'x' [null, 4] float32, Input 'x' [null, 4] float32)");
    expect(() => new Sequential([new Add()], { inputShape: [4] })).toThrow("Add 'add_0' merges two or more inputs, got one of per-example shape [4]: apply it to a list of tensors in a FunctionalModel");
    const add = new Add();
    new FunctionalModel({ inputs: x, outputs: add.apply([x, new Dense(4).apply(x)]) });
    expect(() => add.call(T.matrix('m'))).toThrow("Add 'add_0' merges two or more inputs: apply it to a list of tensors in a FunctionalModel");
    expect(() => add.callInputs([T.matrix('a'), T.tensor3('b')])).toThrow("Add 'add_0': input 1 must be a batch of per-example shape [4], got 'b' (float32[?, ?, ?])");
    const dense = new Dense(2);
    new Sequential([dense], { inputShape: [4] });
    expect(() => dense.callInputs([T.matrix('a'), T.matrix('b')])).toThrow("Dense 'dense_0' takes one input, got 2");
    expect(() => dense.computeMaskInputs([T.matrix('a'), T.matrix('b')], [T.matrix('m'), undefined])).toThrow("Dense 'dense_0' does not support masking of several inputs");
    expect(dense.computeMaskInputs([T.matrix('a'), T.matrix('b')], [undefined, undefined])).toBeUndefined();
  });
});
