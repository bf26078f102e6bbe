/**
 * The web page: trains the seed model (small, for the browser) on each backend the browser
 * has, with a live loss chart and the CLI's timing table. Query parameters: hidden, samples,
 * epochs, seed, autorun=1. The outcome is also left on `window.symgradDemo` for the e2e test.
 */
import { Chart, registerables } from 'chart.js';
import { randomSplit, stepFlops } from '../src/data.js';
import { CLASSES, LEARNING_RATE, SEED_FEATURES, runExperiment, type ExperimentResult } from '../src/experiment.js';
import { duration, pct, speedups } from '../src/table.js';
import { webBackends, type WebBackend } from './backends.js';

Chart.register(...registerables);

const q = new URLSearchParams(location.search);
const num = (k: string, d: number, min: number, max: number): number => {
  const v = Number(q.get(k) ?? d);
  return Number.isInteger(v) && v >= min && v <= max ? v : d;
};
const config = { hidden: num('hidden', 64, 1, 4096), samples: num('samples', 250, 5, 100_000), epochs: num('epochs', 20, 1, 10_000), seed: num('seed', 0, 0, 2 ** 31 - 1) };
const nTrain = Math.round(config.samples * 0.8);

interface DemoState {
  backends: WebBackend[];
  results: ExperimentResult[];
  errors: { backend: string; message: string }[];
  done: boolean;
}
const state: DemoState = { backends: [], results: [], errors: [], done: false };
(window as unknown as { symgradDemo: DemoState }).symgradDemo = state;

const $ = <E extends HTMLElement>(id: string): E => document.getElementById(id) as E;
const log = (s: string): void => void ($('log').textContent += `${s}\n`);
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

const chart = new Chart($<HTMLCanvasElement>('loss'), {
  type: 'line',
  data: { datasets: [] },
  options: {
    animation: false, maintainAspectRatio: false,
    scales: { x: { type: 'linear', title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: 'training loss' } } },
  },
});

function cell(text: string, cls?: string, span?: number): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  if (span) td.colSpan = span;
  return td;
}

function renderTable(): void {
  const body = $('results').querySelector('tbody')!;
  body.replaceChildren();
  const sp = speedups(state.results);
  for (const b of state.backends) {
    const tr = document.createElement('tr');
    tr.dataset.backend = b.name;
    const r = state.results.find((x) => x.backend === b.name);
    const err = state.errors.find((x) => x.backend === b.name);
    if (r) {
      const s = sp.get(r.backend);
      for (const t of [`${b.label} (${b.name})`, r.device, r.precision, r.msPerStep.toFixed(2), r.gflops.toFixed(2), duration(r.totalMs),
        s === undefined ? '—' : `${s.toFixed(2)}×`, r.finalLoss.toFixed(4), pct(r.trainAccuracy), pct(r.testAccuracy)]) tr.append(cell(t));
      tr.dataset.state = 'done';
    } else {
      tr.append(cell(`${b.label} (${b.name})`), cell(err ? `failed: ${err.message}` : b.available ? 'waiting…' : b.reason!, 'reason', 9));
      tr.dataset.state = err ? 'failed' : b.available ? 'waiting' : 'unavailable';
    }
    body.append(tr);
  }
}

async function trainAll(): Promise<void> {
  $<HTMLButtonElement>('train').disabled = true;
  state.results = [];
  state.errors = [];
  chart.data.datasets = [];
  const data = randomSplit(config.samples, SEED_FEATURES, CLASSES, nTrain, config.seed);
  for (const [i, b] of state.backends.filter((x) => x.available).entries()) {
    $('status').textContent = `training on ${b.label}…`;
    const points: { x: number; y: number }[] = [];
    // Dashed after the first: backends agree to ~1e-6, so their curves lie on top of each other.
    chart.data.datasets.push({ label: b.label, data: points, borderColor: colors[i % 4], backgroundColor: colors[i % 4], pointRadius: 2, borderDash: i ? [6, 4] : [], order: -i });
    try {
      const r = await runExperiment(data, { backend: b.name, hidden: config.hidden, epochs: config.epochs, batch: 0, precision: 'fp32', seed: config.seed, logEvery: Math.max(1, Math.round(config.epochs / 10)) },
        (p) => {
          if (!p.record) return;
          points.push({ x: p.record.epoch, y: p.record.loss });
          chart.update('none');
          if (p.record.testAccuracy !== undefined) log(`${b.name} epoch ${p.record.epoch}/${p.epochs} loss ${p.record.loss.toFixed(4)} test acc ${pct(p.record.testAccuracy)}`);
        });
      state.results.push(r);
    } catch (err) {
      state.errors.push({ backend: b.name, message: (err as Error).message });
      log(`${b.name} failed: ${(err as Error).message}`);
    }
    renderTable();
  }
  state.done = true;
  document.body.dataset.state = 'done';
  $('status').textContent = `done: ${state.results.length} backend(s) trained`;
  $<HTMLButtonElement>('train').disabled = false;
}

async function start(): Promise<void> {
  const flops = stepFlops(nTrain, SEED_FEATURES, config.hidden, CLASSES);
  $('about').textContent = `MLP ${SEED_FEATURES} → ${config.hidden} → ${config.hidden} → ${CLASSES} (relu, softmax, SGD lr ${LEARNING_RATE}), full batch of ${nTrain} rows, ` +
    `${config.epochs} epochs: ${(flops / 1e6).toFixed(1)} MFLOP per step (a small model for the browser; the CLI runs the full 1000-wide one).`;
  $('note').textContent = 'The labels are random: test accuracy stays near chance (10%) while the training loss falls as the network memorizes them.';
  state.backends = await webBackends();
  renderTable();
  document.body.dataset.state = 'ready';
  $('status').textContent = `available here: ${state.backends.filter((b) => b.available).map((b) => b.label).join(', ') || 'none'}`;
  const button = $<HTMLButtonElement>('train');
  button.disabled = false;
  button.onclick = () => void trainAll();
  if (q.get('autorun') === '1') await trainAll();
}

start().catch((err: unknown) => {
  document.body.dataset.state = 'error';
  log(`error: ${(err as Error).stack ?? String(err)}`);
});
