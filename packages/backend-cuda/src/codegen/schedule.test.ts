import { describe, expect, it } from 'vitest';
import { TestRandom } from '@symgrad/core/testing';
import { DEFAULT_RUN_OPTIONS } from '../runtime/options.js';
import { seedStepProgram } from '../testing-fixtures/programs.js';
import type { StepAccess } from './plan.js';
import { planProgram } from './program-source.js';
import { scheduleStreams, stepDependencies, type StreamSchedule } from './schedule.js';

/** For each step, every step guaranteed finished before it starts: stream order plus waits, transitively. */
function happensBefore(s: StreamSchedule): Set<number>[] {
  const before: Set<number>[] = [];
  const lastOn = new Map<number, number>();
  s.stream.forEach((t, i) => {
    const set = new Set<number>();
    const add = (j: number) => {
      set.add(j);
      for (const k of before[j]!) set.add(k);
    };
    const prev = lastOn.get(t);
    if (prev !== undefined) add(prev);
    for (const w of s.waits[i]!) add(w);
    before.push(set);
    lastOn.set(t, i);
  });
  return before;
}

/** Every pair of steps touching a buffer, one of them writing it, stays in program order. */
function expectOrdered(steps: readonly StepAccess[], s: StreamSchedule): void {
  const before = happensBefore(s);
  for (let i = 0; i < steps.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = steps[j]!, b = steps[i]!;
      const conflict = a.writes.some((x) => b.reads.includes(x) || b.writes.includes(x)) || b.writes.some((x) => a.reads.includes(x));
      if (conflict) expect(before[i]!.has(j), `step ${i} must follow step ${j}`).toBe(true);
    }
  }
}

describe('stepDependencies', () => {
  it('read after write, write after read and write after write; reads of one buffer do not order each other', () => {
    const steps: StepAccess[] = [
      { reads: [0], writes: [1] }, // 0
      { reads: [1], writes: [2] }, // 1: RAW on 1
      { reads: [1], writes: [3] }, // 2: RAW on 1 only
      { reads: [3], writes: [1] }, // 3: WAR on 1 (1, 2 read it), WAW (0), RAW (2)
      { reads: [2, 2], writes: [2] }, // 4: RAW/WAW on 2 (1)
    ];
    expect(stepDependencies(steps)).toEqual([[], [0], [0], [2, 1, 0], [1]]);
  });
});

describe('scheduleStreams', () => {
  it('puts independent branches on separate streams with one event each (the TSDoc example)', () => {
    expect(scheduleStreams([{ reads: [0], writes: [1] }, { reads: [1], writes: [2] }, { reads: [1], writes: [3] }], 2)).toEqual({ streams: 2, stream: [0, 0, 1], waits: [[], [], [0]] });
  });

  it('keeps one stream and no waits when asked for one, and rejects fewer', () => {
    const steps: StepAccess[] = [{ reads: [0], writes: [1] }, { reads: [0], writes: [2] }, { reads: [1, 2], writes: [3] }];
    expect(scheduleStreams(steps, 1)).toEqual({ streams: 1, stream: [0, 0, 0], waits: [[], [], []] });
    expect(() => scheduleStreams(steps, 0)).toThrow('cuda: streams must be a positive integer (got 0)');
    expect(scheduleStreams([], 4)).toEqual({ streams: 1, stream: [], waits: [] });
  });

  it('runs the seed step\'s weight-gradient GEMMs beside the ones that carry the gradient back', async () => {
    const plan = planProgram(await seedStepProgram([64, 48, 32, 10], 37));
    const s = scheduleStreams(plan.steps, 2);
    expectOrdered(plan.steps, s);
    expect(s.streams).toBe(2);
    // Some GEMM runs while another GEMM is neither before nor after it.
    const before = happensBefore(s);
    const gemms = plan.steps.flatMap((st, i) => (st.kind === 'gemm' ? [i] : []));
    const concurrent = gemms.some((i) => gemms.some((j) => j < i && !before[i]!.has(j)));
    expect(concurrent).toBe(true);
  });

  it("gives the seed step exactly its dependency graph under the default stream limit (two streams would not)", async () => {
    const plan = planProgram(await seedStepProgram([1000, 1000, 1000, 10], 800), { gemm: 'cublasLt' });
    const deps = stepDependencies(plan.steps);
    const needed: Set<number>[] = [];
    deps.forEach((ds) => {
      const set = new Set<number>();
      for (const d of ds) {
        set.add(d);
        for (const e of needed[d]!) set.add(e);
      }
      needed.push(set);
    });
    const s = scheduleStreams(plan.steps, DEFAULT_RUN_OPTIONS.streams);
    expect(happensBefore(s), 'each step waits for what it depends on, and nothing else').toEqual(needed);
    expect(s.streams).toBe(3);
    // On two streams the last weight update (the 'columns' product) queues behind a weight-gradient GEMM it does not need.
    const two = happensBefore(scheduleStreams(plan.steps, 2));
    const update = plan.steps.findIndex((st) => st.what.includes('(matmul, columns)'));
    const falseWaits = [...two[update]!].filter((j) => !needed[update]!.has(j)).map((j) => plan.steps[j]!.kind);
    expect(falseWaits).toContain('gemm');
  });

  it('orders every conflicting pair on random access patterns, with no wait implied by another', () => {
    const rng = new TestRandom(77);
    for (let trial = 0; trial < 200; trial++) {
      const buffers = rng.int(1, 7);
      const n = rng.int(1, 23);
      const pick = () => Array.from({ length: rng.int(0, 2) }, () => rng.int(0, buffers - 1));
      const steps: StepAccess[] = Array.from({ length: n }, () => ({ reads: pick(), writes: pick() }));
      const maxStreams = rng.int(1, 4);
      const s = scheduleStreams(steps, maxStreams);
      expect(s.streams).toBeLessThanOrEqual(maxStreams);
      expectOrdered(steps, s);
      s.waits.forEach((ws, i) => {
        for (const w of ws) expect(s.stream[w], `step ${i} waits for step ${w} on its own stream`).not.toBe(s.stream[i]);
      });
      // Dropping any single wait breaks the order (none is redundant).
      s.waits.forEach((ws, i) => ws.forEach((w) => {
        const without = { ...s, waits: s.waits.map((x, k) => (k === i ? x.filter((y) => y !== w) : x)) };
        expect(happensBefore(without)[i]!.has(w), `step ${i}'s wait for ${w} is implied by the others`).toBe(false);
      }));
    }
  });
});
