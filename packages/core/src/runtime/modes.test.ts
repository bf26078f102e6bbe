import { beforeAll, describe, expect, it } from 'vitest';
import { deviceAllocations, fn, NDArray, registerBackend, T, type Backend, type CompileOptions, type DeviceBuffer, type Executable, type Program } from '../index.js';
import { referenceBackendFactory } from '../testing/reference-backend.js';
import { buildSeedStep } from '../testing/seed-step.js';
import { relativeError, TestRandom } from '../testing/random.js';

beforeAll(() => registerBackend('ref-modes', referenceBackendFactory('ref-modes'), -5));

describe('compiler on the seed step', () => {
  it('O0 and O2 agree within 1e-5 over 5 steps, and O2 needs far fewer kernels', async () => {
    const losses: number[][] = [];
    const weights: NDArray[][] = [];
    const kernels: number[] = [];
    for (const level of ['O0', 'O2'] as const) {
      const rng = new TestRandom(7);
      const s = buildSeedStep(rng, [20, 16, 12, 10], 0.1);
      const X = rng.array([9, 20]);
      const Y = rng.array([9], 'int32', 0, 9);
      const train = fn([s.x, s.y], s.loss, { updates: s.updates, backend: 'ref-modes', optimizer: level });
      const l: number[] = [];
      for (let i = 0; i < 5; i++) l.push((await train(X, Y)).item());
      const before = deviceAllocations.count;
      await train(X, Y);
      expect(deviceAllocations.count).toBe(before);
      losses.push(l);
      weights.push(s.weights.map((w) => w.get()));
      kernels.push(train.stats().kernels);
    }
    expect(relativeError(losses[1]!, losses[0]!)).toBeLessThanOrEqual(1e-5);
    weights[1]!.forEach((w, i) => expect(relativeError(w.data, weights[0]![i]!.data)).toBeLessThanOrEqual(1e-5));
    expect(kernels[1]!).toBeLessThan(kernels[0]! / 2);
  });
});

describe('debug and profile modes', () => {
  it('debug mode names the op and call site that first produced a non-finite value', async () => {
    const x = T.vector('x');
    const planted = T.log(T.sub(x, 1)); // log(0) where x = 1
    const f = fn([x], T.sum(T.exp(planted)), { backend: 'ref-modes', mode: 'debug' });
    const err = await f([2, 1, 3]).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/^debug mode: kernel #1 \[log\] produced Inf at element 1 of its output; it computes log \(built at .*modes\.test\.ts:\d+:\d+\)\n {2}input 0: min 0, max 2, mean 1, NaN 0, Inf 0$/);
    expect((await fn([x], T.sum(T.exp(planted)), { backend: 'ref-modes' })([2, 1, 3])).item()).toBeCloseTo(3, 5);
  });
  it('profile mode reports time per kernel and per op', async () => {
    const x = T.matrix('x');
    const f = fn([x], T.sum(T.dot(x, T.transpose(x))), { backend: 'ref-modes', profile: true });
    await f(NDArray.full([4, 3], 1));
    await f(NDArray.full([4, 3], 1));
    const p = f.profile();
    expect(p.kernels.map((k) => k.calls)).toEqual(p.kernels.map(() => 2));
    expect(p.table.split('\n')[0]).toMatch(/^kernel +label +ms\/call +share$/);
    expect(p.table).toMatch(/#0 +matmul/);
    expect(() => fn([x], x, { backend: 'ref-modes' }).profile()).toThrow('fn.profile(): compile the function with { profile: true } and await a call first');
    expect(p.clock).toBe('host');
    expect(p.table.split('\n').at(-1)).toBe("times from the host's clock, each kernel run alone and waited for (a GPU kernel's includes its launch and read-back)");
  });
  it('profile mode takes the device clock where the whole executable has runTimed, compiling nothing per kernel', async () => {
    const base = await referenceBackendFactory('ref-timed').create();
    const compiled: number[] = [];
    let times: number[] = [];
    let inside: Map<number, number> | undefined;
    const timed: Backend = Object.assign(Object.create(base) as Backend, {
      name: 'ref-timed',
      compile(p: Program, o: CompileOptions): Executable {
        compiled.push(p.kernels.length);
        const exe = base.compile(p, o);
        return { run: (b: readonly DeviceBuffer[]) => exe.run(b), dispose: () => exe.dispose(), runTimed: async (b: readonly DeviceBuffer[]) => { exe.run(b); return times; }, ...(inside ? { computedInside: inside } : {}) };
      },
    });
    registerBackend('ref-timed', { availability: () => ({ ok: true }), create: () => timed }, -6);
    const x = T.matrix('x');
    const f = fn([x], T.sum(T.exp(T.dot(x, T.transpose(x)))), { backend: 'ref-timed', profile: true });
    times = [0.25, 0.5];
    const v = (await f(NDArray.full([4, 3], 1))).item();
    expect(v).toBeCloseTo(16 * Math.exp(3), 3); // the timed run computed the result
    times = [0.75, 0.5];
    await f(NDArray.full([4, 3], 1));
    const p = f.profile();
    expect(compiled).toEqual([2]); // the whole Program, once: no per-kernel executables
    expect(p.clock).toBe('device');
    expect(p.kernels.map((k) => [k.calls, k.totalMs])).toEqual([[2, 1], [2, 1]]);
    expect(p.table).toMatch(/^#0 +matmul.* +0\.500 +50\.0%$/m);
    expect(p.table.split('\n').at(-1)).toBe("times from the device's clock (timestamps or events), the kernels run one after another");
    // A backend that times the wrong number of kernels is named.
    times = [1];
    await expect(f(NDArray.full([4, 3], 1))).rejects.toThrow("profile mode: backend 'ref-timed' timed 1 kernels of a Program with 2");
    // A backend that computes kernel 1 inside kernel 0's launch: the table says where its time went.
    inside = new Map([[1, 0]]);
    times = [0.75, 0];
    const g = fn([x], T.sum(T.exp(T.dot(x, T.transpose(x)))), { backend: 'ref-timed', profile: true });
    await g(NDArray.full([4, 3], 1));
    const q = g.profile();
    expect(q.kernels.map((k) => k.inside)).toEqual([undefined, 0]);
    expect(q.table).toMatch(/^#1 +\S.* +0\.000 +in #0$/m);
    expect(q.table).toContain('"in #j": the backend computes the kernel inside kernel j\'s launch, where its time is counted');
    expect(q.table.split('\n').at(-1)).toBe("times from the device's clock (timestamps or events), the kernels run one after another");
    expect(p.table).not.toContain('in #');
  });
  it('stats report kernels, FLOPs and compile time per pass', async () => {
    const x = T.matrix('x');
    const f = fn([x], T.dot(x, T.transpose(x)), { backend: 'ref-modes' });
    expect(() => f.stats()).toThrow(/has not been called yet/);
    await f(NDArray.full([4, 3], 1));
    const s = f.stats();
    expect(s.kernels).toBe(1);
    expect(s.flops).toBe(2 * 4 * 4 * 3);
    expect(s.passes.map((p) => p.pass)).toEqual(['canonicalize', 'constantFold', 'merge', 'stabilize', 'concatSums', 'canonicalize', 'merge', 'lower', 'inlineConstants', 'foldConstantKernels', 'mergeSoftmaxCrossEntropy', 'fuseElementwise', 'accumulateSlices', 'scatterInPlace', 'foldUpdateIntoMatmul', 'fuseMatmulEpilogue', 'specializeMatmul', 'concatInPlace', 'permuteInPlace', 'fuseReduce', 'fuseReduce', 'fuseSiblings', 'deadCode', 'memoryPlan']);
  });
});
