/** Plain-text tables for the terminal (no colours, so logs and tests read the same). */
import type { ExperimentResult } from './experiment.js';

export interface SkippedBackend {
  readonly name: string;
  readonly reason: string;
}

/** Lays out rows under a header; numbers are right-aligned when `right[i]`. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const pct = (a: number): string => (Number.isFinite(a) ? `${(100 * a).toFixed(1)}%` : '—');

/** Milliseconds as ms below 10 s, else seconds. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms < 10_000 ? `${ms.toFixed(ms < 100 ? 2 : 1)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Speedup of each result against the cpu result (undefined without one). */
export function speedups(results: readonly ExperimentResult[]): Map<string, number | undefined> {
  const cpu = results.find((r) => r.backend === 'cpu');
  return new Map(results.map((r) => [r.backend, cpu ? cpu.msPerStep / r.msPerStep : undefined]));
}

export const RESULT_HEADER = ['backend', 'device', 'precision', 'ms/step (median)', 'GFLOP/s', 'total', 'vs cpu', 'final loss', 'train acc', 'test acc'] as const;

/**
 * The comparison table: one row per backend that ran, then one per skipped backend with
 * its reason.
 *
 * @example
 * ```ts
 * console.log(resultsTable(results, [{ name: 'cuda', reason: 'not implemented yet' }]));
 * ```
 */
export function resultsTable(results: readonly ExperimentResult[], skipped: readonly SkippedBackend[]): string {
  const sp = speedups(results);
  const rows = results.map((r) => {
    const s = sp.get(r.backend);
    return [
      r.backend, r.device, r.precision, r.msPerStep.toFixed(1), r.gflops.toFixed(2), duration(r.totalMs),
      s === undefined ? '—' : `${s.toFixed(2)}×`, r.finalLoss.toFixed(4), pct(r.trainAccuracy), pct(r.testAccuracy),
    ];
  });
  const table = formatTable(RESULT_HEADER, rows, [false, false, false, true, true, true, true, true, true, true]);
  if (!skipped.length) return table;
  const w = Math.max(...skipped.map((s) => s.name.length));
  return `${table}\n\nnot run:\n${skipped.map((s) => `  ${s.name.padEnd(w)}  ${s.reason}`).join('\n')}`;
}
