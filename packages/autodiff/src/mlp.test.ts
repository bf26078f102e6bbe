import '@symgrad/backend-cpu';
import { fn, NDArray, shared, T, type Variable } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { grad } from './grad.js';
import { prng } from './testing-fixtures/prng.js';
import { verifyGrad } from './verify-grad.js';

/** The seed MLP at reduced size: 16-32-32-10, relu, softmax, mean CCE against int32 labels. */
const sizes = [16, 32, 32, 10] as const;
const batch = 8;

function forward(x: Variable, w1: Variable, w2: Variable, w3: Variable, y: Variable): Variable {
  const h1 = T.relu(T.dot(x, w1));
  const h2 = T.relu(T.dot(h1, w2));
  return T.mean(T.categoricalCrossentropy(T.softmax(T.dot(h2, w3)), y));
}

describe('seed MLP 16-32-32-10', () => {
  const r = prng(20240611);
  const X = r.normalArray([batch, sizes[0]]);
  const Y = r.labels([batch], sizes[3]);
  const W = [r.heNormal([sizes[0], sizes[1]]), r.heNormal([sizes[1], sizes[2]]), r.heNormal([sizes[2], sizes[3]])];

  it('the gradients of all three weight matrices pass verifyGrad', async () => {
    const x = T.constant(X);
    const y = T.constant(Y);
    const report = await verifyGrad((w1, w2, w3) => forward(x, w1!, w2!, w3!, y), W, { names: ['w1', 'w2', 'w3'] });
    expect(report.checked).toBe(200 + 200 + 200);
  });

  it('trains in float32 with shared weights and a null batch dimension', async () => {
    const x = T.matrix('x');
    const y = T.ivector('y');
    const ws = W.map((w, i) => shared(w.astype('float32'), `w${i + 1}`));
    const loss = forward(x, ws[0]!, ws[1]!, ws[2]!, y);
    const gs = grad(loss, ws);
    gs.forEach((g, i) => expect(g.shape).toEqual(ws[i]!.shape));
    const step = fn([x, y], loss, { backend: 'cpu', updates: ws.map((w, i) => [w, T.sub(w, T.mul(gs[i]!, 0.1))] as const) });
    const Xf = X.astype('float32');
    const first = (await step(Xf, Y)).item();
    let last = first;
    for (let i = 0; i < 40; i++) last = (await step(Xf, Y)).item();
    expect(last).toBeLessThan(first * 0.5);
    expect(NDArray.from(ws[0]!.get()).shape).toEqual([16, 32]);
  });
});
