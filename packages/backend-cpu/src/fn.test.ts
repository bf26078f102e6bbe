import { describe, expect, it } from 'vitest';
import { fn, getBackend, NDArray, shared, T } from '@symgrad/core';
import { CpuBackend } from './index.js';

describe('the cpu backend under fn', () => {
  it('allocates no buffers per step once a training step is compiled', async () => {
    const cpu = (await getBackend('cpu')) as CpuBackend;
    const x = T.matrix('x');
    const w = shared(NDArray.zeros([3, 2]), 'w');
    const err = T.dot(x, w).sub(1);
    const loss = T.mean(T.square(err));
    const step = fn([x], loss, { backend: 'cpu', updates: [[w, w.sub(T.dot(x.T, err).mul(0.05))]] });
    const X = NDArray.full([5, 3], 0.5);
    const first = (await step(X)).item();
    const before = { ...cpu.stats };
    let last = first;
    for (let i = 0; i < 10; i++) last = step.sync(X).item();
    expect(cpu.stats).toEqual(before);
    expect(last).toBeLessThan(first);
    step.dispose();
    w.dispose();
  });

  it('computes a small expression end to end', async () => {
    const x = T.matrix('x');
    const f = fn([x], [x.mul(2).sum(1), x.T], { backend: 'cpu' });
    const [s, t] = await f([[1, 2], [3, 4]]);
    expect(s!.toArray()).toEqual([6, 14]);
    expect(t!.toArray()).toEqual([[1, 3], [2, 4]]);
    f.dispose();
  });
});
