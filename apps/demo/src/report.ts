/**
 * `--report FILE.html`: one self-contained HTML file with the loss curve of every backend,
 * the ms/step bars and the sweep, drawn by Chart.js. The library's minified UMD build is
 * read from node_modules and inlined in a <script>, so the file opens offline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';
import type { RunReport } from './result.js';

/** Chart.js's minified UMD build and its version, from the installed package. */
export function chartJsSource(): { code: string; version: string } {
  const dir = packageDir('chart.js');
  if (!dir) throw new Error("--report needs the 'chart.js' package: pnpm --filter @symgrad/demo add chart.js");
  const code = readFileSync(join(dir, 'dist', 'chart.umd.min.js'), 'utf8');
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { code, version };
}

/** Makes text safe inside a <script> element. */
export const scriptSafe = (s: string): string => s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
const html = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

// Runs in the report's page: draws the charts from the inlined REPORT data.
const DRAW = `
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const R = REPORT;
new Chart(document.getElementById('loss'), {
  type: 'line',
  data: { datasets: R.results.map((r, i) => ({ label: r.backend, borderColor: colors[i % 5], backgroundColor: colors[i % 5],
    data: r.history.map((h) => ({ x: h.epoch, y: h.loss })), pointRadius: 2, borderDash: i ? [6, 4] : [], order: -i })) },
  options: { animation: false, maintainAspectRatio: false, scales: { x: { type: 'linear', title: { display: true, text: 'epoch' } },
    y: { title: { display: true, text: 'training loss' } } } },
});
new Chart(document.getElementById('speed'), {
  type: 'bar',
  data: { labels: R.results.map((r) => r.backend),
    datasets: [{ label: 'ms per step (median)', data: R.results.map((r) => r.msPerStep), backgroundColor: colors[0] }] },
  options: { animation: false, maintainAspectRatio: false, indexAxis: 'y', scales: { x: { title: { display: true, text: 'ms per step (lower is faster)' } } } },
});
if (R.sweep) {
  new Chart(document.getElementById('sweep'), {
    type: 'line',
    data: { labels: R.sweep.batches, datasets: R.sweep.rows.map((r, i) => ({ label: r.backend, data: r.msPerStep,
      borderColor: colors[i % 5], backgroundColor: colors[i % 5] })) },
    options: { animation: false, maintainAspectRatio: false, scales: { x: { title: { display: true, text: 'batch size' } },
      y: { type: 'logarithmic', title: { display: true, text: 'ms per step' } } } },
  });
}
`;

/** The report's HTML. */
export function renderReport(report: RunReport, chart = chartJsSource()): string {
  const rows = report.results.map((r) =>
    `<tr><td>${html(r.backend)}</td><td>${html(r.device)}</td><td>${r.precision}</td><td>${r.msPerStep.toFixed(1)}</td><td>${r.gflops.toFixed(2)}</td>` +
    `<td>${(r.totalMs / 1000).toFixed(1)} s</td><td>${r.speedupVsCpu === null ? '—' : `${r.speedupVsCpu.toFixed(2)}×`}</td>` +
    `<td>${r.finalLoss.toFixed(4)}</td><td>${(100 * r.trainAccuracy).toFixed(1)}%</td><td>${(100 * r.testAccuracy).toFixed(1)}%</td></tr>`).join('\n');
  const skipped = report.skipped.map((s) => `<li><b>${html(s.backend)}</b>: ${html(s.reason)}</li>`).join('\n');
  const c = report.config;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>symgrad demo report</title>
<style>body{font:14px system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}
.chart{position:relative;height:320px;margin:1em 0}</style></head>
<body>
<h1>symgrad demo</h1>
<p>${html(report.dataset.description)}. MLP ${report.dataset.features} → ${c.hidden} → ${c.hidden} → 10, SGD lr ${c.learningRate},
${c.epochs} epochs, batch ${c.batch === 0 ? 'full' : c.batch}, ${c.precision}, seed ${c.seed};
${(report.flopsPerStep / 1e9).toFixed(3)} GFLOP per step. Generated ${html(report.createdAt)}.</p>
<p>${html(report.note)}</p>
<table><thead><tr><th>backend</th><th>device</th><th>precision</th><th>ms/step</th><th>GFLOP/s</th><th>total</th><th>vs cpu</th><th>final loss</th><th>train acc</th><th>test acc</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${skipped ? `<h3>Not run</h3><ul>\n${skipped}\n</ul>` : ''}
<h2>Training loss</h2><div class="chart"><canvas id="loss"></canvas></div>
<h2>Time per step</h2><div class="chart"><canvas id="speed"></canvas></div>
${report.sweep ? '<h2>Batch-size sweep</h2><div class="chart"><canvas id="sweep"></canvas></div>' : '<p>No sweep in this run (add <code>--sweep</code>).</p>'}
<script>/* Chart.js ${html(chart.version)} (MIT), inlined so this file opens offline */
${scriptSafe(chart.code)}
</script>
<script>
const REPORT = ${scriptSafe(JSON.stringify(report))};
${DRAW}
</script>
</body></html>
`;
}
