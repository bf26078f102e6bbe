#!/usr/bin/env node
/**
 * `pnpm bench`: the seed step, the forward pass and kernels on symgrad's cpu backend and its
 * peers, in one invocation, then the report (console, docs/bench/*.json, docs/BENCHMARKS.md).
 * Run `pnpm bench --help` for the options.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, UsageError, parseBenchArgs, policies, type BenchOptions, type Peer, type Section } from './args.js';
import { forwardFlops, interleave, prepared, reason, skippedResult, stepFlops, type Result, type Runnable } from './harness.js';
import { SEED_SHAPE, mlpData, type MlpData } from './data.js';
import { cpuDevice, forwardItem, isNative, prepareForward, prepareSeedStep, sweepItem, sweepShapes } from './seed-symgrad.js';
import { kernelFlops, kernelSpecs, largeGemmSkip, prepareSymgradKernel } from './kernels.js';
import { PythonServer, pyPeerName, type PyLib, type PySpec } from './peers/python.js';
import { tfjsPeerName } from './peers/tfjs-name.js';
import { benchmarksMarkdown, consoleTable, machineInfo, orderResults, type RunRecord } from './report.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_DOCS = path.resolve(HERE, '../../../docs');
const BASE_PEER = 'symgrad cpu O2';
const TS_PATH = ' (TypeScript path, SYMGRAD_CPU_NATIVE=0)';

/** The 1-minute load average of the machine (other work beside the benchmark). */
const loadavg = (): number => Math.round(os.loadavg()[0]! * 100) / 100;

const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

interface Ctx {
  readonly opts: BenchOptions;
  readonly d: MlpData;
  /** Started Python children, or why each could not start. */
  readonly py: Map<PyLib, PythonServer | string>;
}

type Prep = Promise<Runnable | Result>;

/** Measures one item's peers together (see `interleave`) and logs the rows. */
async function together(label: string, preps: readonly (() => Prep)[]): Promise<Result[]> {
  log(`${label} …`);
  const got: (Runnable | Result)[] = [];
  for (const p of preps) got.push(await p());
  const ready = got.filter((r): r is Runnable => 'run' in r);
  const timed = await interleave(ready);
  // Rows in the order the peers were listed, skipped ones included.
  const out = got.map((r) => ('run' in r ? timed[ready.indexOf(r)]! : r));
  for (const r of out) log(`  ${r.peer}: ${r.skipped ?? `${r.medianMs?.toFixed(2)} ms median of ${r.times.length}`}`);
  return out;
}

/** The peer name of the seed step's eight GEMMs alone through numpy (OpenBLAS). */
const MATMULS_ALONE = (numpy: string): string => `${numpy}: the step's 8 matmuls alone (OpenBLAS)`;

/** The Python peer `lib` on `spec`, or a skipped row saying why it is absent; `rename` derives the row's peer name. */
function pyPrep(ctx: Ctx, lib: PyLib, spec: PySpec, row: { group: string; item: string; flops: number }, rename = (p: string) => p): Prep {
  const s = ctx.py.get(lib);
  if (s === undefined || typeof s === 'string') return Promise.resolve(skippedResult(row.group, row.item, rename(pyPeerName(lib)), row.flops, s ?? 'not started'));
  return prepared(row.group, row.item, rename(s.peer), row.flops, () => s.prepare(spec, row, policies(ctx.opts.quick).fast, rename(s.peer)));
}

/** Every wanted peer of the seed step, forward pass and kernels, item by item. */
async function comparisons(ctx: Ctx): Promise<Result[]> {
  const { opts, d } = ctx;
  const pol = policies(opts.quick);
  const want = (p: Peer): boolean => opts.peers.has(p);
  const has = (s: Section): boolean => opts.sections.has(s);
  const pys = (['numpy', 'torch'] as const).filter(want);
  const { rows, features, hidden, classes } = d.shape;
  const out: Result[] = [];

  if (has('seed')) {
    const row = { group: 'seed', item: 'seed step', flops: stepFlops(rows, features, hidden, classes) };
    const preps: (() => Prep)[] = [];
    if (want('symgrad')) {
      preps.push(() => prepared(row.group, row.item, BASE_PEER, row.flops, () => prepareSeedStep(d, 'O2', BASE_PEER, pol.fast)));
      preps.push(() => prepared(row.group, row.item, 'symgrad cpu O0', row.flops, () => prepareSeedStep(d, 'O0', 'symgrad cpu O0', pol.fast)));
    }
    for (const lib of pys) preps.push(() => pyPrep(ctx, lib, { kind: 'step', shape: d.shape }, row));
    if (want('numpy')) preps.push(() => pyPrep(ctx, 'numpy', { kind: 'matmuls', shape: d.shape }, row, MATMULS_ALONE));
    if (want('tfjs-wasm')) {
      preps.push(() => prepared(row.group, row.item, tfjsPeerName('wasm'), row.flops, async () => (await tfjs()).prepareTfjsSeedStep(d, 'wasm', pol.slow)));
    }
    out.push(...await together('seed step', preps));
    if (want('tfjs-cpu')) {
      const peer = tfjsPeerName('cpu');
      if (opts.quick) out.push(skippedResult(row.group, row.item, peer, row.flops, 'skipped under --quick (~14 s a step)'));
      // ~14 s a step: after the others rather than in their rounds.
      else out.push(...await together('seed step on tfjs-cpu (slow; alone)', [() => prepared(row.group, row.item, peer, row.flops, async () => (await tfjs()).prepareTfjsSeedStep(d, 'cpu', pol.glacial))]));
    }
    if (want('gpujs')) {
      // Its own item (a reduced shape; see peers/gpujs.ts), with a symgrad cpu row for the ratio.
      const g = await (await import('./peers/gpujs.js')).gpujsSeedPreps(BASE_PEER, pol.fast, pol.slow);
      out.push(...await together(g.item, g.preps));
    }
  }

  if (has('forward')) {
    const row = { group: 'forward', item: forwardItem(rows), flops: forwardFlops(rows, features, hidden, classes) };
    const preps: (() => Prep)[] = [];
    if (want('symgrad')) preps.push(() => prepared(row.group, row.item, BASE_PEER, row.flops, () => prepareForward(d, 'O2', BASE_PEER, pol.fast)));
    for (const lib of pys) preps.push(() => pyPrep(ctx, lib, { kind: 'forward', shape: d.shape }, row));
    if (want('onnx')) {
      preps.push(() => prepared(row.group, row.item, 'onnxruntime-node 1.30.0', row.flops, async () => (await import('./peers/onnx.js')).prepareOnnxForward(d, pol.fast)));
    }
    if (want('tfjs-wasm')) preps.push(() => prepared(row.group, row.item, tfjsPeerName('wasm'), row.flops, async () => (await tfjs()).prepareTfjsForward(d, 'wasm', pol.fast)));
    out.push(...await together('forward pass', preps));
  }

  if (has('kernels')) {
    for (const k of kernelSpecs(opts.quick)) {
      const row = { group: 'kernel', item: k.name, flops: kernelFlops(k) };
      const preps: (() => Prep)[] = [];
      if (want('symgrad')) preps.push(() => prepared(row.group, row.item, BASE_PEER, row.flops, () => prepareSymgradKernel(k, BASE_PEER, pol.fast)));
      for (const lib of pys) {
        if (k.kind === 'lstm' && lib === 'numpy') preps.push(() => Promise.resolve(skippedResult(row.group, row.item, pyPeerName('numpy'), row.flops, 'numpy has no LSTM (PyTorch\'s is the peer)')));
        else if ((k.kind === 'transformer' || k.kind === 'decoder') && lib === 'numpy') preps.push(() => Promise.resolve(skippedResult(row.group, row.item, pyPeerName('numpy'), row.flops, 'numpy has no attention (PyTorch\'s is the peer)')));
        else preps.push(() => pyPrep(ctx, lib, { kind: 'kernel', kernel: k }, row));
      }
      const tfSkip = k.kind === 'transformer' || k.kind === 'decoder' ? 'tfjs-layers has no attention layer' : largeGemmSkip(k, 'tfjs-wasm');
      if (want('tfjs-wasm') && tfSkip) preps.push(() => Promise.resolve(skippedResult(row.group, row.item, tfjsPeerName('wasm'), row.flops, tfSkip)));
      else if (want('tfjs-wasm')) preps.push(() => prepared(row.group, row.item, tfjsPeerName('wasm'), row.flops, async () => (await tfjs()).prepareTfjsKernel(k, 'wasm', pol.fast, pol.slow)));
      out.push(...await together(k.name, preps));
    }
  }
  return out;
}

const tfjs = (): Promise<typeof import('./peers/tfjs.js')> => import('./peers/tfjs.js');

/** The sweep: symgrad's seed step alone at each shape. */
async function sweep(opts: BenchOptions): Promise<Result[]> {
  const pol = policies(opts.quick);
  const out: Result[] = [];
  for (const s of sweepShapes(opts.quick)) {
    const name = sweepItem(s);
    const flops = stepFlops(s.rows, s.features, s.hidden, s.classes);
    out.push(...await together(`sweep ${name}`, [() => prepared('sweep', name, BASE_PEER, flops, () => prepareSeedStep(mlpData(s), 'O2', BASE_PEER, pol.sweep, 'sweep', name))]));
  }
  return out;
}

/** symgrad's seed step, forward pass and kernels alone: what a --child-out run measures. */
async function symgradAlone(opts: BenchOptions, d: MlpData, peer: string): Promise<Result[]> {
  const pol = policies(opts.quick);
  const out: Result[] = [];
  const { rows, features, hidden, classes } = d.shape;
  if (opts.sections.has('seed')) {
    out.push(...await together('seed step', [() => prepared('seed', 'seed step', peer, stepFlops(rows, features, hidden, classes), () => prepareSeedStep(d, 'O2', peer, pol.fast))]));
  }
  if (opts.sections.has('forward')) {
    out.push(...await together('forward pass', [() => prepared('forward', forwardItem(rows), peer, forwardFlops(rows, features, hidden, classes), () => prepareForward(d, 'O2', peer, pol.fast))]));
  }
  if (opts.sections.has('kernels')) {
    for (const k of kernelSpecs(opts.quick)) {
      const skip = peer === BASE_PEER ? undefined : largeGemmSkip(k, 'typescript');
      if (skip) out.push(skippedResult('kernel', k.name, peer, kernelFlops(k), skip));
      else out.push(...await together(k.name, [() => prepared('kernel', k.name, peer, kernelFlops(k), () => prepareSymgradKernel(k, peer, pol.fast))]));
    }
  }
  return out;
}

/** Sections whose symgrad rows run on the cpu backend in Node, beside the Python peers (not the sweep, not the browser's). */
const inNode = (s: Section): boolean => s !== 'sweep' && s !== 'webgl';

/** The same symgrad items in a child process with the native addon switched off. */
async function typescriptPathChild(opts: BenchOptions): Promise<Result[]> {
  const sections = [...opts.sections].filter(inNode);
  if (sections.length === 0) return [];
  const tmp = path.join(os.tmpdir(), `symgrad-bench-${process.pid}.json`);
  const args = [fileURLToPath(import.meta.url), '--only', [...sections, 'symgrad'].join(','), ...(opts.quick ? ['--quick'] : []), '--child-out', tmp];
  log('symgrad again in a child with SYMGRAD_CPU_NATIVE=0 (alone, after the others) …');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, SYMGRAD_CPU_NATIVE: '0' }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', () => resolve(-1));
    child.on('close', (c) => resolve(c));
  });
  try {
    if (code !== 0) throw new Error(`the child exited with ${code}`);
    return JSON.parse(await readFile(tmp, 'utf8')) as Result[];
  } catch (err) {
    return [skippedResult('seed', 'seed step', `${BASE_PEER}${TS_PATH}`, 0, `failed: ${reason(err)}`)];
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Starts the wanted Python children (a failure is kept as the reason for their rows). */
async function startPython(opts: BenchOptions): Promise<Map<PyLib, PythonServer | string>> {
  const py = new Map<PyLib, PythonServer | string>();
  if (![...opts.sections].some(inNode)) return py;
  for (const lib of ['numpy', 'torch'] as const) {
    if (!opts.peers.has(lib)) continue;
    try {
      py.set(lib, await PythonServer.start(lib));
    } catch (err) {
      py.set(lib, reason(err));
    }
    const s = py.get(lib)!;
    log(`${lib}: ${typeof s === 'string' ? s : s.info}`);
  }
  return py;
}

async function writeReport(opts: BenchOptions, rec: RunRecord): Promise<void> {
  const docs = path.resolve(opts.docsDir ?? DEFAULT_DOCS);
  const benchDir = path.join(docs, 'bench');
  await mkdir(benchDir, { recursive: true });
  const json = `${JSON.stringify(rec, null, 2)}\n`;
  await writeFile(path.join(benchDir, 'results.json'), json);
  log(`wrote ${path.join(benchDir, 'results.json')}`);
  if (opts.partial) {
    log('a partial run (--only): docs/BENCHMARKS.md and results-<mode>.json left as they were');
    return;
  }
  await writeFile(path.join(benchDir, `results-${rec.mode}.json`), json);
  await render(docs);
}

/** Rewrites docs/BENCHMARKS.md from the saved full and quick runs. */
async function render(docs: string): Promise<void> {
  const benchDir = path.join(docs, 'bench');
  const runs: RunRecord[] = [];
  for (const mode of ['full', 'quick']) {
    try {
      runs.push(JSON.parse(await readFile(path.join(benchDir, `results-${mode}.json`), 'utf8')) as RunRecord);
    } catch { /* that mode has not run yet */ }
  }
  await writeFile(path.join(docs, 'BENCHMARKS.md'), benchmarksMarkdown(runs));
  log(`wrote ${path.join(docs, 'BENCHMARKS.md')}`);
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  if (opts.render) {
    await render(path.resolve(opts.docsDir ?? DEFAULT_DOCS));
    return 0;
  }
  const start = performance.now();
  const date = new Date().toISOString();
  const device = await cpuDevice();
  const d = mlpData(SEED_SHAPE);

  if (opts.childOut !== undefined) {
    const suffix = isNative(device) ? ' (native addon still loaded: SYMGRAD_CPU_NATIVE=0 ignored)' : TS_PATH;
    await writeFile(opts.childOut, JSON.stringify(await symgradAlone(opts, d, `${BASE_PEER}${suffix}`)));
    return 0;
  }

  log(`symgrad cpu device: ${device}; ${opts.quick ? 'quick' : 'full'} run; load average ${loadavg()}`);
  const loadBefore = loadavg();
  const py = await startPython(opts);
  const results: Result[] = [];
  try {
    results.push(...await comparisons({ opts, d, py }));
  } finally {
    for (const s of py.values()) if (typeof s !== 'string') await s.close();
  }
  let webglRenderer: string | undefined;
  if (opts.sections.has('webgl') && (opts.peers.has('gpujs') || opts.peers.has('tfjs-webgl'))) {
    // A browser of its own after the Node peers: its rows compare with each other, not with symgrad cpu.
    log('webgl: symgrad gpujs and tfjs-webgl in headless Chromium');
    const w = await (await import('./webgl/webgl-bench.js')).webglResults(opts.quick, opts.peers.has('gpujs'), opts.peers.has('tfjs-webgl'));
    for (const r of w.results) log(`  ${r.item} | ${r.peer} | ${r.medianMs?.toFixed(2) ?? r.skipped}`);
    results.push(...w.results);
    webglRenderer = w.renderer;
  }
  if (opts.peers.has('symgrad') && opts.sections.has('sweep')) results.push(...await sweep(opts));
  if (opts.peers.has('symgrad') && isNative(device)) results.push(...await typescriptPathChild(opts));

  const rec: RunRecord = {
    command: `pnpm bench${argv.filter((a) => a !== '--').map((a) => ` ${a}`).join('')}`,
    date,
    mode: opts.quick ? 'quick' : 'full',
    machine: machineInfo(),
    symgradDevice: device,
    basePeer: BASE_PEER,
    wallSeconds: (performance.now() - start) / 1000,
    loadAverage: { before: loadBefore, after: loadavg() },
    ...(webglRenderer ? { webglRenderer } : {}),
    results: orderResults(results),
  };
  console.log(consoleTable(rec));
  if (!opts.noWrite) await writeReport(opts, rec);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
