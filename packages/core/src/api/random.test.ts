import { beforeAll, describe, expect, it } from 'vitest';
import { applyOp, fillRandom, fn, formatProgram, NDArray, RandomStreams, registerBackend, T, tensor } from '../index.js';
import { advanceRandomState, initialRandomState } from '../random/philox.js';
import { referenceBackendFactory } from '../testing/reference-backend.js';

beforeAll(() => registerBackend('ref-random', referenceBackendFactory('ref-random'), -5));
const opts = { backend: 'ref-random' };

function reference(distribution: 'uniform' | 'normal' | 'bits', dtype: 'float32' | 'float64' | 'int32', state: ArrayLike<number>, n: number): number[] {
  const out = new Float64Array(n);
  fillRandom(distribution, dtype, state, out);
  return [...(dtype === 'float32' ? Float32Array.from(out) : out)];
}

describe('T.random', () => {
  it('draws from a state the reference numbers, shaped by a static shape or by a tensor', async () => {
    const s = T.ivector('s');
    const x = T.matrix('x');
    const u = T.random.uniform(s, x);
    const z = T.random.normal(s, [7], 'float64');
    const f = fn([s, x], [u.values, z.values, u.next], opts);
    const state = Int32Array.of(5, -6, -2, 0);
    const [uv, zv, next] = await f(new NDArray('int32', [4], state), NDArray.from([[0, 0, 0], [0, 0, 0]], 'float32'));
    expect(uv!.shape).toEqual([2, 3]);
    expect([...uv!.data]).toEqual(reference('uniform', 'float32', state, 6));
    expect([...zv!.data]).toEqual(reference('normal', 'float64', state, 7));
    expect([...next!.data]).toEqual(advanceRandomState(state, 6));
  });

  it('a shared state with its update gives new numbers on every call, continuing the stream', async () => {
    const rng = T.random.state(42, 'rng');
    const { values, next } = T.random.bits(rng, [5]);
    const f = fn([], values, { ...opts, updates: [[rng, next]] });
    const first = [...(await f()).data];
    const second = [...(await f()).data];
    expect(first).toEqual(reference('bits', 'int32', initialRandomState(42), 5));
    expect(second).toEqual(reference('bits', 'int32', advanceRandomState(initialRandomState(42), 5), 5));
    expect([...rng.get().data]).toEqual(advanceRandomState(advanceRandomState(initialRandomState(42), 5), 5));
  });

  it('RandomStreams chains its draws and hands out the state update', async () => {
    const srng = new RandomStreams(7);
    expect(srng.updates()).toEqual([]);
    const a = srng.uniform([3]);
    const b = srng.uniform([3]);
    const f = fn([], [a, b], { ...opts, updates: srng.updates() });
    const [av, bv] = await f();
    const s0 = initialRandomState(7);
    expect([...av!.data]).toEqual(reference('uniform', 'float32', s0, 3));
    expect([...bv!.data]).toEqual(reference('uniform', 'float32', advanceRandomState(s0, 3), 3));
    expect([...srng.state.get().data]).toEqual(advanceRandomState(s0, 6));
    const [av2] = await f();
    expect([...av2!.data]).not.toEqual([...av!.data]);
  });

  it('lowers to one random kernel per draw, writing its next state beside the values', async () => {
    const rng = T.random.state(1);
    const x = T.matrix('x');
    const u = T.random.uniform(rng, x);
    const f = fn([x], T.mul(x, T.cast(T.lt(u.values, 0.5), 'float32')), { ...opts, updates: [[rng, u.next]] });
    await f([[1, 2, 3], [4, 5, 6]]);
    const listing = formatProgram(f.program!);
    expect(listing.match(/random uniform float32 from b\d+\[4 s\(1\)\] → b\d+\[2x3 s\(3,1\)\], next b\d+\[4 s\(1\)\]/g)?.length).toBe(1);
  });

  it('rejects a state that is not int32 [4], naming the op, the input and the call site', () => {
    expect(() => T.random.uniform(T.vector('s'), [3])).toThrow(/random: the state must be int32 \[4\] \(key and counter words\), got float32 \[\?\]; inputs: 's' \(float32\[\?\]\) \(built at .*random\.test\.ts/);
    expect(() => T.random.uniform(tensor('int32', [3], 's3'), [3])).toThrow(/the state must be int32 \[4\].*got int32 \[3\]/);
  });

  it('rejects bad dtypes, shapes and shape sources', () => {
    const s = T.ivector('s');
    expect(() => T.random.uniform(s, [3], 'int32')).toThrow(/random: uniform numbers must be float32 or float64, got dtype int32/);
    expect(() => T.random.normal(s, [2, -1])).toThrow(/random: shape must hold non-negative integers, got \[2, -1\]/);
    expect(() => T.random.uniform(s, 3 as unknown as number[])).toThrow(/random.uniform: shape must be an array of sizes or a tensor to take the shape of, got a number/);
  });

  it('the random op, applied directly, checks its distribution, dtype and inputs', () => {
    const s = tensor('int32', [4], 's');
    const x = T.vector('x');
    expect(() => applyOp('random', { distribution: 'gamma' as never, dtype: 'float32', shape: [2] }, [s])).toThrow(/^random: distribution must be one of uniform, normal, bits, got 'gamma'; inputs: 's' \(int32\[4\]\)/);
    expect(() => applyOp('random', { distribution: 'bits', dtype: 'float32', shape: [2] }, [s])).toThrow(/^random: bits are int32, got dtype float32; inputs: 's'/);
    expect(() => applyOp('random', { distribution: 'uniform', dtype: 'float32', shape: null }, [s, x, x])).toThrow(/^random: expected a state and at most one shape-giving tensor, got 3 inputs; inputs: 's' \(int32\[4\]\), 'x' \(float32\[\?\]\), 'x'/);
    expect(() => applyOp('random', { distribution: 'uniform', dtype: 'float32', shape: [2] }, [s, x])).toThrow(/^random: give either a shape or a tensor to take the shape of, not both or neither; inputs: 's'/);
    expect(() => applyOp('random', { distribution: 'uniform', dtype: 'float32', shape: null }, [s])).toThrow(/^random: give either a shape or a tensor to take the shape of, not both or neither/);
  });
});
