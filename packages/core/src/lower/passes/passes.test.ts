import { beforeAll, describe, expect, it } from 'vitest';
import { fn, programAliasingProblems, registerBackend, scalarExprNodes, shared, T, NDArray, type FnOptions, type Variable } from '../../index.js';
import { ReferenceBackend, referenceBackendFactory } from '../../testing/reference-backend.js';

beforeAll(() => registerBackend('ref-passes', referenceBackendFactory('ref-passes'), -5));

async function kernelsOf(inputs: Variable[], outputs: Variable[], args: NDArray[], opts: FnOptions = {}): Promise<string[]> {
  const f = fn(inputs, outputs, { backend: 'ref-passes', ...opts });
  await f(...args);
  return f.program!.kernels.map((k) => `${k.kind}[${k.label}]`);
}

const x = T.matrix('x');
const X = NDArray.full([3, 4], 0.5);

describe('program passes', () => {
  it('fuses an elementwise chain into one kernel, with constants inlined', async () => {
    const e = T.tanh(T.add(T.mul(T.exp(x), 2), 1));
    expect(await kernelsOf([x], [e], [X], { optimizer: 'O0' })).toHaveLength(4);
    const f = fn([x], e, { backend: 'ref-passes' });
    await f(X);
    expect(f.program!.kernels).toHaveLength(1);
    const k = f.program!.kernels[0]!;
    expect(k.kind).toBe('elementwise');
    expect(k.kind === 'elementwise' && k.inputs.length).toBe(1);
  });
  it('fuses a chain of x + x into one kernel whose expression shares each step (it would double per step)', async () => {
    let e = T.exp(x);
    for (let n = 0; n < 40; n++) e = T.add(e, e);
    const f = fn([x], T.mul(e, 2 ** -40), { backend: 'ref-passes' });
    const y = await f(X);
    expect(f.program!.kernels).toHaveLength(1);
    const k = f.program!.kernels[0]!;
    expect(k.kind === 'elementwise' && scalarExprNodes(k.exprs).length).toBeLessThan(50);
    expect([...y.data].every((v) => Math.abs(v - Math.exp(0.5)) < 1e-6)).toBe(true);
  });
  it('fuses a transposed consumer through the view', async () => {
    expect(await kernelsOf([x], [T.transpose(T.exp(x)).add(1)], [X])).toEqual(['elementwise[exp+add]']);
  });
  it('fuses elementwise producers into a reduce prologue and a consumer into its epilogue', async () => {
    expect(await kernelsOf([x], [T.mean(T.square(T.sub(x, 1)))], [X])).toEqual(['reduce[sub+square+sum+div]']);
    // keepdims: the division runs over [3, 1], the sum's [3]: the same elements, so it fuses too.
    const f = fn([x], [T.sub(x, T.mean(x, 1, true))], { backend: 'ref-passes' });
    const [centered] = await f(X);
    expect(f.program!.kernels.map((k) => `${k.kind}[${k.label}]`)).toEqual(['reduce[sum+div]', 'elementwise[sub]']);
    expect(Array.from(centered!.data)).toEqual(new Array(12).fill(0));
  });
  it('fuses bias and activation into the matmul epilogue', async () => {
    const w = shared(NDArray.full([4, 5], 0.1), 'w');
    const b = shared(NDArray.full([5], 0.2), 'b');
    expect(await kernelsOf([x], [T.relu(T.add(T.dot(x, w), b))], [X])).toEqual(['matmul[matmul+add+relu]']);
  });
  it('folds the SGD update into the matmul producing the gradient', async () => {
    const w = shared(NDArray.full([4, 5], 0.1), 'w');
    const g = T.dot(T.transpose(x), T.dot(x, w));
    const ks = await kernelsOf([x], [], [X], { updates: [[w, w.sub(g.mul(0.1))]] });
    expect(ks).toEqual(['matmul[matmul]', 'matmul[matmul+sgd]']);
    expect(w.get().get(0, 0)).toBeCloseTo(0.1 - 0.1 * (3 * 0.5 * 0.5 * 4 * 0.1), 5);
  });
  it('never lets a matmul write a buffer it reads as an operand (updates that multiply the variable itself)', async () => {
    const q = T.matrix('q');
    const Q = new NDArray('float32', [3, 3], Float32Array.from({ length: 9 }, (_, i) => ((i * 7) % 5) / 5 - 0.4));
    const init = () => new NDArray('float32', [3, 4], Float32Array.from({ length: 12 }, (_, i) => ((i * 5) % 7) / 7 - 0.5));
    const cases: [string, (s: ReturnType<typeof shared>) => Variable, string][] = [
      ['s ← qᵀ·s', (s) => T.matmul(q, s, { transA: true }), 'matmul[matmul]'],
      ['s ← relu(q·s)', (s) => T.relu(T.dot(q, s)), 'matmul[matmul]'],
      ['s ← s − 0.1·(q·s)', (s) => s.sub(T.dot(q, s).mul(0.1)), 'matmul[matmul]'],
      ['s ← q·s + s', (s) => T.add(T.dot(q, s), s), 'matmul'],
    ];
    for (const [name, rhs, first] of cases) {
      const results: NDArray[] = [];
      for (const optimizer of ['O0', 'O2'] as const) {
        const s = shared(init(), 's');
        const f = fn([q], [], { updates: [[s, rhs(s)]], backend: 'ref-passes', optimizer });
        await f(Q);
        await f(Q);
        expect(programAliasingProblems(f.program!), `${name} at ${optimizer}`).toEqual([]);
        if (optimizer === 'O2') expect(`${f.program!.kernels[0]!.kind}[${f.program!.kernels[0]!.label}]`, name).toContain(first);
        results.push(s.get());
      }
      const [want, got] = results as [NDArray, NDArray];
      for (let i = 0; i < 12; i++) expect(got.data[i], `${name}[${i}]`).toBeCloseTo(want.data[i]!, 5);
    }
  });
  it('names the aliasing problems of a kernel that breaks the rule', () => {
    const v = (buffer: number, shape: number[], strides: number[], offset = 0) => ({ buffer, offset, shape, strides });
    expect(programAliasingProblems({
      buffers: [{ id: 0, dtype: 'float32', size: 9, role: 'input' }, { id: 1, dtype: 'float32', size: 12, role: 'shared' }],
      kernels: [
        { kind: 'matmul', batch: [], m: 3, n: 4, k: 3, a: v(0, [3, 3], [3, 1]), b: v(1, [3, 4], [4, 1]), transA: false, transB: false, alpha: 1, beta: 0, out: v(1, [3, 4], [4, 1]), dtype: 'float32', label: 'mm' },
        { kind: 'elementwise', shape: [4, 3], inputs: [v(1, [4, 3], [1, 4])], outputs: [v(1, [4, 3], [3, 1])], exprs: [{ op: 'input', index: 0, dtype: 'float32' }], label: 'transpose in place' },
        { kind: 'elementwise', shape: [3, 4], inputs: [v(1, [3, 4], [4, 1])], outputs: [v(1, [3, 4], [4, 1])], exprs: [{ op: 'input', index: 0, dtype: 'float32' }], label: 'in place' },
      ],
    })).toEqual(['kernel 0 (mm): matmul reads b1 as operand B and writes it', 'kernel 1 (transpose in place): elementwise reads b1 through another view than the one it writes']);
  });
  it('specializes scale and accumulate into alpha and beta', async () => {
    const w = shared(NDArray.full([4, 5], 0.1), 'w');
    const w2 = shared(NDArray.full([4, 5], 0.1), 'w2');
    const y = T.matrix('y');
    const e = T.exp(y);
    const f = fn([x, y], [T.mul(T.dot(x, w), 3), T.sum(e), T.sum(T.add(T.mul(T.dot(x, w2), 0.5), e))], { backend: 'ref-passes' });
    const [a, , b] = await f(X, NDArray.full([3, 5], 0));
    expect(f.program!.kernels.map((k) => (k.kind === 'matmul' ? `${k.alpha}/${k.beta}/${k.epilogue ? 'epi' : '-'}` : k.kind))).toEqual(['3/0/-', 'elementwise', 'reduce', '0.5/1/-', 'reduce']);
    expect(a!.get(0, 0)).toBeCloseTo(3 * 4 * 0.5 * 0.1, 5);
    expect(b!.item()).toBeCloseTo(15 * (0.5 * 4 * 0.5 * 0.1 + 1), 4);
  });
  it('fuses siblings that read the same input into one kernel with several outputs', async () => {
    const f = fn([x], [T.exp(x), T.tanh(x), T.sum(x)], { backend: 'ref-passes' });
    const [e, t] = await f(X);
    const kinds = f.program!.kernels.map((k) => (k.kind === 'elementwise' ? `elementwise:${k.outputs.length}` : k.kind));
    expect(kinds).toEqual(['elementwise:2', 'reduce']);
    expect(e!.get(0, 0)).toBeCloseTo(Math.exp(0.5), 6);
    expect(t!.get(2, 3)).toBeCloseTo(Math.tanh(0.5), 6);
  });
  it('moves a producer that later kernels also read into its consumer, which writes it as another output', async () => {
    const w = T.matrix('w');
    const s1 = T.sigmoid(x);
    const s2 = T.add(T.mul(s1, 2), x);
    const s3 = T.mul(T.tanh(s2), s1);
    const outputs = [T.dot(s3, w), T.dot(s1, w), T.dot(s2, w)];
    const W = NDArray.from([[0.5, -1], [2, 0.25], [1, 1], [-0.5, 0.75]]);
    const f = fn([x, w], outputs, { backend: 'ref-passes' });
    const got = await f(X, W);
    const kinds = f.program!.kernels.map((k) => (k.kind === 'elementwise' ? `elementwise:${k.outputs.length}` : k.kind));
    expect(kinds).toEqual(['elementwise:3', 'matmul', 'matmul', 'matmul']);
    // sigmoid, mul, add, tanh, mul: each computed once for all three outputs.
    const k = f.program!.kernels[0]!;
    const ops = k.kind === 'elementwise' ? scalarExprNodes(k.exprs).map((e) => e.op).filter((op) => op !== 'input' && op !== 'const') : [];
    expect(ops.sort()).toEqual(['add', 'mul', 'mul', 'sigmoid', 'tanh']);
    const want = await fn([x, w], outputs, { backend: 'ref-passes', optimizer: 'O0' })(X, W);
    got.forEach((g, i) => expect(Array.from(g.data)).toEqual(Array.from(want[i]!.data)));
    expect(programAliasingProblems(f.program!)).toEqual([]);
  });
  it('stops fusing before a kernel would bind more buffers than the backend allows', async () => {
    registerBackend('ref-4-buffers', {
      availability: () => ({ ok: true }),
      create: () => Object.assign(new ReferenceBackend('ref-4-buffers'), { capabilities: { ...new ReferenceBackend().capabilities, maxKernelBuffers: 4 } }),
    }, -9);
    const ins = [0, 1, 2, 3, 4].map((i) => T.vector(`v${i}`));
    const e = ins.reduce((acc, v) => T.add(T.exp(acc), v));
    const vals = ins.map(() => [0.1, 0.2]);
    const wide = fn(ins, e, { backend: 'ref-passes' });
    const narrow = fn(ins, e, { backend: 'ref-4-buffers' });
    const [a, b] = [await wide(...vals), await narrow(...vals)];
    expect(wide.program!.kernels).toHaveLength(1);
    expect(narrow.program!.kernels.length).toBeGreaterThan(1);
    for (const k of narrow.program!.kernels) {
      const ids = new Set([...(k.kind === 'elementwise' ? [...k.inputs, ...k.outputs] : [])].map((v) => v.buffer));
      expect(ids.size).toBeLessThanOrEqual(4);
    }
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });
  it('switching a pass off keeps its kernels', async () => {
    const e = T.tanh(T.exp(x));
    expect(await kernelsOf([x], [e], [X], { rewrites: { exclude: ['fuseElementwise'] } })).toHaveLength(2);
  });
  it('plans memory: temporaries are reused and peak stays near the live set', async () => {
    let h: Variable = x;
    for (let i = 0; i < 8; i++) h = T.dot(T.exp(h), T.transpose(T.exp(h)));
    const f = fn([x], T.sum(h), { backend: 'ref-passes', rewrites: { exclude: ['fuseMatmulEpilogue'] } });
    await f(NDArray.full([6, 6], 0.01));
    const s = f.stats();
    expect(s.peakIntermediateBytes).toBeLessThanOrEqual(1.5 * s.liveSetBytes);
    const g = fn([x], T.sum(h), { backend: 'ref-passes', rewrites: { exclude: ['fuseMatmulEpilogue', 'memoryPlan'] } });
    await g(NDArray.full([6, 6], 0.01));
    expect(g.stats().peakIntermediateBytes).toBeGreaterThan(2 * s.peakIntermediateBytes);
    expect((await f(NDArray.full([6, 6], 0.01))).item()).toBeCloseTo((await g(NDArray.full([6, 6], 0.01))).item(), 4);
  });
});

describe('memory planning keeps dtypes apart', () => {
  it('never writes a float result in place over a dying bool mask', async () => {
    const v = T.vector('v');
    const g = T.vector('g');
    const m = T.gt(v, 0);
    const a = T.where(m, g, 0);
    const b = T.where(m, 0, g);
    const f = fn([v, g], [T.sum(a), T.mul(a, v), T.sum(b), T.mul(b, v)], { backend: 'ref-passes' });
    const [, , sb] = await f([1, -1, 2, -3], [0.5, 0.25, 0.125, 0]);
    expect(sb!.item()).toBeCloseTo(0.25, 6);
  });
});

describe('broadcastTo follows the static broadcast rule at call time', () => {
  it('an unknown axis of size 1 at call time is an error', async () => {
    const v = T.vector('v');
    const f = fn([v], T.broadcastTo(v, [2, 3]), { backend: 'ref-passes' });
    await expect(f([5])).rejects.toThrow(/^broadcastTo: input 'v' has size 1 on axis 0 at call time and would broadcast to 3/);
    expect((await f([1, 2, 3])).toArray()).toEqual([[1, 2, 3], [1, 2, 3]]);
  });
});
