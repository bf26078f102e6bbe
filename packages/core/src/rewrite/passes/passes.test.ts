import { describe, expect, it } from 'vitest';
import { debugPrint, NDArray, optimizeGraph, T, type Variable } from '../../index.js';

const x = T.matrix('x');
const show = (v: Variable, level: 'O1' | 'O0' = 'O1') => debugPrint(optimizeGraph([v], { level }));
const strip = (s: string) => s.replace(/ id \d+/g, '');

describe('graph rewrites, printed before and after', () => {
  it('canonicalize removes neutral elements and double negation', () => {
    const e = T.neg(T.neg(T.add(T.mul(x, 1), 0)));
    expect(strip(show(e, 'O0'))).toBe(strip(debugPrint(e)));
    expect(strip(show(e))).toBe("input 'x' float32[?, ?]");
  });
  it('canonicalize composes transposes and collapses reshape chains', () => {
    const t = T.tensor3('t');
    expect(strip(show(T.transpose(T.transpose(t, [1, 2, 0]), [2, 0, 1])))).toBe("input 't' float32[?, ?, ?]");
    expect(strip(show(T.transpose(T.transpose(t, [1, 0, 2]), [0, 2, 1])))).toBe(`transpose {"perm":[1,2,0]} float32[?, ?, ?]\n |input 't' float32[?, ?, ?]`);
    const w = T.tensor('float32', [4, 6], 'w');
    expect(strip(show(T.reshape(T.reshape(w, [2, 12]), [3, 8])))).toBe(`reshape {"shape":[3,8]} 'w' float32[3, 8]\n |input 'w' float32[4, 6]`.replace(" 'w'", ''));
    expect(strip(show(T.reshape(T.reshape(w, [24]), [4, 6])))).toBe("input 'w' float32[4, 6]");
  });
  it('canonicalize sees neutral constants through broadcasts and reshapes (a gradient of a sum is ones)', () => {
    const w = T.tensor('float32', [null, 4], 'w');
    const ones = T.broadcastLike(T.reshape(T.constant(1), [1, 1]), w);
    expect(strip(show(T.mul(ones, w)))).toBe("input 'w' float32[?, 4]");
    // [?, 4] + zeros [3, 4] widens w: the add stays.
    expect(strip(show(T.add(w, T.transpose(T.broadcastTo(T.constant(0), [4, 3]))))).split('\n')[0]).toBe('add float32[3, 4]');
    expect(strip(show(T.mul(T.broadcastLike(T.constant(2), w), w))).split('\n')[0]).toBe('mul float32[?, 4]');
  });
  it('canonicalize collapses a concat of a concat on the same axis, and a concat of one piece', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => T.tensor('float32', [2, 3], n)) as [Variable, Variable, Variable];
    expect(strip(show(T.concat([T.concat([a, b], 1), c], 1))).split('\n')).toEqual(['concat {"axis":1} float32[2, 9]', " |input 'a' float32[2, 3]", " |input 'b' float32[2, 3]", " |input 'c' float32[2, 3]"]);
    expect(strip(show(T.concat([T.concat([a, b], 0), T.concat([c, c], 0)], 1))).split('\n')[0]).toBe('concat {"axis":1} float32[4, 6]');
    // The inner concat is an output too: it stays, and the outer one copies it.
    const inner = T.concat([a, b], 1);
    expect(optimizeGraph([T.concat([inner, c], 1), inner], { level: 'O1' })[0]!.owner!.inputs).toHaveLength(2);
    expect(strip(show(T.concat([a], 0)))).toBe("input 'a' float32[2, 3]");
  });
  it('x + 0 keeps the broadcast when 0 widens x', () => {
    const v = T.vector('v');
    const e = T.add(v, T.constant(NDArray.zeros([3, 1])));
    expect(strip(show(e)).split('\n')[0]).toBe('add float32[3, ?]');
  });
  it('constant folding evaluates constant subgraphs and static sizes', () => {
    const c = T.mul(T.add(T.constant([1, 2]), 1), 3);
    expect(strip(show(c))).toBe('constant float32[2]');
    const w = T.tensor('float32', [4, 6], 'w');
    expect(strip(show(T.mean(w)))).toBe(`div float32[]\n |sum {"axes":[0,1],"keepdims":false} float32[]\n | |input 'w' float32[4, 6]\n |constant float32[]`);
  });
  it('merge computes identical subexpressions once', () => {
    const a = T.exp(x);
    const b = T.exp(x);
    const out = optimizeGraph([T.add(a, b)], { level: 'O1' });
    const add = out[0]!.owner!;
    expect(add.inputs[0]).toBe(add.inputs[1]);
    const c = optimizeGraph([T.add(T.mul(x, 2), T.mul(x, 2))], { level: 'O1' })[0]!.owner!;
    expect(c.inputs[0]).toBe(c.inputs[1]);
  });
  it('stabilize: log∘softmax, log1p, expm1, log∘sigmoid', () => {
    expect(strip(show(T.log(T.softmax(x))))).toBe(`logSoftmax {"axis":1} float32[?, ?]\n |input 'x' float32[?, ?]`);
    expect(strip(show(T.log(T.add(1, x))))).toBe(`log1p float32[?, ?]\n |input 'x' float32[?, ?]`);
    expect(strip(show(T.sub(T.exp(x), 1)))).toBe(`expm1 float32[?, ?]\n |input 'x' float32[?, ?]`);
    expect(strip(show(T.log(T.sigmoid(x)))).split('\n')[0]).toBe('neg float32[?, ?]');
  });
  it('stabilize: cross-entropy of a softmax against int labels becomes softmaxCrossEntropy', () => {
    const y = T.ivector('y');
    expect(strip(show(T.mean(T.categoricalCrossentropy(T.softmax(x), y))))).toBe(
      `div float32[]\n |sum {"axes":[0],"keepdims":false} float32[]\n | |softmaxCrossEntropy float32[?]\n | | |input 'x' float32[?, ?]\n | | |input 'y' int32[?]\n |sizeOf {"axes":[0],"dtype":"float32"} float32[]\n | |softmaxCrossEntropy float32[?] (see above)`);
    const oneHot = T.categoricalCrossentropy(T.softmax(x), T.oneHot(y, 3));
    expect(strip(show(oneHot))).toMatch(/^neg float32\[\?\]\n \|sum \{"axes":\[1\],"keepdims":false\} float32\[\?\]\n \| \|mul float32\[\?, 3\]\n \| \| \|oneHot/);
    expect(strip(show(oneHot))).toContain('logSoftmax {"axis":1}');
  });
  it('stabilize: binary cross-entropy of a sigmoid never takes log(0)', async () => {
    const z = T.vector('z');
    const t = T.vector('t');
    const bce = T.binaryCrossentropy(T.sigmoid(z), t);
    expect(strip(show(bce))).not.toMatch(/^ *\|*sigmoid/m);
    const { fn, registerBackend } = await import('../../index.js');
    const { referenceBackendFactory } = await import('../../testing/reference-backend.js');
    registerBackend('ref-bce', referenceBackendFactory('ref-bce'), -9);
    const v = await fn([z, t], bce, { backend: 'ref-bce' })([40, -40, 0.5], [0, 1, 1]);
    expect(Array.from(v.data).map((a) => Number(a.toFixed(4)))).toEqual([40, 40, Number(Math.log1p(Math.exp(-0.5)).toFixed(4))]);
  });
  it('passes can be excluded by name, and unknown names are errors', () => {
    expect(strip(debugPrint(optimizeGraph([T.log(T.softmax(x))], { level: 'O1', exclude: ['stabilize'] }))).split('\n')[0]).toBe('log float32[?, ?]');
    expect(() => optimizeGraph([x], { exclude: ['fusion' as never] })).toThrow(/^unknown rewrite pass 'fusion': passes are canonicalize, constantFold, merge, stabilize, concatSums, inlineConstants, foldConstantKernels/);
  });
});
