import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendStatuses } from './backends.js';
import { runCli } from './cli.js';
import { validateRunReport, type RunReport } from './result.js';
import { capture } from './testing/capture.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await runCli(argv, { stdout: out.stream, stderr: err.stream });
  return { code, out: out.text(), err: err.text() };
}

// A small model so the suite stays quick; the full-size run is `pnpm demo`.
const SMALL = ['--hidden', '32', '--samples', '100', '--epochs', '4', '--seed', '3'];

describe('bad input exits with code 2 and a clear message', () => {
  it.each([
    [['--backend', 'tpu'], /unknown backend 'tpu': known backends are cpu, webgpu, cuda, gpujs/],
    [['--epochs', 'many'], /--epochs must be an integer, got 'many'/],
    [['--hidden', '0'], /--hidden must be between 1 and 100000, got 0/],
    [['--seed', '1e9'], /--seed must be an integer/],
    [['--dataset', 'imagenet'], /--dataset must be one of seed, mnist/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
  ])('%j', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain("Run 'pnpm demo -- --help' for the options.");
    expect(r.out).toBe('');
  });

  it('an installed but unavailable backend alone exits 1 with its reason', async (ctx) => {
    const unavailable = (await backendStatuses()).find((b) => b.installed && !b.available);
    if (!unavailable) return ctx.skip(); // every installed backend runs on this machine
    const r = await cli('--backend', unavailable.name, ...SMALL);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: none of the chosen backends can run here:\n  ${unavailable.name}: ${unavailable.reason}\n`);
  });
});

describe('a run', () => {
  it('trains on the cpu, lists the others with their reason, and says that random labels cannot generalize', async () => {
    const r = await cli(...SMALL);
    expect(r.code).toBe(0);
    expect(r.out).toContain('MLP 1000 → 32 → 32 → 10');
    expect(r.out).toMatch(/nothing learned here can generalize: test accuracy stays near chance \(10%\) while the training loss falls/);
    expect(r.out).toMatch(/^backend +device +precision +ms\/step \(median\) +GFLOP\/s +total +vs cpu +final loss +train acc +test acc$/m);
    expect(r.out).toMatch(/^cpu +\S.* +fp32 .* 1\.00× /m);
    // Every known backend either ran or is listed with its reason (which its package words).
    const notRun = r.out.slice(r.out.indexOf('not run:'));
    for (const name of ['webgpu', 'cuda', 'gpujs']) expect(r.out).toMatch(new RegExp(`^(${name} .*\\d%|  ${name} +\\S.{10,})$`, 'm'));
    expect(notRun).toMatch(/^ {2}gpujs +runs as gpu\.js \((webasm|cpu)\) here, a CPU emulation without WebGL; pass --backend gpujs to run it anyway$/m);
    expect(r.out).toMatch(/cpu +epoch 4\/4 +loss \d/);
  });

  it('--precision tf32 says when a backend runs in fp32 instead', async () => {
    const r = await cli(...SMALL, '--precision', 'tf32', '--backend', 'cpu');
    expect(r.code).toBe(0);
    expect(r.out).toContain('cpu: --precision tf32 is not offered by this backend (it has fp32); it ran in fp32');
    expect(r.out).toMatch(/^cpu +\S.* +fp32 /m);
  });

  it('--json prints one document that follows the schema', async () => {
    const r = await cli(...SMALL, '--json', '--backend', 'cpu,cuda');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as RunReport;
    expect(validateRunReport(doc)).toEqual([]);
    expect(doc.config).toEqual({ epochs: 4, batch: 0, hidden: 32, precision: 'fp32', seed: 3, learningRate: 0.1 });
    expect(doc.dataset).toMatchObject({ name: 'seed', features: 1000, train: 80, test: 20 });
    expect(doc.results.map((x) => x.backend)).toEqual(['cpu']);
    const cpu = doc.results[0]!;
    expect(cpu.history).toHaveLength(4);
    expect(cpu.steps).toBe(4);
    expect(cpu.speedupVsCpu).toBe(1);
    expect(cpu.history[3]!.loss).toBeLessThan(cpu.history[0]!.loss); // memorizing
    expect(doc.skipped.map((s) => s.backend)).toEqual(['cuda']);
    expect(doc.skipped[0]!.reason).toBeTruthy();
    expect(doc.sweep).toBeNull();
  });

  it('--report writes one HTML file with Chart.js and the data inlined', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'symgrad-demo-')), 'report.html');
    const r = await cli(...SMALL, '--backend', 'cpu', '--report', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`report written to ${file}`);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('Chart.js 4.');
    expect(html).toMatch(/new Chart\(document.getElementById\('loss'\)/);
    expect(html).toContain('"schema":"symgrad-demo/result@1"');
    expect(html).not.toMatch(/<script[^>]+src=/); // nothing loaded from elsewhere
  });

  it('--sweep times each batch size and says there is no GPU backend to compare', async () => {
    const r = await cli('--backend', 'cpu', '--hidden', '16', '--samples', '20', '--epochs', '1', '--sweep', '--json');
    const doc = JSON.parse(r.out) as RunReport;
    expect(doc.sweep!.batches).toEqual([32, 64, 128, 256, 512, 1024, 2048, 4096]);
    expect(doc.sweep!.rows[0]!.msPerStep).toHaveLength(8);
    expect(doc.sweep!.crossover).toEqual([]);
  });

  it('--dataset mnist trains on real digits with minibatches', async () => {
    const r = await cli('--backend', 'cpu', '--dataset', 'mnist', '--hidden', '32', '--epochs', '1', '--batch', '200', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as RunReport;
    expect(doc.dataset).toMatchObject({ name: 'mnist', features: 784, train: 8000, test: 2000 });
    expect(doc.results[0]!.steps).toBe(40);
    expect(doc.results[0]!.testAccuracy).toBeGreaterThan(0.5); // far above chance after one epoch
  });
});

describe('doctor', () => {
  it('lists every backend, its status or reason, and library versions', async () => {
    const r = await cli('doctor');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^cpu +available +\S.* +fp32 +10$/m);
    expect(r.out).toMatch(/^webgpu +(available|unavailable) /m);
    expect(r.out).toMatch(/^gpujs +available +gpu\.js \((webasm|cpu|gpu|headlessgl)\)/m);
    expect(r.out).toMatch(/^why not:\n( {2}\w+: \S.*\n)+/m);
    expect(r.out).toMatch(/^@symgrad\/core +\d+\.\d+\.\d+$/m);
    expect(r.out).toMatch(/^chart\.js +4\./m);
  });

  it('--json gives the same as data', async () => {
    const r = await cli('doctor', '--json');
    const d = JSON.parse(r.out) as { backends: { name: string; available: boolean; reason?: string }[]; libraries: { name: string }[]; runtime: { node: string } };
    expect(d.backends.map((b) => b.name)).toEqual(['cpu', 'webgpu', 'cuda', 'gpujs']);
    expect(d.backends[0]!.available).toBe(true);
    for (const b of d.backends) expect(b.available || !!b.reason).toBe(true);
    expect(d.runtime.node).toBe(process.versions.node);
    expect(d.libraries.map((l) => l.name)).toContain('@symgrad/backend-cpu');
  });
});
