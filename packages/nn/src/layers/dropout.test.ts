import '@symgrad/backend-cpu';
import { advanceRandomState, fillRandom, fn, formatProgram, initialRandomState, NDArray, T } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { Dropout } from './dropout.js';
import { randomStateUpdates } from './layer.js';
import { Sequential } from './sequential.js';

function expectedMask(state: ArrayLike<number>, n: number, rate: number): number[] {
  const u = new Float64Array(n);
  fillRandom('uniform', 'float32', state, u);
  return [...u].map((v) => (v < 1 - rate ? Math.fround(1 / (1 - rate)) : 0));
}

describe('Dropout', () => {
  it('is the identity in evaluation: no random draw, no state update', () => {
    const model = new Sequential([new Dropout(0.5)], { inputShape: [4] });
    const x = T.matrix('x');
    const out = model.apply(x);
    expect(out).toBe(x);
    expect(randomStateUpdates(out)).toEqual([]);
    expect(model.apply(x, { training: false })).toBe(x);
  });

  it('in training keeps each element with probability 1 − p, scaled by 1 / (1 − p), with the mask drawn on the backend', async () => {
    const layer = new Dropout(0.25, { seed: 5 });
    const model = new Sequential([layer], { inputShape: [1000] });
    const x = T.matrix('x');
    const out = model.apply(x, { training: true });
    const updates = randomStateUpdates(out);
    expect(updates.map(([s]) => s.name)).toEqual(['dropout_0/rng']);
    const f = fn([x], out, { updates });
    expect(formatProgram((await f(NDArray.full([2, 1000], 1)), f.program!))).toMatch(/random uniform float32/);
    layer.streamPosition = 0;
    const y = await f(NDArray.full([8, 1000], 1));
    expect([...y.data]).toEqual(expectedMask(initialRandomState(5), 8000, 0.25));
    const kept = y.data.filter((v) => v !== 0).length / y.size;
    expect(Math.abs(kept - 0.75)).toBeLessThan(0.02);
    const mean = (y.data as Float32Array).reduce((a, b) => a + b, 0) / y.size;
    expect(Math.abs(mean - 1)).toBeLessThan(0.03);
  });

  it('draws a new mask each step, continuing its seeded stream; streamPosition reads and resumes it', async () => {
    const make = () => {
      const layer = new Dropout(0.5, { seed: 11 });
      const model = new Sequential([layer], { inputShape: [16] });
      const x = T.matrix('x');
      const out = model.apply(x, { training: true });
      return { layer, f: fn([x], out, { updates: randomStateUpdates(out) }) };
    };
    const a = make();
    const b = make();
    const ones = NDArray.full([2, 16], 1);
    const a1 = [...(await a.f(ones)).data];
    expect(a.layer.streamPosition).toBe(8);
    const a2 = [...(await a.f(ones)).data];
    expect(a1).not.toEqual(a2);
    expect(a2).toEqual(expectedMask(advanceRandomState(initialRandomState(11), 32), 32, 0.5));
    expect([...(await b.f(ones)).data]).toEqual(a1);
    b.layer.streamPosition = 8;
    expect([...(await b.f(ones)).data]).toEqual(a2);
  });

  it('passes the gradient through the kept elements only', async () => {
    const model = new Sequential([new Dropout(0.5, { seed: 3 })], { inputShape: [6] });
    const x = T.matrix('x');
    const out = model.apply(x, { training: true });
    const { grad } = await import('@symgrad/autodiff');
    const [gx] = grad(T.sum(out), [x]);
    const f = fn([x], [out, gx!], { updates: randomStateUpdates(out) });
    const [o, g] = await f(NDArray.full([3, 6], 1));
    expect([...g!.data]).toEqual([...o!.data]);
  });

  it('rate 0 is the identity even in training', () => {
    const x = T.matrix('x');
    expect(new Sequential([new Dropout(0)], { inputShape: [3] }).apply(x, { training: true })).toBe(x);
  });

  it('errors', () => {
    expect(() => new Dropout(1)).toThrow('Dropout: rate must be a number in [0, 1), got 1');
    expect(() => new Dropout(-0.1)).toThrow('Dropout: rate must be a number in [0, 1), got -0.1');
    const layer = new Dropout(0.5);
    const model = new Sequential([layer], { inputShape: [3] });
    expect(() => { layer.streamPosition = -1; }).toThrow("Dropout 'dropout_0': stream position must be a non-negative safe integer, got -1");
    const x = T.matrix('x');
    const twice = T.add(model.apply(x, { training: true }), model.apply(x, { training: true }));
    expect(() => layer.call(T.vector('v'), { training: true })).toThrow("Dropout 'dropout_0': expected a batch of per-example shape [3], got 'v' (float32[?])");
    expect(() => randomStateUpdates(twice)).toThrow("Dropout 'dropout_0' draws more than once in this graph, so its draws would repeat: apply it once per graph or use one layer per application");
  });
});
