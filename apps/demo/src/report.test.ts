import { describe, expect, it, vi } from 'vitest';
import { buildRunReport, validateRunReport } from './result.js';
import { chartJsSource, renderReport, scriptSafe } from './report.js';
import type { ExperimentResult } from './experiment.js';

const cpu: ExperimentResult = {
  backend: 'cpu', device: 'TypeScript <V8>', precision: 'fp32', batch: 80, stepsPerEpoch: 1, steps: 3, stepMs: [30, 10, 12],
  msPerStep: 11, flopsPerStep: 1e8, gflops: 9.09, totalMs: 60, finalLoss: 1.5, trainAccuracy: 0.5, testAccuracy: 0.1,
  history: [{ epoch: 1, loss: 2.5, trainAccuracy: 0.2, testAccuracy: 0.1 }, { epoch: 2, loss: 2 }, { epoch: 3, loss: 1.5, trainAccuracy: 0.5, testAccuracy: 0.1 }],
};

const report = buildRunReport({
  dataset: { name: 'seed', description: 'random data', features: 1000, train: 80, test: 20 },
  config: { epochs: 3, batch: 0, hidden: 32, precision: 'fp32', seed: 0, learningRate: 0.1 },
  flopsPerStep: 1e8, note: 'labels are random </script>', results: [cpu], skipped: [{ name: 'cuda', reason: 'not implemented yet' }],
  sweep: { features: 1000, hidden: 32, batches: [32, 64], rows: [{ backend: 'cpu', msPerStep: [1, 2], gflops: [3, 4] }], crossover: [] },
}, new Date('2026-01-02T03:04:05Z'));

describe('buildRunReport', () => {
  it('follows the schema, with the speedup against cpu', () => {
    expect(validateRunReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
    expect(report.results[0]!.speedupVsCpu).toBe(1);
    expect(report.skipped).toEqual([{ backend: 'cuda', reason: 'not implemented yet' }]);
    expect(report.createdAt).toBe('2026-01-02T03:04:05.000Z');
  });

  it('names what a broken document lacks', () => {
    expect(validateRunReport({ schema: 'x', results: [{ backend: 1 }] })).toEqual(expect.arrayContaining([
      'schema is not symgrad-demo/result@1', 'dataset is missing', 'results[0].backend is not a string', 'results[0].msPerStep is not a number', 'sweep is missing',
    ]));
  });
});

describe('renderReport', () => {
  const html = renderReport(report);

  it('inlines the whole Chart.js build, so the file opens offline', () => {
    const chart = chartJsSource();
    expect(chart.version).toMatch(/^4\./);
    expect(chart.code.length).toBeGreaterThan(100_000);
    expect(html).toContain(scriptSafe(chart.code).slice(0, 2000));
    expect(html).toContain(scriptSafe(chart.code).slice(-2000));
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });

  it('says how to install chart.js when it is missing', async () => {
    vi.resetModules();
    vi.doMock('./package-dir.js', () => ({ packageDir: () => undefined, packageVersion: () => undefined }));
    try {
      const fresh = await import('./report.js');
      expect(() => fresh.renderReport(report)).toThrow("--report needs the 'chart.js' package: pnpm --filter @symgrad/demo add chart.js");
    } finally {
      vi.doUnmock('./package-dir.js');
    }
  });

  it('carries the data, the tables and a canvas per chart', () => {
    expect(html).toContain('"history":[{"epoch":1,"loss":2.5');
    for (const id of ['loss', 'speed', 'sweep']) expect(html).toContain(`<canvas id="${id}">`);
    expect(html).toContain('<td>TypeScript &lt;V8&gt;</td>');
    expect(html).toContain('<li><b>cuda</b>: not implemented yet</li>');
  });

  it('cannot be broken out of its <script> by the data', () => {
    expect(html).toContain('labels are random <\\/script>');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });
});
