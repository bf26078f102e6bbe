import { describe, expect, it } from 'vitest';
import { summarize, skippedResult, type Result } from './harness.js';
import { SYMGRAD_WEBGL_PEER, TFJS_WEBGL_PEER, WEBGL_GROUP } from './webgl/webgl-items.js';
import { benchmarksMarkdown, cell, consoleTable, formatMs, formatNumber, formatRatio, groupRows, markdownTable, orderResults, runMarkdown, type RunRecord } from './report.js';

const row = (group: string, item: string, peer: string, times: number[], flops = 8e9): Result => summarize({ group, item, peer, flops }, times);

const results: Result[] = [
  row('seed', 'seed step', 'symgrad cpu O2', [100, 120, 110]),
  row('seed', 'seed step', 'numpy 2.4', [50, 55, 60]),
  skippedResult('seed', 'seed step', 'PyTorch CPU', 8e9, 'not installed'),
  row('kernel', 'sgemm', 'symgrad cpu O2', [10], 2e9),
];

const rec: RunRecord = {
  command: 'pnpm bench -- --quick', date: '2026-11-26T16:00:00.000Z', mode: 'quick',
  machine: { cpu: 'Some CPU', cores: 2, node: 'v20.0.0', os: 'Linux' },
  symgradDevice: 'TypeScript', basePeer: 'symgrad cpu O2', wallSeconds: 42, results,
};

describe('number formatting', () => {
  it('formats milliseconds by size', () => {
    expect(formatMs(13750.4)).toBe('13,750');
    expect(formatMs(123.4)).toBe('123');
    expect(formatMs(48.71)).toBe('48.7');
    expect(formatMs(2.314)).toBe('2.31');
    expect(formatMs(0.4123)).toBe('0.412');
    expect(formatMs(undefined)).toBe('—');
  });
  it('formats numbers and ratios to three significant digits', () => {
    expect(formatNumber(277.4)).toBe('277');
    expect(formatNumber(0.5912)).toBe('0.591');
    expect(formatNumber(Number.NaN)).toBe('—');
    expect(formatRatio(0.5)).toBe('×0.500');
    expect(formatRatio(Number.NaN)).toBe('—');
  });
});

describe('Markdown tables', () => {
  it('escapes pipes and newlines in cells', () => {
    expect(cell('a|b\nc')).toBe('a\\|b c');
  });
  it('writes a header, a rule and the rows', () => {
    expect(markdownTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
  });
  it('divides the webgl rows by symgrad gpujs in the page, not by symgrad cpu, and names the renderer', () => {
    const web = [
      ...results,
      row(WEBGL_GROUP, 'softmax 7×13', TFJS_WEBGL_PEER, [30, 30, 30], 1e6),
      row(WEBGL_GROUP, 'softmax 7×13', SYMGRAD_WEBGL_PEER, [60, 60, 60], 1e6),
    ];
    const rows = groupRows(web, WEBGL_GROUP, 'symgrad cpu O2');
    expect(rows.map((r) => [r[1], r[6]])).toEqual([[TFJS_WEBGL_PEER, '×0.500'], [SYMGRAD_WEBGL_PEER, '×1.00']]);
    const md = runMarkdown({ ...rec, results: orderResults(web), webglRenderer: 'SwiftShader; gpu.js (WebGL2)' });
    expect(md).toContain('- webgl section: SwiftShader; gpu.js (WebGL2)');
    expect(md.indexOf('#### Kernels')).toBeLessThan(md.indexOf('#### WebGL2 in headless Chromium'));
  });

  it('puts medians, GFLOP/s and ratios against the base peer in a group', () => {
    const rows = groupRows(results, 'seed', 'symgrad cpu O2');
    expect(rows[0]).toEqual(['seed step', 'symgrad cpu O2', '110', '100–120', '3', '72.7', '×1.00', '']);
    expect(rows[1]!.slice(1, 7)).toEqual(['numpy 2.4', '55.0', '50.0–60.0', '3', '145', '×0.500']);
    expect(rows[2]).toEqual(['seed step', 'PyTorch CPU', '—', '—', '0', '—', '—', 'not installed']);
  });
  it('renders a run with its command, machine and one table per group', () => {
    const md = runMarkdown(rec);
    expect(md).toContain('`pnpm bench -- --quick`');
    expect(md).toContain('Some CPU, 2 cores; node v20.0.0');
    expect(md).toContain('#### The seed step');
    expect(md).toContain('#### Kernels');
    expect(md).toContain('| sgemm | symgrad cpu O2 | 10.0 | 10.0–10.0 | 1 | 200 | ×1.00 |  |');
  });
  it('puts the full run before the quick one', () => {
    const md = benchmarksMarkdown([rec, { ...rec, mode: 'full' }]);
    expect(md.startsWith('# Benchmarks')).toBe(true);
    expect(md.indexOf('### Full run')).toBeLessThan(md.indexOf('### Quick run'));
  });
  it('prints a console table with every row', () => {
    const t = consoleTable(rec);
    expect(t).toContain('numpy 2.4');
    expect(t).toContain('not installed');
  });
});

describe('orderResults', () => {
  it('groups rows by section and item, keeping run order within an item', () => {
    const mixed = [results[3]!, results[1]!, row('sweep', 'b', 'x', [1]), results[0]!, results[2]!];
    expect(orderResults(mixed).map((r) => `${r.group}/${r.peer}`)).toEqual([
      'seed/numpy 2.4', 'seed/symgrad cpu O2', 'seed/PyTorch CPU', 'kernel/symgrad cpu O2', 'sweep/x',
    ]);
  });
});
