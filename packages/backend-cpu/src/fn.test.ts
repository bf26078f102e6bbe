import { describe, expect, it, vi } from 'vitest';
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

  it('reads float arguments in place (no copy); bool arguments are copied', async () => {
    const cpu = (await getBackend('cpu')) as CpuBackend;
    const write = vi.spyOn(cpu, 'write');
    const x = T.matrix('x');
    const f = fn([x], x.mul(2).sum(1), { backend: 'cpu' });
    const X = new NDArray('float32', [2, 2], Float32Array.from([1, 2, 3, 4]));
    expect(f.sync(X).toArray()).toEqual([6, 14]);
    expect(write).not.toHaveBeenCalled();
    // The argument is read at each call: a changed or a different array gives its own result.
    X.data[0] = 10;
    expect(f.sync(X).toArray()).toEqual([24, 14]);
    expect(f.sync(new NDArray('float32', [2, 2], Float32Array.from([0, 0, 1, 1]))).toArray()).toEqual([0, 4]);
    // Nested arrays are converted into a new array, which is then read in place.
    expect(f.sync([[1, 1], [1, 1]]).toArray()).toEqual([4, 4]);
    expect(write).not.toHaveBeenCalled();

    // Returned as it is: the Program copies it into its output buffer, and results are read
    // out as copies, so neither array aliases the other.
    const id = fn([x], x, { backend: 'cpu' });
    const out = id.sync(X);
    expect(out.data).not.toBe(X.data);
    out.data[1] = -1;
    expect(X.data[1]).toBe(2);
    expect(write).not.toHaveBeenCalled();

    const b = T.tensor('bool', [null], 'b');
    const g = fn([b], T.cast(b, 'int32').sum(), { backend: 'cpu' });
    expect(g.sync(new NDArray('bool', [3], Uint8Array.from([1, 0, 1]))).item()).toBe(2);
    expect(write).toHaveBeenCalledTimes(1);
    write.mockRestore();
    for (const h of [f, id, g]) h.dispose();
  });

  it('adopts one wrapper per array: passing the same argument every step allocates nothing and the caller keeps its array', async () => {
    const cpu = (await getBackend('cpu')) as CpuBackend;
    const data = Float32Array.from([1, 2, 3]);
    const a = cpu.adopt(data)!;
    expect(cpu.adopt(data)).toBe(a);
    expect(a.data).toBe(data);
    expect(cpu.readSync(a)).toEqual(data);
    expect(cpu.readSync(a)).not.toBe(data);
    expect(cpu.adopt(Uint8Array.from([1]))).toBeUndefined();
    expect(() => cpu.adopt(new Float32Array(0))).not.toThrow();
  });
});

