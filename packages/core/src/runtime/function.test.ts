import { beforeAll, describe, expect, it } from 'vitest';
import { deviceAllocations, DeviceArray, fn, NDArray, ready, registerBackend, shared, T, formatProgram, type Backend } from '../index.js';
import { ReferenceBackend, referenceBackendFactory } from '../testing/reference-backend.js';

/** A backend that reads only asynchronously, as webgpu does. */
function asyncOnly(name: string): Backend {
  const inner = new ReferenceBackend(name);
  return {
    name,
    capabilities: { ...inner.capabilities, syncRead: false },
    allocate: (dtype, size) => inner.allocate(dtype, size),
    free: () => {},
    write: (buffer, data) => inner.write(buffer, data),
    read: (buffer) => inner.read(buffer),
    compile: (program) => inner.compile(program),
  };
}

beforeAll(() => {
  registerBackend('ref-fn', referenceBackendFactory('ref-fn'), -5);
  registerBackend('ref-async', { availability: () => ({ ok: true }), create: () => asyncOnly('ref-async') }, -7);
  // An availability check that awaits (a GPU adapter request): not ready until awaited.
  registerBackend('ref-later', { availability: async () => ({ ok: true }), create: () => new ReferenceBackend('ref-later') }, -8);
  const limited = new ReferenceBackend('ref-limited', ['elementwise', 'reduce']);
  registerBackend('ref-limited', { availability: () => ({ ok: true }), create: () => Object.assign(limited, { capabilities: { ...limited.capabilities, dtypes: ['float32'] } }) }, -9);
});
const opts = { backend: 'ref-fn' };

describe('fn', () => {
  it('computes outputs from nested arrays, typed arrays and NDArrays', async () => {
    const x = T.matrix('x');
    const f = fn([x], [x.mul(2).sum(1), x.T], opts);
    const [s, t] = await f([[1, 2], [3, 4]]);
    expect(s!.toArray()).toEqual([6, 14]);
    expect(t!.toArray()).toEqual([[1, 3], [2, 4]]);
    const [s2] = await f({ data: new Float32Array([1, 1, 1, 1, 1, 1]), shape: [3, 2] });
    expect(s2!.toArray()).toEqual([4, 4, 4]);
    const single = fn([x], x.sum(), opts);
    expect((await single(NDArray.from([[1, 2]], 'float32'))).item()).toBe(3);
  });

  it('applies updates after outputs, every right-hand side seeing old values', async () => {
    const a = shared([1, 2], 'a');
    const b = shared([10, 20], 'b');
    const x = T.vector('x');
    const f = fn([x], [a.add(x), b], { ...opts, updates: [[a, b], [b, a.add(x)]] });
    const [o1, o2] = await f([100, 100]);
    expect(o1!.toArray()).toEqual([101, 102]);
    expect(o2!.toArray()).toEqual([10, 20]);
    expect(a.get().toArray()).toEqual([10, 20]);
    expect(b.get().toArray()).toEqual([101, 102]);
    await f([0, 0]);
    expect(a.get().toArray()).toEqual([101, 102]);
    expect(b.get().toArray()).toEqual([10, 20]);
  });

  it('substitutes givens', async () => {
    const x = T.vector('x');
    const z = T.vector('z');
    const f = fn([z], x.mul(3), { ...opts, givens: [[x, z.add(1)]] });
    expect((await f([1, 2])).toArray()).toEqual([6, 9]);
  });

  it('offers enqueue (device arrays) and sync', async () => {
    const x = T.vector('x');
    const f = fn([x], x.square(), opts);
    await f([1]);
    const d = f.enqueue([2, 3]);
    expect(d).toBeInstanceOf(DeviceArray);
    expect((await d.read()).toArray()).toEqual([4, 9]);
    expect(f.sync([4]).toArray()).toEqual([16]);
    expect(f.backendName).toBe('ref-fn');
    expect(String(f.program)).toBe(formatProgram(f.program!));
    expect(formatProgram(f.program!)).toMatch(/kernels \(1\):\n {2}#0 \[square\] elementwise 1: b1\[1 s\(1\)\] = square\(in0\)/);
  });

  it('allocates nothing per call once compiled for a signature', async () => {
    const x = T.matrix('x');
    const w = shared(NDArray.zeros([3, 2]), 'w');
    const loss = T.mean(T.square(T.dot(x, w).sub(1)));
    const f = fn([x], loss, { ...opts, updates: [[w, w.sub(T.dot(x.T, T.dot(x, w).sub(1)).mul(0.01))]] });
    await f(NDArray.zeros([5, 3]));
    const before = deviceAllocations.count;
    for (let i = 0; i < 5; i++) await f(NDArray.full([5, 3], 0.5));
    expect(deviceAllocations.count).toBe(before);
    expect(f.compiledSignatures).toBe(1);
    await f(NDArray.zeros([4, 3]));
    expect(deviceAllocations.count).toBeGreaterThan(before);
    expect(f.compiledSignatures).toBe(2);
  });

  it('disposes buffers and shared variables deterministically', async () => {
    const w = shared([1, 2, 3], 'w');
    const f = fn([], w.mul(2), { ...opts, updates: [[w, w.add(1)]] });
    await f();
    f.dispose();
    w.dispose();
    expect(w.get().toArray()).toEqual([2, 3, 4]);
  });
});

describe('call-time errors name the input and what was expected', () => {
  const x = T.matrix('x', { shape: [null, 3] });
  const y = T.ivector('y');
  const f = fn([x, y], T.sum(x).add(T.sum(y)), opts);
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['count', () => f([[1, 2, 3]]), /^fn: expected 2 arguments \('x', 'y'\), got 1$/],
    ['shape', () => f([[1, 2]], [1]), /^input 0 'x': expected shape \[\?, 3\] \(float32\), got \[1, 2\]$/],
    ['rank', () => f([1, 2, 3], [1]), /^input 0 'x': expected shape \[\?, 3\] \(float32\), got \[3\]$/],
    ['dtype typed', () => f({ data: new Float64Array(3), shape: [1, 3] }, [1]), /^input 0 'x': expected dtype float32, got a Float64Array \(float64\)$/],
    ['dtype ndarray', () => f([[1, 2, 3]], NDArray.from([1], 'float32')), /^input 1 'y': expected dtype int32, got an NDArray of float32 \(convert it with \.astype\('int32'\)\)$/],
    ['length', () => f({ data: new Float32Array(5), shape: [2, 3] }, [1]), /^input 0 'x': typed array has 5 elements but shape \[2, 3\] needs 6$/],
    ['bare typed array', () => f(new Float32Array(3) as never, [1]), /^input 0 'x': a typed array needs a shape: pass \{ data, shape \} or an NDArray$/],
    ['ragged', () => f([[1, 2, 3], [1]], [1]), /^input 0 'x': NDArray.from: ragged nested array at \[1\]: expected length 3, got 1$/],
  ];
  for (const [name, call, re] of cases) it(name, async () => expect(call()).rejects.toThrow(re));

  it('NaN inputs in debug mode', async () => {
    const g = fn([x], T.sum(x), { ...opts, mode: 'debug' });
    await expect(g([[1, NaN, 3]])).rejects.toThrow(/^input 0 'x': element 1 is NaN \(debug mode checks inputs for NaN and Inf\)$/);
    const h = fn([x], T.sum(x), opts);
    expect(Number.isNaN((await h([[1, NaN, 3]])).item())).toBe(true);
  });

  it('a non-broadcastable axis that is 1 at call time', async () => {
    const a = T.matrix('a');
    const b = T.matrix('b');
    const g = fn([a, b], a.add(b), opts);
    await expect(g([[1, 2]], [[1, 2], [3, 4]])).rejects.toThrow(/^add: input 'a' has size 1 on axis 0 at call time and would broadcast to 2, but its static shape \[\?, \?\] does not mark that axis broadcastable/);
    await expect(g([[1, 2, 3]], [[1, 2]])).rejects.toThrow(/^add: shapes \[1, 3\] and \[1, 2\] cannot be broadcast \(axis -1: 3 vs 2\) at call time; inputs: 'a' \(float32\[1, 3\]\), 'b' \(float32\[1, 2\]\) \(built at .*function\.test\.ts/);
  });
});

describe('construction errors', () => {
  const x = T.vector('x');
  const w = shared([1, 2], 'w');
  it('names missing inputs', () => {
    const z = T.vector('z');
    expect(() => fn([x], x.add(z), opts)).toThrow(/^fn: the outputs depend on 'z' \(float32\[\?\]\), which is not in the inputs \['x'\]/);
  });
  it('rejects inputs and outputs that are not symbolic variables', () => {
    expect(() => fn([x], [x, 3 as never], opts)).toThrow(/^fn: output 1 is a number, not a symbolic variable \(wrap constants with T\.constant\) \(built at .*function\.test\.ts/);
    expect(() => fn([x], undefined as never, opts)).toThrow(/^fn: outputs must be a symbolic variable or an array of them, got undefined \(built at .*function\.test\.ts/);
    expect(() => fn([x], [undefined as never], opts)).toThrow(/^fn: output 0 is undefined, not a symbolic variable/);
    expect(() => fn(x as never, x, opts)).toThrow(/^fn: inputs must be an array of symbolic variables, got 'x' \(float32\[\?\]\); write fn\(\[x\], …\)/);
    expect(() => fn([[1, 2] as never], x, opts)).toThrow(/^fn: input 0 is an array, not a symbolic variable; inputs must be variables made with T\.matrix, T\.ivector, …/);
    expect(() => fn([T.constant([1, 2], 'float32', 'c')], x, opts)).toThrow(/^fn: input 0 'c' \(float32\[2\]\) is a constant; inputs must be variables made with T\.matrix, T\.ivector, …/);
  });
  it('rejects shared and computed inputs, duplicates', () => {
    expect(() => fn([w], w, opts)).toThrow(/^fn: input 0 'w' \(float32\[2\]\) is a shared variable; shared variables are implicit inputs, leave it out/);
    expect(() => fn([x.add(1)], x, opts)).toThrow(/^fn: input 0 <add output> \(float32\[\?\]\) is computed by an op/);
    expect(() => fn([x, x], x, opts)).toThrow(/^fn: input 'x' \(float32\[\?\]\) is listed twice/);
  });
  it('checks updates', () => {
    expect(() => fn([x], x, { ...opts, updates: [[x as never, x]] })).toThrow(/^fn: update 0 targets 'x' \(float32\[\?\]\), which is not a shared variable/);
    expect(() => fn([], w, { ...opts, updates: [[w, T.cast(w, 'int32')]] })).toThrow(/^fn: update of shared variable 'w' \(float32\[2\]\) has dtype int32 \(<cast output>\); cast it with T\.cast\(…, 'float32'\)/);
    expect(() => fn([], w, { ...opts, updates: [[w, T.concat([w, w])]] })).toThrow(/^fn: update of shared variable 'w' \(float32\[2\]\) has shape \[4\]/);
    expect(() => fn([], w, { ...opts, updates: [[w, w], [w, w]] })).toThrow(/^fn: shared variable 'w' is updated twice/);
  });
  it('checks an update shape known only at call time', async () => {
    const g = fn([x], w, { ...opts, updates: [[w, x]] });
    await expect(g([1, 2, 3])).rejects.toThrow(/^update of shared variable 'w': the new value 'x' has shape \[3\] at call time, but the variable has shape \[2\]/);
  });
  it('shared set checks the shape', () => {
    expect(() => w.set([1, 2, 3])).toThrow(/^shared variable 'w': new value has shape \[3\] but the variable has shape \[2\] \(shapes of shared variables are fixed\)$/);
  });
});

describe('user strings never reach a Program', () => {
  it('names that try to break out of generated code stay out of kernels', async () => {
    const evil = "x'); globalThis.pwned = 1; ('";
    const x = T.vector(evil);
    const w = shared([1, 2], '*/ throw new Error("pwned") /*');
    const f = fn([x], x.mul(w).sum(), opts);
    expect((await f([3, 4])).item()).toBe(11);
    const text = JSON.stringify(f.program);
    expect(text).not.toContain('pwned');
    expect(text).not.toContain(evil);
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });
});

describe('backends that cannot read synchronously or are not ready', () => {
  const x = T.vector('x');
  it('fn.sync and DeviceArray.readSync say to await instead', async () => {
    const f = fn([x], x.add(1), { backend: 'ref-async' });
    expect((await f([1, 2])).toArray()).toEqual([2, 3]);
    expect(() => f.sync([1])).toThrow("fn.sync: backend 'ref-async' cannot read synchronously; use await f(...) or f.enqueue(...)");
    const d = f.enqueue([5]);
    expect(() => d.readSync()).toThrow("DeviceArray.readSync: backend 'ref-async' cannot read synchronously; use await read()");
    expect((await d.read()).toArray()).toEqual([6]);
  });

  it('a shared variable updated there is read with await read()', async () => {
    const w = shared([1, 2], 'w');
    const step = fn([], w, { backend: 'ref-async', updates: [[w, w.add(1)]] });
    await step();
    expect(() => w.get()).toThrow("shared variable 'w' lives on backend 'ref-async', which cannot read synchronously: use `await w.read()`");
    expect((await w.read()).toArray()).toEqual([2, 3]);
  });

  it('a shared variable with a newer value there is read before another backend uses it', async () => {
    const w = shared([1, 2], 'w');
    await fn([], w, { backend: 'ref-async', updates: [[w, w.add(1)]] })();
    const double = fn([], w.mul(2), opts);
    await expect(double()).rejects.toThrow("shared variable 'w' holds a newer value on backend 'ref-async'; await its read() before using it on 'ref-fn'");
    await w.read();
    expect((await double()).toArray()).toEqual([4, 6]);
  });

  it('enqueue and sync need a backend that is initialized', async () => {
    const f = fn([x], x.mul(2), { backend: 'ref-later' });
    expect(() => f.enqueue([1])).toThrow("fn.enqueue: backend 'ref-later' is not initialized yet: `await ready('ref-later')` first, or call the function with await");
    expect(() => f.sync([1])).toThrow("fn.sync: backend 'ref-later' is not initialized yet: `await ready('ref-later')` first");
    await ready('ref-later');
    expect(f.sync([3]).toArray()).toEqual([6]);
  });

  it('a Program the backend cannot run lists every unsupported kernel and dtype', async () => {
    const a = T.dmatrix('a');
    const f = fn([a], T.dot(a, a), { backend: 'ref-limited' });
    await expect(f([[1, 2], [3, 4]])).rejects.toThrow(
      /^backend 'ref-limited' cannot run this function:\n {2}kernel 0 \(.*\): kind 'matmul' is not supported\n {2}dtype float64 is not supported \(supported: float32\)$/,
    );
  });
});
