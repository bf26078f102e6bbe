import '@symgrad/backend-cpu';
import { fn, NDArray, T } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { Dropout } from './dropout.js';
import { hostFeeds } from './layer.js';
import { Sequential } from './sequential.js';

describe('Dropout', () => {
  it('is the identity in evaluation: no mask input', async () => {
    const model = new Sequential([new Dropout(0.5)], { inputShape: [4] });
    const x = T.matrix('x');
    const out = model.apply(x);
    expect(out).toBe(x);
    expect(hostFeeds(out)).toEqual([]);
    expect(model.apply(x, { training: false })).toBe(x);
  });

  it('in training keeps each element with probability 1 − p and scales it by 1 / (1 − p)', async () => {
    const model = new Sequential([new Dropout(0.25, { seed: 5 })], { inputShape: [1000] });
    const x = T.matrix('x');
    const out = model.apply(x, { training: true });
    const feeds = hostFeeds(out);
    expect(feeds.map((f) => f.input.name)).toEqual(['dropout_0/mask']);
    expect(feeds[0]!.input.shape).toEqual([null, 1000]);
    const f = fn([x, feeds[0]!.input], out);
    const ones = NDArray.full([8, 1000], 1);
    const y = await f(ones, feeds[0]!.draw(8));
    const values = new Set(y.data);
    expect([...values].sort()).toEqual([0, Math.fround(4 / 3)]);
    const kept = y.data.filter((v) => v !== 0).length / y.size;
    expect(Math.abs(kept - 0.75)).toBeLessThan(0.02);
    const mean = (y.data as Float32Array).reduce((a, b) => a + b, 0) / y.size;
    expect(Math.abs(mean - 1)).toBeLessThan(0.03);
  });

  it('draws a new mask each step from a seeded stream', () => {
    const make = () => {
      const model = new Sequential([new Dropout(0.5, { seed: 11 })], { inputShape: [16] });
      return hostFeeds(model.apply(T.matrix('x'), { training: true }))[0]!;
    };
    const a = make();
    const b = make();
    const a1 = [...a.draw(2).data];
    const a2 = [...a.draw(2).data];
    expect(a1).not.toEqual(a2);
    expect([...b.draw(2).data]).toEqual(a1);
    expect([...b.draw(2).data]).toEqual(a2);
  });

  it('rate 0 is the identity even in training', () => {
    const x = T.matrix('x');
    expect(new Sequential([new Dropout(0)], { inputShape: [3] }).apply(x, { training: true })).toBe(x);
  });

  it('errors', () => {
    expect(() => new Dropout(1)).toThrow('Dropout: rate must be a number in [0, 1), got 1');
    expect(() => new Dropout(-0.1)).toThrow('Dropout: rate must be a number in [0, 1), got -0.1');
    const model = new Sequential([new Dropout(0.5)], { inputShape: [3] });
    const feed = hostFeeds(model.apply(T.matrix('x'), { training: true }))[0]!;
    expect(() => feed.draw(-1)).toThrow("Dropout 'dropout_0': batch size must be a non-negative integer, got -1");
  });
});
