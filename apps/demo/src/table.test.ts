import { describe, expect, it } from 'vitest';
import type { ExperimentResult } from './experiment.js';
import { duration, formatTable, pct, resultsTable, speedups } from './table.js';

const result = (backend: string, device: string, msPerStep: number): ExperimentResult => ({
  backend, device, precision: 'fp32', batch: 800, stepsPerEpoch: 1, steps: 10, stepMs: [], msPerStep,
  flopsPerStep: 8.04e9, gflops: 8.04e9 / 1e6 / msPerStep, totalMs: msPerStep * 10, finalLoss: 0.5757,
  trainAccuracy: 0.99875, testAccuracy: 0.09, history: [],
});

describe('formatTable', () => {
  it('pads columns, right-aligns numbers, and rules the header', () => {
    expect(formatTable(['a', 'num'], [['xyz', '1.5'], ['b', '10.25']], [false, true])).toBe(
      'a      num\n---  -----\nxyz    1.5\nb    10.25');
  });
});

describe('resultsTable', () => {
  it('has one row per backend with speedup against cpu, then the skipped backends with reasons', () => {
    const t = resultsTable([result('cpu', 'TypeScript', 2000), result('cuda', 'NVIDIA H100', 20)], [{ name: 'gpujs', reason: 'not installed' }]);
    expect(t).toBe([
      'backend  device       precision  ms/step (median)  GFLOP/s     total   vs cpu  final loss  train acc  test acc',
      '-------  -----------  ---------  ----------------  -------  --------  -------  ----------  ---------  --------',
      'cpu      TypeScript   fp32                 2000.0     4.02    20.0 s    1.00×      0.5757      99.9%      9.0%',
      'cuda     NVIDIA H100  fp32                   20.0   402.00  200.0 ms  100.00×      0.5757      99.9%      9.0%',
      '',
      'not run:',
      '  gpujs  not installed',
    ].join('\n'));
  });

  it('shows no speedup without a cpu row', () => {
    expect(speedups([result('cuda', 'x', 1)]).get('cuda')).toBeUndefined();
    expect(resultsTable([result('cuda', 'x', 1)], [])).toMatch(/ — /);
  });
});

describe('units', () => {
  it('formats durations and percentages', () => {
    expect(duration(12.345)).toBe('12.35 ms');
    expect(duration(1234.5)).toBe('1234.5 ms');
    expect(duration(65_000)).toBe('65.0 s');
    expect(pct(0.1234)).toBe('12.3%');
    expect(pct(NaN)).toBe('—');
  });
});
