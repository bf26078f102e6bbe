/**
 * Formatting of a run: the console table, the JSON record and docs/BENCHMARKS.md. Pure apart
 * from `machineInfo` (reads lscpu, os and the Node version).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { gflops, ratio, type Result } from './harness.js';
import { SYMGRAD_WEBGL_PEER, WEBGL_GROUP } from './webgl/webgl-items.js';

export interface MachineInfo {
  /** lscpu's "Model name" line (or os.cpus()'s model). */
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly os: string;
}

/** One invocation's record, as written to docs/bench/results.json. */
export interface RunRecord {
  readonly command: string;
  /** ISO date-time of the start. */
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly machine: MachineInfo;
  /** The cpu backend's device string (names the native addon when it loaded). */
  readonly symgradDevice: string;
  /** The peer every ratio divides by, e.g. 'symgrad cpu O2'. */
  readonly basePeer: string;
  readonly wallSeconds: number;
  /** The machine's 1-minute load average when the run started and ended. */
  readonly loadAverage?: { readonly before: number; readonly after: number };
  /** The webgl section's renderer and gpu.js device, and how far the two peers' first results were apart. */
  readonly webglRenderer?: string;
  readonly results: readonly Result[];
}

export function machineInfo(): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    const line = out.split('\n').find((l) => /^Model name:/.test(l));
    if (line) cpu = line.replace(/^Model name:\s*/, '').trim();
  } catch { /* no lscpu: keep os.cpus() */ }
  return { cpu, cores: os.availableParallelism?.() ?? os.cpus().length, node: process.version, os: `${os.type()} ${os.release()} ${os.arch()}` };
}

/** Milliseconds to a readable width: 13,750 · 48.7 · 2.31 · 0.412. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 1000) return Math.round(ms).toLocaleString('en-US');
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** Three significant digits, or '—'. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(3);
}

/** A ratio as '×2.31' (the peer takes 2.31 times symgrad's time), or '—'. */
export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `×${formatNumber(r)}` : '—';
}

/** Escapes a cell for a Markdown table. */
export function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A Markdown table from a header and rows of cells. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const GROUP_TITLES: Record<string, string> = {
  seed: 'The seed step (train: forward + backward + SGD update)',
  forward: 'Forward pass of the seed MLP (inference)',
  kernel: 'Kernels',
  [WEBGL_GROUP]: 'WebGL2 in headless Chromium: symgrad gpujs and tfjs-webgl in one page (ratios against symgrad gpujs)',
  sweep: 'Sweep: the seed step across batch sizes and hidden widths (symgrad cpu)',
};

/** Groups whose ratios divide by another peer than the run's base (both their peers run in a browser). */
const GROUP_BASE: Record<string, string> = { [WEBGL_GROUP]: SYMGRAD_WEBGL_PEER };

/** The base row for `r`: the same item measured by its group's base peer, or else `basePeer`. */
function baseOf(results: readonly Result[], r: Result, basePeer: string): Result | undefined {
  const base = GROUP_BASE[r.group] ?? basePeer;
  return results.find((b) => b.group === r.group && b.item === r.item && b.peer === base);
}

/** The table rows of one group, in run order, with ratios against `basePeer`. */
export function groupRows(results: readonly Result[], group: string, basePeer: string): string[][] {
  return results.filter((r) => r.group === group).map((r) => {
    const base = baseOf(results, r, basePeer);
    const range = r.minMs === undefined ? '—' : `${formatMs(r.minMs)}–${formatMs(r.maxMs)}`;
    const notes = r.skipped ?? r.note ?? '';
    const rowRatio = group === 'sweep' ? '' : formatRatio(ratio(r.medianMs, base?.medianMs));
    return [r.item, r.peer, formatMs(r.medianMs), range, String(r.times.length), formatNumber(gflops(r.flops, r.medianMs)), rowRatio, notes];
  });
}

export const TABLE_HEADER = ['item', 'peer', 'median ms', 'min–max ms', 'reps', 'GFLOP/s', '÷ symgrad', 'notes'] as const;

/** The Markdown section of one run: header lines and a table per group. */
export function runMarkdown(rec: RunRecord): string {
  const groups = [...new Set(rec.results.map((r) => r.group))];
  const parts = [
    `### ${rec.mode === 'quick' ? 'Quick run' : 'Full run'} — ${rec.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- command: \`${rec.command}\``,
    `- machine: ${rec.machine.cpu}, ${rec.machine.cores} cores; node ${rec.machine.node}; ${rec.machine.os}`,
    `- symgrad cpu device: ${rec.symgradDevice}`,
    `- ratios: each row's median ÷ the median of \`${rec.basePeer}\` on the same item, same run (×0.5 = twice as fast as symgrad, ×2 = half as fast)`,
    `- wall time of the run: ${rec.wallSeconds.toFixed(0)} s` +
      (rec.loadAverage ? `; 1-minute load average ${rec.loadAverage.before} at the start, ${rec.loadAverage.after} at the end (2 cores)` : ''),
    ...(rec.webglRenderer ? [`- webgl section: ${rec.webglRenderer}`] : []),
  ];
  for (const g of groups) {
    parts.push('', `#### ${GROUP_TITLES[g] ?? g}`, '');
    const header = g === 'sweep' ? TABLE_HEADER.filter((h) => h !== '÷ symgrad') : [...TABLE_HEADER];
    const rows = groupRows(rec.results, g, rec.basePeer).map((row) => (g === 'sweep' ? row.filter((_, i) => i !== 6) : row));
    parts.push(markdownTable(header, rows));
  }
  return parts.join('\n');
}

const INTRO = `# Benchmarks

Generated by \`pnpm bench\` (apps/bench); do not edit by hand — rerun it. Every peer of an
item ran in the same invocation on the same machine, and their timed repetitions took turns
(round-robin, the order rotating each round), so a change in the load of this shared 2-core VM
hits them alike: compare the ratios within a run rather than absolute times across runs.
Exceptions: tfjs-cpu (~14 s a step) runs alone after the others, and so do the sweep and the
symgrad TypeScript-path child. Times are medians of the timed repetitions after a warm-up
(the first call, with compilation, is never timed); the Python peers time themselves in
Python, so process round trips are not counted against them. GFLOP/s counts the useful
floating-point work (the seed step ≈ 8.05 GFLOP: forward 3.22, backward 4.83), not what
an implementation actually executes. Raw numbers: [bench/results.json](bench/results.json)
(latest run), bench/results-full.json and bench/results-quick.json.

The webgl section runs in headless Chromium (Debian's \`chromium\`; without a GPU, SwiftShader
renders its WebGL2 on the CPU, so it compares the two libraries on one software renderer, not
on a GPU): symgrad's gpujs backend and tfjs-webgl share one page, their inputs and weights on
the GPU side of each, and take turns as above; its ratios divide by symgrad gpujs.

How to run: \`pnpm bench\` (full), \`pnpm bench --quick\` (< 3 minutes, no tfjs-cpu),
\`pnpm bench --sweep\`, \`pnpm bench --only seed,symgrad,numpy\`, \`pnpm bench --only webgl\`, \`pnpm bench --help\`.
CI never runs it; \`pnpm test\` runs only the harness's unit tests.

The numbers to beat in PERFORMANCE-NOTES (shared/) — tfjs-cpu 13,750 ms/step, tfjs-wasm 2,748,
PyTorch 48.7, numpy 61, onnxruntime forward 11.6 — were measured on an Intel Xeon (Emerald
Rapids) on a quiet machine; the runs below say which CPU and what load they had. Rerendering
this page from the saved runs: \`node apps/bench/dist/main.js --render\`.
`;

/** The whole of docs/BENCHMARKS.md from the runs to show (full first, then quick). */
export function benchmarksMarkdown(runs: readonly RunRecord[]): string {
  const sorted = [...runs].sort((a, b) => (a.mode === b.mode ? 0 : a.mode === 'full' ? -1 : 1));
  return `${INTRO}\n${sorted.map(runMarkdown).join('\n\n')}\n`;
}

/** A plain-text table for the console. */
export function consoleTable(rec: RunRecord): string {
  const lines: string[] = [];
  for (const g of [...new Set(rec.results.map((r) => r.group))]) {
    lines.push('', `== ${GROUP_TITLES[g] ?? g}`);
    const rows = groupRows(rec.results, g, rec.basePeer).map((r) => [r[0]!, r[1]!, r[2]!, r[4]!, r[5]!, r[6]!, r[7]!]);
    const header = ['item', 'peer', 'median ms', 'reps', 'GFLOP/s', '÷ symgrad', 'notes'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 6 ? 0 : r[i]!.length))));
    const fmt = (r: readonly string[]): string => r.map((c, i) => (i === 6 ? c : i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
    lines.push(fmt(header), ...rows.map(fmt));
  }
  return lines.join('\n');
}

const GROUP_ORDER = ['seed', 'forward', 'kernel', WEBGL_GROUP, 'sweep'];

/** Orders rows by group (seed, forward, kernel, webgl, sweep), then by item, keeping run order within. */
export function orderResults(results: readonly Result[]): Result[] {
  const items = [...new Set(results.map((r) => `${r.group}\u0000${r.item}`))];
  const g = (r: Result): number => { const i = GROUP_ORDER.indexOf(r.group); return i < 0 ? GROUP_ORDER.length : i; };
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => g(a.r) - g(b.r) || items.indexOf(`${a.r.group}\u0000${a.r.item}`) - items.indexOf(`${b.r.group}\u0000${b.r.item}`) || a.i - b.i)
    .map((x) => x.r);
}
