import { describe, expect, it, vi } from 'vitest';
import { fn, getBackend, NDArray, shared, T } from '@symgrad/core';
import { CpuBackend } from './index.js';
import { relError } from './testing-fixtures/random.js';

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

  it('profile mode times the compiled function itself, kernel by kernel, and computes what a plain call does', async () => {
    const cpu = (await getBackend('cpu')) as CpuBackend;
    const run = async (profile: boolean) => {
      const x = T.matrix('x');
      const w = shared(NDArray.from({ data: Float32Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), shape: [64, 48] }), 'w');
      const h = T.relu(T.dot(x, w));
      const loss = T.mean(T.square(h));
      const step = fn([x], loss, { backend: 'cpu', profile, updates: [[w, w.sub(T.dot(x.T, h).mul(1e-3))]] });
      const X = NDArray.from({ data: Float32Array.from({ length: 37 * 64 }, (_, i) => Math.cos(i)), shape: [37, 64] });
      const losses = [(await step(X)).item(), (await step(X)).item()];
      return { step, losses, w: w.get(), dispose: () => { step.dispose(); w.dispose(); } };
    };
    const plain = await run(false);
    const compiles = vi.spyOn(cpu, 'compile');
    const timed = await run(true);
    // The whole Program, compiled once: no executable per kernel.
    expect(compiles).toHaveBeenCalledTimes(1);
    compiles.mockRestore();
    const p = timed.step.profile();
    expect(p.clock).toBe('device');
    expect(p.kernels).toHaveLength(timed.step.program!.kernels.length);
    for (const k of p.kernels) expect(k.calls === 2 && Number.isFinite(k.totalMs) && k.totalMs >= 0, `${k.label}: ${k.totalMs} ms`).toBe(true);
    expect(p.kernels.reduce((a, k) => a + k.totalMs, 0)).toBeGreaterThan(0);
    expect(timed.losses).toEqual(plain.losses);
    expect(timed.w.data).toEqual(plain.w.data);
    plain.dispose();
    timed.dispose();
    // A disposed executable refuses a timed run as it refuses a run.
    const exe = cpu.compile({ buffers: [{ id: 0, dtype: 'float32', size: 1, role: 'input' }], kernels: [] }, { precision: 'fp32' });
    exe.dispose();
    await expect(exe.runTimed!([cpu.allocate('float32', 1)])).rejects.toThrow('cpu backend: this executable was disposed');
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

  it('keeps a weight packed between inference calls and repacks when a training step or set() changes it', async () => {
    const x = T.matrix('x');
    // N = 1100 spans two column blocks of the packed layout, and K = 1030 two depth blocks.
    const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    const r = rng(3);
    const w = shared(new NDArray('float32', [1030, 1100], Float32Array.from({ length: 1030 * 1100 }, r)), 'w');
    const X = new NDArray('float32', [30, 1030], Float32Array.from({ length: 30 * 1030 }, r));
    const predict = fn([x], T.dot(x, w), { backend: 'cpu' });
    const train = fn([x], T.sum(T.dot(x, w)), { backend: 'cpu', updates: [[w, w.mul(0.5).add(0.25)]] });
    const reference = (W: NDArray): Float64Array => {
      const out = new Float64Array(30 * 1100);
      for (let i = 0; i < 30; i++) for (let q = 0; q < 1030; q++) {
        const a = X.data[i * 1030 + q]!;
        for (let j = 0; j < 1100; j++) out[i * 1100 + j] += a * W.data[q * 1100 + j]!;
      }
      return out;
    };
    const check = async (what: string) => {
      const got = (await predict(X)).data;
      const want = reference(await w.read());
      expect(relError(Array.from(got), Array.from(want)), what).toBeLessThanOrEqual(1e-5);
    };
    await check('first call (packs)');
    const cpu = (await getBackend('cpu')) as CpuBackend;
    const before = { ...cpu.stats };
    await check('second call (kept)');
    expect(cpu.stats).toEqual(before);
    await train(X);
    await check('after a training step updated w');
    await check('kept again');
    w.set(new NDArray('float32', [1030, 1100], Float32Array.from({ length: 1030 * 1100 }, r)));
    await check('after w.set()');
    for (const f of [predict, train]) f.dispose();
    w.dispose();
  });

  it('hands its own output arrays over instead of copying them; earlier results, shared variables and repeated outputs stay intact', async () => {
    const cpu = (await getBackend('cpu')) as CpuBackend;
    const read = vi.spyOn(cpu, 'readSync');
    const x = T.matrix('x');
    const w = shared(new NDArray('float32', [2, 2], Float32Array.from([1, 2, 3, 4])), 'w');
    const f = fn([x], x.mul(2), { backend: 'cpu' });
    const first = f.sync([[1, 2], [3, 4]]);
    const second = f.sync([[5, 6], [7, 8]]);
    const third = await f([[0, 0], [0, 1]]);
    expect(read).not.toHaveBeenCalled();
    expect(Array.from(first.data)).toEqual([2, 4, 6, 8]);
    expect(Array.from(second.data)).toEqual([10, 12, 14, 16]);
    expect(Array.from(third.data)).toEqual([0, 0, 0, 2]);
    expect(first.data).not.toBe(second.data);

    // A shared variable's value and an output returned twice are read, never handed over.
    const g = fn([x], [x.add(w), w, x.sum(), x.sum()], { backend: 'cpu' });
    const [sum, value, s1, s2] = g.sync([[1, 1], [1, 1]]);
    expect(Array.from(sum!.data)).toEqual([2, 3, 4, 5]);
    value!.data[0] = 100;
    expect(Array.from((await w.read()).data)).toEqual([1, 2, 3, 4]);
    expect(s1!.item()).toBe(4);
    expect(s2!.item()).toBe(4);
    expect(s1!.data).not.toBe(s2!.data);
    read.mockRestore();
    for (const h of [f, g]) h.dispose();
    w.dispose();
  });

  it('take() gives the written array itself and leaves the buffer zeroed, allocating no buffer', async () => {
    const cpu = (await getBackend('cpu')) as CpuBackend;
    const buf = cpu.allocate('float32', 3);
    const before = { ...cpu.stats };
    cpu.write(buf, Float32Array.from([1, 2, 3]));
    const got = cpu.take(buf);
    expect(Array.from(got)).toEqual([1, 2, 3]);
    expect(Array.from(cpu.readSync(buf))).toEqual([0, 0, 0]);
    expect(cpu.stats).toEqual(before);
    cpu.free(buf);
    expect(() => cpu.take(buf)).toThrow(/cpu backend: take: the buffer was not allocated by this cpu backend, or was freed/);
  });

  it('computes exp, softmax and log-softmax of inputs far below exp\'s range (masked attention scores) as libm does: 0 below −745.2, denormals above', async () => {
    // Every offset of the special values in a vector (8 wide at most) and a tail.
    const special = [-1e9, -1e300, -Infinity, -745.3, -745.1, -740, -720.5, -708.5, -708.0, -707.9, -1, 0, 2.5, NaN];
    const data = Float64Array.from({ length: 8 * special.length + 5 }, (_, i) => special[(i * 5) % special.length]!);
    const x = T.dvector('x');
    const got = (await fn([x], T.exp(x), { backend: 'cpu' })(new NDArray('float64', [data.length], data))).data;
    data.forEach((v, i) => {
      if (Number.isNaN(v)) return expect(got[i]).toBeNaN();
      if (v < -745.2) return expect(got[i]).toBe(0);
      // Denormals round alike; elsewhere libmvec is within a few ulps of V8's exp.
      if (v < -708) return expect(Math.abs(got[i]! - Math.exp(v))).toBeLessThanOrEqual(5e-324);
      expect(Math.abs(got[i]! - Math.exp(v))).toBeLessThanOrEqual(4e-16 * Math.exp(v));
    });
    // A causal mask's rows: the masked weights are exactly 0 and the rest a softmax of the kept scores.
    const rows = 13, cols = 37;
    const scores = Float64Array.from({ length: rows * cols }, (_, i) => ((i % cols) > (i / cols | 0) * 3 ? -1e9 : Math.sin(i)));
    const m = T.dmatrix('m');
    const [soft, logSoft] = await fn([m], [T.softmax(m), T.logSoftmax(m)], { backend: 'cpu' })(new NDArray('float64', [rows, cols], scores));
    for (let r = 0; r < rows; r++) {
      const row = scores.subarray(r * cols, (r + 1) * cols);
      const top = Math.max(...row);
      const z = row.reduce((a, v) => a + Math.exp(v - top), 0);
      row.forEach((v, c) => {
        if (v === -1e9) expect(soft!.data[r * cols + c]).toBe(0);
        else expect(Math.abs(soft!.data[r * cols + c]! - Math.exp(v - top) / z)).toBeLessThan(1e-15);
        expect(relError([logSoft!.data[r * cols + c]!], [v - top - Math.log(z)])).toBeLessThan(1e-14);
      });
    }
  });
});
