import { describe, expect, it } from 'vitest';
import { forwardFlops, gflops, interleave, median, prepared, ratio, reason, skippedResult, stepFlops, summarize, type Runnable } from './harness.js';

describe('median', () => {
  it('takes the middle of an odd count and the mean of the two middles of an even one', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
  it('is NaN for no values and does not reorder its input', () => {
    expect(median([])).toBeNaN();
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });
});

describe('ratio and gflops', () => {
  it('divides by the base', () => {
    expect(ratio(30, 10)).toBe(3);
    expect(ratio(5, 10)).toBe(0.5);
  });
  it('is NaN when either side is missing or not positive', () => {
    expect(ratio(undefined, 10)).toBeNaN();
    expect(ratio(10, undefined)).toBeNaN();
    expect(ratio(10, 0)).toBeNaN();
  });
  it('turns FLOPs and milliseconds into GFLOP/s', () => {
    expect(gflops(8e9, 1000)).toBeCloseTo(8);
    expect(gflops(2e9, 10)).toBeCloseTo(200);
    expect(gflops(0, 10)).toBeNaN();
    expect(gflops(1e9, undefined)).toBeNaN();
  });
});

describe('the seed workload FLOPs', () => {
  it('is ≈ 8.04 GFLOP a step, 3.22 forward (DESIGN.md)', () => {
    expect(stepFlops(800, 1000, 1000, 10) / 1e9).toBeCloseTo(8.05, 2);
    expect(forwardFlops(800, 1000, 1000, 10) / 1e9).toBeCloseTo(3.22, 2);
  });
});

describe('summarize and skippedResult', () => {
  it('adds median, min and max', () => {
    const r = summarize({ group: 'seed', item: 'seed step', peer: 'p', flops: 1 }, [5, 1, 3]);
    expect(r).toMatchObject({ medianMs: 3, minMs: 1, maxMs: 5, times: [5, 1, 3] });
  });
  it('leaves them out when nothing was timed', () => {
    const r = summarize({ group: 'seed', item: 'seed step', peer: 'p', flops: 1 }, []);
    expect(r.medianMs).toBeUndefined();
    expect(skippedResult('seed', 'x', 'p', 0, 'not installed')).toMatchObject({ times: [], skipped: 'not installed' });
  });
});

describe('reason', () => {
  it('keeps the first line of a message', () => {
    expect(reason(new Error('cannot load\nstack'))).toBe('cannot load');
    expect(reason('plain')).toBe('plain');
  });
});

describe('interleave', () => {
  it('takes turns between peers and stops each at its own policy', async () => {
    const calls: string[] = [];
    const mk = (peer: string, maxReps: number, ms?: number): Runnable => ({
      group: 'g', item: 'i', peer, flops: 1, policy: { warmup: 1, minReps: 1, maxReps, budgetMs: 1e9 },
      run: () => { calls.push(peer); return ms; },
    });
    const out = await interleave([mk('a', 3), mk('b', 1, 42)]);
    expect(calls).toEqual(['a', 'b', 'a', 'b', 'a', 'a']);
    expect(out.map((r) => r.times.length)).toEqual([3, 1]);
    expect(out[1]!.medianMs).toBe(42); // a time the peer measured itself
  });
  it('turns a failing peer into a skipped row and disposes every peer', async () => {
    let disposed = 0;
    const bad: Runnable = { group: 'g', item: 'i', peer: 'bad', flops: 1, policy: { warmup: 0, minReps: 2, maxReps: 2, budgetMs: 0 }, run: () => { throw new Error('boom'); }, dispose: () => { disposed++; } };
    const good: Runnable = { ...bad, peer: 'good', run: () => undefined };
    const out = await interleave([bad, good]);
    expect(out[0]).toMatchObject({ peer: 'bad', skipped: 'failed: boom', times: [] });
    expect(out[1]!.times).toHaveLength(2);
    expect(disposed).toBe(2);
  });
  it('prepared() keeps a preparation failure as a skipped row', async () => {
    const r = await prepared('g', 'i', 'p', 1, () => Promise.reject(new Error('no binary')));
    expect(r).toMatchObject({ peer: 'p', skipped: 'failed: no binary' });
  });
});
