import type { StepAccess } from './plan.js';

/**
 * Where each step of a plan runs when its function is captured on several streams, so the
 * CUDA graph gets independent branches (a backward pass's dW and dX GEMMs run side by side).
 * `waits[i]` lists the earlier steps on other streams that step i must wait for (an event
 * each); waits already implied by other waits or by stream order are left out.
 */
export interface StreamSchedule {
  /** How many streams the schedule uses (1 when nothing can run side by side). */
  readonly streams: number;
  readonly stream: readonly number[];
  readonly waits: readonly (readonly number[])[];
}

/** The earlier steps each step conflicts with: the last writer of what it reads or writes, and the readers since of what it writes. */
export function stepDependencies(steps: readonly StepAccess[]): number[][] {
  const lastWriter = new Map<number, number>();
  const readers = new Map<number, number[]>();
  return steps.map((s, i) => {
    const deps = new Set<number>();
    for (const b of s.reads) {
      const w = lastWriter.get(b);
      if (w !== undefined) deps.add(w);
    }
    for (const b of s.writes) {
      const w = lastWriter.get(b);
      if (w !== undefined) deps.add(w);
      for (const r of readers.get(b) ?? []) deps.add(r);
    }
    for (const b of s.reads) {
      const list = readers.get(b);
      if (list) list.push(i);
      else readers.set(b, [i]);
    }
    for (const b of s.writes) {
      lastWriter.set(b, i);
      readers.set(b, []);
    }
    deps.delete(i);
    return [...deps].sort((a, b) => b - a);
  });
}

/**
 * Assigns steps to at most `maxStreams` streams in program order (a list schedule). A step
 * goes on a stream whose last step it already depends on, directly or through others, so it
 * is never queued behind unrelated work: the most recently used such stream (continuing a
 * chain needs no event), else an unused stream; where every stream's last step is unrelated,
 * the one used longest ago. Vector clocks record what each step is known to follow, so a wait
 * that an earlier one implies is dropped. In a CUDA graph a wait is only an edge.
 *
 * @example
 * ```ts
 * // dX = dZ·Wᵀ and dW = Xᵀ·dZ both read dZ and nothing of each other:
 * scheduleStreams([{ reads: [0], writes: [1] }, { reads: [1], writes: [2] }, { reads: [1], writes: [3] }], 2);
 * // { streams: 2, stream: [0, 0, 1], waits: [[], [], [0]] }
 * ```
 */
export function scheduleStreams(steps: readonly StepAccess[], maxStreams: number): StreamSchedule {
  if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new Error(`cuda: streams must be a positive integer (got ${maxStreams})`);
  const deps = stepDependencies(steps);
  const stream: number[] = [];
  const waits: number[][] = [];
  // clockAfter[i][t]: the last step of stream t known finished once step i has.
  const clockAfter: number[][] = [];
  const last = new Array<number>(maxStreams).fill(-1);
  const merge = (into: number[], from: readonly number[]) => {
    for (let t = 0; t < maxStreams; t++) into[t] = Math.max(into[t]!, from[t]!);
  };
  steps.forEach((_, i) => {
    const mine = deps[i]!;
    const known = new Array<number>(maxStreams).fill(-1);
    for (const d of mine) merge(known, clockAfter[d]!);
    let s = -1;
    for (let t = 0; t < maxStreams; t++) if (known[t]! >= last[t]! && (s < 0 || last[t]! > last[s]!)) s = t;
    if (s < 0) for (let t = 0; t < maxStreams; t++) if (s < 0 || last[t]! < last[s]!) s = t;
    // What stream s has seen, then the waits it still needs (most recent first: its clock often covers older ones).
    const clock = s >= 0 && last[s]! >= 0 ? [...clockAfter[last[s]!]!] : new Array<number>(maxStreams).fill(-1);
    const mineWaits: number[] = [];
    for (const d of mine) {
      if (clock[stream[d]!]! >= d) continue;
      mineWaits.push(d);
      merge(clock, clockAfter[d]!);
    }
    clock[s] = i;
    clockAfter.push(clock);
    stream.push(s);
    waits.push(mineWaits.sort((a, b) => a - b));
    last[s] = i;
  });
  return { streams: stream.length ? Math.max(...stream) + 1 : 1, stream, waits };
}
