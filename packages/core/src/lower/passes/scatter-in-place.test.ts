import { beforeAll, describe, expect, it } from 'vitest';
import { debugPrint, fn, NDArray, optimizeGraph, registerBackend, shared, T, type SharedVariable, type Variable } from '../../index.js';
import { relativeError, TestRandom } from '../../testing/random.js';
import { referenceBackendFactory } from '../../testing/reference-backend.js';

beforeAll(() => registerBackend('ref-scatter', referenceBackendFactory('ref-scatter'), -5));

// An embedding table trained by SGD: its gradient is a scatterAdd of the rows' gradients into
// zeros (what autodiff gives for take), and the update w − lr · grad.
const [vocab, dim, n] = [13, 4, 9];
const ids = T.ivector('ids');
const g = T.tensor('float32', [null, dim], 'g');
const gradOf = (): Variable => T.scatterAdd(T.broadcastTo(T.constant(0), [vocab, dim]), ids, g);

async function step(updates: (w: SharedVariable, w2: SharedVariable) => [SharedVariable, Variable][], optimizer: 'O0' | 'O2') {
  const rng = new TestRandom(4);
  const w = shared(rng.array([vocab, dim]), 'w');
  const w2 = shared(rng.array([vocab, dim]), 'w2');
  const f = fn([ids, g], T.sum(T.take(w, ids, 0, 0)), { backend: 'ref-scatter', optimizer, updates: updates(w, w2) });
  const idv = NDArray.from([3, 12, 3, 0, 7, 3, -1, 20, 5], 'int32'); // repeated, negative and out of range
  const loss = (await f(idv, rng.array([n, dim]))) as NDArray;
  return { loss: loss.data[0]!, w: [...w.get().data], w2: [...w2.get().data], kinds: f.program!.kernels.map((k) => `${k.kind}:${k.label}`) };
}

describe('sparse updates of a table', () => {
  it('the graph rewrites turn w − lr · scatterAdd(0, ids, g) into scatterAdd(w, ids, −(g · lr))', () => {
    const w = T.tensor('float32', [vocab, dim], 'w');
    const printed = debugPrint(optimizeGraph([T.sub(w, T.mul(gradOf(), 0.1))], { level: 'O1' })).replace(/ id \d+/g, '');
    expect(printed.split('\n').slice(0, 3)).toEqual(['scatterAdd {"axis":0} float32[13, 4]', " |input 'w' float32[13, 4]", " |input 'ids' int32[?]"]);
    expect(printed).toContain('neg');
    // A dense use of the gradient keeps it dense.
    expect(debugPrint(optimizeGraph([T.sub(w, T.mul(gradOf(), w))], { level: 'O1' })).split('\n')[0]).toMatch(/^sub /);
  });

  it('scatterInPlace then adds into the shared table itself: no whole-table copies, the same numbers', async () => {
    const sgd = (w: SharedVariable, w2: SharedVariable): [SharedVariable, Variable][] => [[w, T.sub(w, T.mul(gradOf(), 0.1))], [w2, T.add(w2, 1)]];
    const reference = await step(sgd, 'O0');
    const got = await step(sgd, 'O2');
    expect(got.kinds.filter((k) => k.startsWith('scatterAdd'))).toHaveLength(1);
    expect(got.kinds.some((k) => k.includes('copy') || k.endsWith(':update'))).toBe(false);
    expect(got.kinds.length).toBeLessThan(reference.kinds.length);
    expect(relativeError(got.w, reference.w)).toBeLessThan(1e-6);
    expect(relativeError(got.w2, reference.w2)).toBeLessThan(1e-6);
    expect(got.loss).toBeCloseTo(reference.loss, 4);
  });

  it('stays out of place where another update reads the table, which must see its old values', async () => {
    const both = (w: SharedVariable, w2: SharedVariable): [SharedVariable, Variable][] => [[w, T.sub(w, T.mul(gradOf(), 0.1))], [w2, T.add(w2, w)]];
    const reference = await step(both, 'O0');
    const got = await step(both, 'O2');
    expect(relativeError(got.w, reference.w)).toBeLessThan(1e-6);
    expect(relativeError(got.w2, reference.w2)).toBeLessThan(1e-6);
  });
});
