import '@symgrad/backend-cpu';
import { fn, T } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { grad } from '../grad.js';

describe('random gradients', () => {
  it('a dropout mask is a constant of the gradient: d/dx Σ x·mask = mask, the same draw as the forward pass', async () => {
    const x = T.matrix('x');
    const rng = T.random.state(11);
    const u = T.random.uniform(rng, x);
    const mask = T.mul(T.cast(T.lt(u.values, 0.7), 'float32'), 1 / 0.7);
    const cost = T.sum(T.mul(T.square(x), mask));
    const [gx] = grad(cost, [x]);
    const f = fn([x], [mask, gx!], { updates: [[rng, u.next]] });
    const xs = [[1, 2, 3, 4, 5], [-1, -2, -3, -4, -5], [0.5, 0.25, 2, 3, 1]];
    for (let call = 0; call < 2; call++) {
      const [m, g] = await f(xs);
      const flat = xs.flat();
      [...g!.data].forEach((v, i) => expect(v).toBeCloseTo(2 * flat[i]! * m!.data[i]!, 5));
    }
  });

  it('a tensor giving only the shape is disconnected: grad says so, or gives zeros when asked', async () => {
    const x = T.vector('x');
    const { values } = T.random.normal(T.random.state(3), x);
    expect(() => grad(T.sum(values), [x])).toThrow("grad: the cost <sum output> (float32[]) does not depend on wrt[0] 'x' (float32[?]); pass { disconnected: 'zero' }");
    const [gx] = grad(T.sum(values), [x], { disconnected: 'zero' });
    const f = fn([x], gx!);
    expect([...(await f([1, 2, 3])).data]).toEqual([0, 0, 0]);
  });
});
