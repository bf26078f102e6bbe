/**
 * `--sweep`: the time of one training step across batch sizes on each backend, and the
 * batch size from which each GPU backend is faster than the CPU. Browser-safe.
 */
import { NDArray } from '@symgrad/core';
import { CLASSES, buildModel, median } from './experiment.js';
import { stepFlops } from './data.js';
import { formatTable } from './table.js';
import type { Precision } from '@symgrad/core';

export interface SweepRow {
  readonly backend: string;
  /** Median ms of one step, per batch size (same order as `batches`). */
  readonly msPerStep: readonly number[];
  readonly gflops: readonly number[];
}

export interface SweepResult {
  readonly features: number;
  readonly hidden: number;
  readonly batches: readonly number[];
  readonly rows: readonly SweepRow[];
  /** For each non-cpu backend: the smallest batch from which it beats the cpu at every larger size, or null. */
  readonly crossover: readonly { backend: string; batch: number | null }[];
}

export interface SweepConfig {
  readonly backends: readonly string[];
  readonly features: number;
  readonly hidden: number;
  readonly batches: readonly number[];
  readonly precision: Precision;
  readonly seed: number;
  /** Timed steps per point, after one untimed warm-up step (which compiles). */
  readonly reps?: number;
}

/** Where each backend overtakes the cpu (null: never in the swept range, or no cpu row). */
export function crossovers(batches: readonly number[], rows: readonly SweepRow[]): { backend: string; batch: number | null }[] {
  const cpu = rows.find((r) => r.backend === 'cpu');
  return rows.filter((r) => r.backend !== 'cpu').map((r) => {
    if (!cpu) return { backend: r.backend, batch: null };
    let from: number | null = null;
    for (let i = batches.length - 1; i >= 0; i--) {
      if (r.msPerStep[i]! < cpu.msPerStep[i]!) from = batches[i]!;
      else break;
    }
    return { backend: r.backend, batch: from };
  });
}

/** Times one SGD step of the MLP per backend and batch size. */
export async function runSweep(config: SweepConfig, onPoint?: (backend: string, batch: number, ms: number) => void | Promise<void>): Promise<SweepResult> {
  const reps = config.reps ?? 3;
  const rows: SweepRow[] = [];
  for (const backend of config.backends) {
    const ms: number[] = [];
    for (const batch of config.batches) {
      const model = buildModel(config.features, config.hidden, CLASSES, { backend, precision: config.precision, seed: config.seed });
      const x = new NDArray('float32', [batch, config.features], Float32Array.from({ length: batch * config.features }, (_, i) => Math.sin(i * 12.9898) * 0.5));
      const y = new NDArray('int32', [batch], Int32Array.from({ length: batch }, (_, i) => (i * 7) % CLASSES));
      try {
        await model.train(x, y);
        const times: number[] = [];
        for (let r = 0; r < reps; r++) {
          const t = performance.now();
          await model.train(x, y);
          times.push(performance.now() - t);
        }
        ms.push(median(times));
      } finally {
        model.dispose();
      }
      await onPoint?.(backend, batch, ms[ms.length - 1]!);
    }
    rows.push({ backend, msPerStep: ms, gflops: ms.map((m, i) => stepFlops(config.batches[i]!, config.features, config.hidden, CLASSES) / 1e6 / m) });
  }
  return { features: config.features, hidden: config.hidden, batches: config.batches, rows, crossover: crossovers(config.batches, rows) };
}

/** The sweep as a table (ms/step per batch size) and one line per GPU backend. */
export function sweepTable(s: SweepResult): string {
  const header = ['backend', ...s.batches.map((b) => `b=${b}`)];
  const rows = s.rows.map((r) => [r.backend, ...r.msPerStep.map((m) => m.toFixed(1))]);
  const table = formatTable(header, rows, header.map((_, i) => i > 0));
  const lines = s.crossover.map((c) => c.batch === null
    ? `${c.backend}: not faster than the cpu at any batch size swept`
    : `${c.backend}: faster than the cpu from batch ${c.batch} up`);
  const note = s.rows.some((r) => r.backend !== 'cpu') ? lines.join('\n') : 'no GPU backend is available here, so there is no crossover to show (ms/step per batch size above)';
  return `ms per step (median), MLP ${s.features} → ${s.hidden} → ${s.hidden} → ${CLASSES}\n${table}\n${note}`;
}
