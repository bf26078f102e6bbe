import '@symgrad/backend-cpu';
import { fn, NDArray, shared, T } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { adam } from './adam.js';
import { constantSchedule, cosineDecay, exponentialDecay, joinSchedules, schedule, stepDecay, warmup } from './schedules.js';
import { sgd } from './sgd.js';

describe('schedules', () => {
  it('step decay', () => {
    const s = stepDecay({ initial: 0.1, factor: 0.5, every: 10 });
    expect([0, 9, 10, 25].map((t) => s.value(t))).toEqual([0.1, 0.1, 0.05, 0.025]);
  });

  it('cosine decay reaches final and stays', () => {
    const s = cosineDecay({ initial: 0.1, steps: 100, final: 0.01 });
    expect(s.value(0)).toBeCloseTo(0.1, 12);
    expect(s.value(50)).toBeCloseTo(0.055, 12);
    expect(s.value(100)).toBe(0.01);
    expect(s.value(1000)).toBe(0.01);
  });

  it('exponential decay', () => {
    expect(exponentialDecay({ initial: 0.1, rate: 0.5, steps: 10 }).value(20)).toBeCloseTo(0.025, 12);
  });

  it('warm-up composes with any schedule', () => {
    const s = warmup(cosineDecay({ initial: 0.1, steps: 100 }), { steps: 10 });
    expect(s.value(0)).toBe(0);
    expect(s.value(5)).toBeCloseTo(0.05, 12);
    expect(s.value(10)).toBeCloseTo(0.1, 12);
    expect(s.value(60)).toBeCloseTo(0.05, 12);
    const twice = warmup(warmup(constantSchedule(1), { steps: 2 }), { steps: 2, from: 0.5 });
    expect([0, 1, 2, 3, 4].map((t) => twice.value(t))).toEqual([0.5, 0.25, 0, 0.5, 1]);
  });

  it('joinSchedules runs schedules one after another', () => {
    const s = joinSchedules([constantSchedule(0.1), stepDecay({ initial: 0.05, factor: 0.1, every: 5 })], [10]);
    expect([0, 9, 10, 14, 15].map((t) => s.value(t))).toEqual([0.1, 0.1, 0.05, 0.05, 0.005000000000000001]);
  });

  it('step(t) writes into the optimizer learning rate; a compiled function sees it without recompiling', async () => {
    const s = stepDecay({ initial: 1, factor: 0.5, every: 1 });
    const opt = sgd({ learningRate: s });
    expect(opt.learningRate.get().item()).toBe(1);
    const w = shared(NDArray.from([1], 'float32'), 'w');
    const loss = T.sum(w); // gradient 1: w decreases by lr each step
    const step = fn([], loss, { updates: opt.updates(loss, [w]) });
    const programs = new Set<unknown>();
    for (let t = 0; t < 3; t++) {
      expect(s.step(t)).toBe(0.5 ** t);
      await step();
      programs.add(step.program);
    }
    expect(w.get().item()).toBeCloseTo(1 - 1 - 0.5 - 0.25, 6);
    expect(programs.size).toBe(1);
  });

  it('one schedule may drive several optimizers', () => {
    const s = schedule((t) => 1 / (1 + t), { unit: 'epoch' });
    const a = sgd({ learningRate: s });
    const b = adam({ learningRate: s });
    s.step(3);
    expect(a.learningRate.get().item()).toBe(0.25);
    expect(b.learningRate.get().item()).toBe(0.25);
    expect(s.unit).toBe('epoch');
  });

  it('errors', () => {
    expect(() => stepDecay({ initial: 0.1, factor: 0.5, every: 0 })).toThrow('stepDecay: every must be a positive integer, got 0');
    expect(() => cosineDecay({ initial: 0.1, steps: -1 })).toThrow('cosineDecay: steps must be a finite number > 0, got -1');
    expect(() => cosineDecay({ initial: 0.1, steps: 10 }).value(-1)).toThrow('cosineDecay: t must be a finite number ≥ 0, got -1');
    expect(() => warmup({} as never, { steps: 1 })).toThrow('warmup: the first argument must be a schedule');
    expect(() => warmup(constantSchedule(1), { steps: 1.5 })).toThrow('warmup: steps must be a positive integer, got 1.5');
    expect(() => constantSchedule(1).step(0)).toThrow('constantSchedule: not attached to a learning rate');
    expect(() => constantSchedule(1).attach(T.scalar('x') as never)).toThrow('constantSchedule: a schedule attaches to a float scalar shared variable');
    expect(() => joinSchedules([constantSchedule(1), constantSchedule(2)], [])).toThrow('joinSchedules: 2 schedules need 1 boundaries, got 0');
    expect(() => joinSchedules([constantSchedule(1), constantSchedule(2, { unit: 'epoch' })], [3])).toThrow('joinSchedules: all schedules must count in the same unit');
    expect(() => schedule(() => 1, { unit: 'batch' as never })).toThrow("schedule: unit must be 'step' or 'epoch', got \"batch\"");
    expect(() => joinSchedules([constantSchedule(1), constantSchedule(2), constantSchedule(3)], [5, 5])).toThrow('joinSchedules: boundaries must be positive and increasing, got [5, 5]');
    expect(() => schedule(5 as never)).toThrow('schedule: expected a function of t');
    expect(() => joinSchedules([], [])).toThrow('joinSchedules: needs a non-empty array of schedules, got an empty array');
    expect(() => joinSchedules(constantSchedule(1) as never, [])).toThrow('joinSchedules: needs a non-empty array of schedules, got an object');
    expect(() => exponentialDecay({ initial: 1, rate: 0, steps: 1 })).toThrow('exponentialDecay: rate must be a finite number > 0, got 0');
    expect(() => stepDecay({ initial: -1, factor: 0.5, every: 1 })).toThrow('stepDecay: initial must be a finite number ≥ 0, got -1');
  });
});
