import '@symgrad/backend-cpu';
import { fn, NDArray, T, tensor, type Variable } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { grad } from './grad.js';
import { hessianVectorProduct, jacobian } from './jacobian.js';
import { prng } from './testing-fixtures/prng.js';
import { verifyGrad } from './verify-grad.js';

const cpu = { backend: 'cpu' } as const;
const r = prng(8);

function expectClose(actual: NDArray, expected: number[], tol = 1e-6): void {
  expect(actual.size).toBe(expected.length);
  actual.data.forEach((v, i) => expect(Math.abs(v - expected[i]!), `element ${i}: ${v} vs ${expected[i]}`).toBeLessThan(tol * Math.max(1, Math.abs(expected[i]!))));
}

describe('jacobian', () => {
  it('of tanh(A·x) matches the hand-computed diag(1 − y²)·A', async () => {
    const A = [[1, -2, 0.5], [0.3, 0.7, -1]];
    const x = tensor('float64', [3], 'x');
    const y = T.tanh(T.dot(T.constant(A, 'float64'), x));
    const J = jacobian(y, x);
    expect(J.shape).toEqual([2, 3]);
    const xv = [0.2, -0.1, 0.4];
    const out = await fn([x], J, cpu)(xv);
    const expected: number[] = [];
    for (const row of A) {
      const yi = Math.tanh(row.reduce((s, a, k) => s + a * xv[k]!, 0));
      for (const a of row) expected.push((1 - yi * yi) * a);
    }
    expectClose(out, expected);
  });

  it('of an elementwise product is diagonal, with a [y, wrt] shape for matrices', async () => {
    const x = tensor('float64', [2, 2], 'x');
    const J = jacobian(T.mul(x, x), x);
    expect(J.shape).toEqual([2, 2, 2, 2]);
    const out = await fn([x], J, cpu)([[1, 2], [3, 4]]);
    const expected = new Array(16).fill(0);
    [1, 2, 3, 4].forEach((v, i) => { expected[i * 4 + i] = 2 * v; });
    expectClose(out, expected);
  });

  it('for several variables, one with an unknown dim; a scalar y gives the gradient', async () => {
    const a = tensor('float64', [null], 'a');
    const b = tensor('float64', [2], 'b');
    const y = T.mul(T.sum(a), b); // y_i = (Σa)·b_i
    const [Ja, Jb] = jacobian(y, [a, b]);
    expect(Ja!.shape).toEqual([2, null]);
    const out = await fn([a, b], [Ja!, Jb!], cpu)([1, 2, 3], [5, 7]);
    expect(out[0]!.toArray()).toEqual([[5, 5, 5], [7, 7, 7]]);
    expect(out[1]!.toArray()).toEqual([[6, 0], [0, 6]]);
    const s = jacobian(T.sum(T.square(b)), b);
    expect((await fn([b], s, cpu)([1, 2])).toArray()).toEqual([2, 4]);
  });

  it('needs a static shape for y', () => {
    const x = T.dvector('x');
    expect(() => jacobian(T.exp(x), x)).toThrow(/jacobian: y <exp output> \(float64\[\?\]\) needs a static shape/);
    const m = T.dmatrix('m');
    expect(() => jacobian(T.sum(m), m)).toThrow(/jacobian: wrt 'm' \(float64\[\?, \?\]\) has several unknown dimensions/);
    const big = tensor('float64', [100, 100], 'big');
    expect(() => jacobian(big, big)).toThrow("jacobian: y 'big' (float64[100, 100]) has 10000 elements, more than maxElements 4096 (one gradient graph is built per element)");
    const v = tensor('float64', [3], 'v');
    expect(() => jacobian(v, v, { maxElements: 2 })).toThrow("jacobian: y 'v' (float64[3]) has 3 elements, more than maxElements 2");
    expect(() => jacobian(T.sum(v), [v, m])).toThrow(/^jacobian: wrt\[1\] 'm' \(float64\[\?, \?\]\) has several unknown dimensions; give it a static shape \(at most one unknown\)/);
  });

  it('rejects a y that is not a symbolic variable', () => {
    const x = T.dvector('x');
    expect(() => jacobian(null as never, x)).toThrow('jacobian: y must be a symbolic variable, got null');
    expect(() => jacobian([1, 2] as never, x)).toThrow('jacobian: y must be a symbolic variable, got an array');
  });
});

describe('hessianVectorProduct', () => {
  const cost = (x: Variable, W: Variable): Variable => T.add(T.sum(T.tanh(T.dot(W, x))), T.sum(T.pow(x, 3)));
  const Wv = r.uniformArray([3, 4]);

  it('matches finite differences of the gradient', async () => {
    const x = tensor('float64', [4], 'x');
    const v = tensor('float64', [4], 'v');
    const W = T.constant(Wv);
    const hv = hessianVectorProduct(cost(x, W), x, v);
    const g = fn([x], grad(cost(x, W), x), cpu);
    const xv = Array.from(r.uniformArray([4]).data);
    const vv = Array.from(r.uniformArray([4]).data);
    const h = 1e-5;
    const up = await g(xv.map((xi, i) => xi + h * vv[i]!));
    const down = await g(xv.map((xi, i) => xi - h * vv[i]!));
    const fd = Array.from(up.data, (u, i) => (u - down.data[i]!) / (2 * h));
    expectClose(await fn([x, v], hv, cpu)(xv, vv), fd, 1e-6);
  });

  it('for several variables, with a zero block when the cost is linear in one', async () => {
    const x = tensor('float64', [2], 'x');
    const b = tensor('float64', [2], 'b');
    const vx = tensor('float64', [2], 'vx');
    const vb = tensor('float64', [2], 'vb');
    const c = T.add(T.sum(T.mul(T.square(x), 0.5)), T.sum(b)); // H = [[I, 0], [0, 0]]
    const [hx, hb] = hessianVectorProduct(c, [x, b], [vx, vb]);
    const out = await fn([x, b, vx, vb], [hx!, hb!], cpu)([1, 2], [3, 4], [5, 6], [7, 8]);
    expect(out.map((o) => o.toArray())).toEqual([[5, 6], [0, 0]]);
    expect(() => hessianVectorProduct(c, [x, b], [vx])).toThrow('hessianVectorProduct: v must mirror wrt (one tensor per variable): wrt is an array of 2 and v is an array of 1');
    expect(() => hessianVectorProduct(c, x, [vx] as never)).toThrow('hessianVectorProduct: v must mirror wrt (one tensor per variable): wrt is a single variable and v is an array of 1');
  });
});

describe('second-order gradients (grad of grad) through each rule family', () => {
  const cases: [string, (x: Variable) => Variable, NDArray][] = [
    ['elementwise', (x) => T.sum(T.add(T.mul(T.exp(x), T.tanh(x)), T.div(T.sigmoid(x), T.add(T.square(x), 1)))), r.uniformArray([2, 3])],
    ['sqrt, log, rsqrt, pow', (x) => T.sum(T.add(T.mul(T.sqrt(x), T.log(x)), T.add(T.rsqrt(x), T.pow(x, T.sub(x, 0.5))))), r.uniformArray([4], 0.5, 2)],
    ['relu, abs, maximum', (x) => T.sum(T.mul(T.relu(x), T.maximum(T.abs(x), T.mul(x, 0.3)))), r.awayFromZero([5])],
    ['reductions', (x) => T.add(T.sum(T.square(T.max(x, 1))), T.mean(T.square(T.mean(x, 0, true)))), r.distinct([3, 4])],
    ['matmul', (x) => T.sum(T.tanh(T.matmul(x, x, { transB: true }))), r.uniformArray([3, 2])],
    ['movement', (x) => T.sum(T.exp(T.concat([T.slice(x, [0, null, 2]), T.transpose(T.reshape(x, [2, 3]))], 0))), r.uniformArray([6]).reshape([3, 2])],
    ['softmax and CCE', (x) => T.mean(T.categoricalCrossentropy(T.softmax(x), T.constant([1, 0, 2], 'int32'))), r.uniformArray([3, 3])],
    ['logSoftmax', (x) => T.sum(T.mul(T.logSoftmax(x, 0), T.constant([[1, 2], [3, 4], [5, 6]], 'float64'))), r.uniformArray([3, 2])],
    ['CCE with soft targets', (x) => T.sum(T.categoricalCrossentropy(T.softmax(x), T.softmax(T.mul(x, 2)))), r.uniformArray([2, 3])],
  ];
  it.each(cases)('%s', async (_name, f, value) => {
    const v = T.constant(r.uniformArray(value.shape));
    await verifyGrad((x) => T.sum(T.mul(grad(f(x), x), v)), [value]);
    // Unknown dims, except the classes (int-label CCE needs them static).
    const dynamic = [value.shape.map((d, i) => (i === value.ndim - 1 ? d : null))];
    await verifyGrad((x) => T.sum(T.mul(grad(f(x), x), v)), [value], { shapes: dynamic });
  });
});
