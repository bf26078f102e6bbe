/** The machine-readable result of a run (`--json`), also the data behind the HTML report. */
import type { ExperimentResult } from './experiment.js';
import type { SweepResult } from './sweep.js';
import { speedups } from './table.js';

export const RESULT_SCHEMA = 'symgrad-demo/result@1';

export interface RunReport {
  readonly schema: typeof RESULT_SCHEMA;
  readonly createdAt: string;
  readonly dataset: { readonly name: string; readonly description: string; readonly features: number; readonly train: number; readonly test: number };
  readonly config: { readonly epochs: number; readonly batch: number; readonly hidden: number; readonly precision: string; readonly seed: number; readonly learningRate: number };
  /** FLOPs of one step at the configured batch (matrix products, forward + backward). */
  readonly flopsPerStep: number;
  readonly note: string;
  readonly results: readonly (Omit<ExperimentResult, 'stepMs'> & { readonly speedupVsCpu: number | null; readonly stepMs: readonly number[] })[];
  readonly skipped: readonly { readonly backend: string; readonly reason: string }[];
  readonly sweep: SweepResult | null;
}

export interface RunReportInput {
  readonly dataset: RunReport['dataset'];
  readonly config: RunReport['config'];
  readonly flopsPerStep: number;
  readonly note: string;
  readonly results: readonly ExperimentResult[];
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  readonly sweep?: SweepResult | undefined;
}

const round = (x: number, digits = 4): number => (Number.isFinite(x) ? Number(x.toPrecision(digits + 2)) : x);

/** Assembles the JSON document (numbers rounded to keep it short; NaN becomes null via JSON). */
export function buildRunReport(input: RunReportInput, now = new Date()): RunReport {
  const sp = speedups(input.results);
  return {
    schema: RESULT_SCHEMA,
    createdAt: now.toISOString(),
    dataset: input.dataset,
    config: input.config,
    flopsPerStep: input.flopsPerStep,
    note: input.note,
    results: input.results.map((r) => ({
      ...r,
      stepMs: r.stepMs.map((m) => round(m)),
      msPerStep: round(r.msPerStep),
      gflops: round(r.gflops),
      totalMs: round(r.totalMs),
      speedupVsCpu: sp.get(r.backend) ?? null,
    })),
    skipped: input.skipped.map((s) => ({ backend: s.name, reason: s.reason })),
    sweep: input.sweep ?? null,
  };
}

/** Checks a parsed document against the schema's required shape; returns the problems found. */
export function validateRunReport(doc: unknown): string[] {
  const errors: string[] = [];
  const o = doc as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) return ['not an object'];
  if (o.schema !== RESULT_SCHEMA) errors.push(`schema is not ${RESULT_SCHEMA}`);
  for (const k of ['dataset', 'config']) if (typeof o[k] !== 'object' || o[k] === null) errors.push(`${k} is missing`);
  if (typeof o.flopsPerStep !== 'number') errors.push('flopsPerStep is not a number');
  if (!Array.isArray(o.results)) errors.push('results is not an array');
  else {
    o.results.forEach((r: Record<string, unknown>, i: number) => {
      for (const k of ['backend', 'device', 'precision']) if (typeof r[k] !== 'string') errors.push(`results[${i}].${k} is not a string`);
      for (const k of ['msPerStep', 'gflops', 'totalMs', 'finalLoss', 'steps']) if (typeof r[k] !== 'number') errors.push(`results[${i}].${k} is not a number`);
      if (!Array.isArray(r.history)) errors.push(`results[${i}].history is not an array`);
    });
  }
  if (!Array.isArray(o.skipped)) errors.push('skipped is not an array');
  if (!('sweep' in o)) errors.push('sweep is missing');
  return errors;
}
