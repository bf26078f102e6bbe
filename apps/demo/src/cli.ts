/**
 * The demo's command line: parses the options, finds the backends, trains on each with a
 * progress bar, and prints the comparison table (or JSON), an HTML report, a sweep, or the
 * doctor's report. `runCli` returns the exit code: 0 done, 1 failed, 2 bad input.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULTS, USAGE, UsageError, parseDemoArgs, type DemoOptions } from './args.js';
import { backendStatuses, selectBackends, type BackendStatus, type Importer } from './backends.js';
import { loadDataset, shiftDigits, type LoadedDataset } from './datasets.js';
import { doctorReport, formatDoctor } from './doctor.js';
import { CLASSES, LEARNING_RATE, runExperiment, type ExperimentResult } from './experiment.js';
import { createProgressView } from './progress.js';
import { renderReport } from './report.js';
import { buildRunReport } from './result.js';
import { runSweep, sweepTable, type SweepResult } from './sweep.js';
import { SWEEP_BATCHES } from './args.js';
import { duration, resultsTable, type SkippedBackend } from './table.js';
import { stepFlops } from './data.js';

export interface CliIO {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** Imports backend packages (tests replace it). */
  readonly importer?: Importer;
}

/** MNIST training batches are shifted by up to this many pixels (augmentation: 8000 digits are few). */
export const MNIST_SHIFT = 1;

/** What the run says about its data: random labels cannot generalize; MNIST can. */
export function datasetNote(d: LoadedDataset): string {
  if (d.name === 'mnist') return 'MNIST digits are real data: test accuracy shows how well the network generalizes.';
  return `The labels are random and do not depend on the inputs, so nothing learned here can generalize: test accuracy ` +
    `stays near chance (${(100 / CLASSES).toFixed(0)}%) while the training loss falls and training accuracy rises as the ` +
    `network memorizes the ${d.split.xTrain.shape[0]} training labels. The comparison is about speed; --dataset mnist shows real learning.`;
}

function header(o: DemoOptions, d: LoadedDataset, flops: number, nTrain: number): string {
  const batch = o.batch === 0 || o.batch >= nTrain ? `full batch (${nTrain} rows)` : `batch ${o.batch}`;
  const defaults = o.dataset === 'seed' && o.epochs < 100
    ? `\n${o.epochs} of the seed experiment's 100 epochs; the default (--epochs 100) runs the full experiment.`
    : '';
  const sgd = d.name === 'mnist' ? `SGD lr ${LEARNING_RATE} annealed to 0 (cosine), digits shifted by up to ${MNIST_SHIFT} px` : `SGD lr ${LEARNING_RATE}`;
  return `symgrad demo: MLP ${d.features} → ${o.hidden} → ${o.hidden} → ${CLASSES}, relu, softmax, ${sgd}, ${o.epochs} epochs, ` +
    `${batch}, ${o.precision}, seed ${o.seed}\ndata: ${d.description}\n${(flops / 1e9).toFixed(3)} GFLOP per step` + defaults;
}

async function runDoctor(o: DemoOptions, statuses: readonly BackendStatus[], io: CliIO): Promise<number> {
  const d = doctorReport(statuses);
  io.stdout.write(o.json ? `${JSON.stringify(d, null, 2)}\n` : `${formatDoctor(d)}\n`);
  return 0;
}

/** Epochs a software renderer gets when it was not named explicitly. */
const SOFTWARE_EPOCHS = 2;

/** SwiftShader, llvmpipe and lavapipe are Vulkan/GL drivers that compute on the CPU. */
export function isSoftwareDevice(device: string | undefined): boolean {
  return /swiftshader|llvmpipe|lavapipe|software/i.test(device ?? '');
}

/** Runs the demo with `argv` (without node and the script). */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const out = (s: string): void => void io.stdout.write(`${s}\n`);
  let o: DemoOptions;
  let statuses: BackendStatus[];
  let run: BackendStatus[];
  let skippedStatus: BackendStatus[];
  try {
    o = parseDemoArgs(argv);
    if (o.help) {
      out(USAGE);
      return 0;
    }
    statuses = await backendStatuses(io.importer);
    if (o.command === 'doctor') return await runDoctor(o, statuses, io);
    ({ run, skipped: skippedStatus } = selectBackends(statuses, o.backends));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`error: ${err.message}\nRun 'pnpm demo -- --help' for the options.\n`);
    return 2;
  }
  const skipped: SkippedBackend[] = skippedStatus.map((s) => ({ name: s.name, reason: s.reason ?? 'unavailable' }));
  if (!run.length) {
    io.stderr.write(`error: none of the chosen backends can run here:\n${skipped.map((s) => `  ${s.name}: ${s.reason}`).join('\n')}\n`);
    return 1;
  }
  const data = loadDataset(o.dataset, o.samples, o.seed);
  const nTrain = data.split.xTrain.shape[0]!;
  const batchRows = o.batch === 0 || o.batch >= nTrain ? nTrain : o.batch;
  const flops = stepFlops(batchRows, data.features, o.hidden, CLASSES);
  const note = datasetNote(data);
  if (!o.json) out(`${header(o, data, flops, nTrain)}\n${note}\n`);

  const view = createProgressView(io.stdout, o.json);
  // A software renderer (SwiftShader) runs the full-size model ~100× slower than the CPU: when
  // it was not named explicitly it is timed over a few epochs, and the output says so.
  const epochsOf = (b: BackendStatus) => (o.backends === 'all' && isSoftwareDevice(b.device) ? Math.min(o.epochs, SOFTWARE_EPOCHS) : o.epochs);
  const bars = new Map(run.map((b) => [b.name, view.bar(b.name, Math.floor(nTrain / batchRows) * epochsOf(b))]));
  const results: ExperimentResult[] = [];
  for (const b of run) {
    const bar = bars.get(b.name)!;
    if (epochsOf(b) < o.epochs) view.log(`${b.name}: runs on a software renderer here (${b.device}); timed over ${epochsOf(b)} of ${o.epochs} epochs (name it with --backend to run them all)`);
    try {
      const r = await runExperiment(data.split, {
        backend: b.name, hidden: o.hidden, epochs: epochsOf(b), batch: o.batch, precision: o.precision, seed: o.seed, logEvery: o.logEvery,
        ...(data.name === 'mnist' ? { schedule: 'cosine', augment: (x, seed) => shiftDigits(x, seed, MNIST_SHIFT) } : {}),
      }, (p) => bar.update(p));
      results.push(r);
      bar.done(`done: ${r.msPerStep.toFixed(1)} ms/step`);
      if (r.precision !== o.precision) view.log(`${b.name}: --precision ${o.precision} is not offered by this backend (it has ${b.precisions?.join(', ') ?? 'fp32'}); it ran in ${r.precision}`);
    } catch (err) {
      bar.done('failed');
      skipped.push({ name: b.name, reason: `failed while training: ${(err as Error).message}` });
    }
  }
  view.stop();

  let sweep: SweepResult | undefined;
  if (o.sweep && results.length) {
    if (!o.json) out(`\nsweep: one step at batch sizes ${SWEEP_BATCHES.join(', ')} on ${results.map((r) => r.backend).join(', ')}`);
    sweep = await runSweep({ backends: results.map((r) => r.backend), features: data.features, hidden: o.hidden, batches: SWEEP_BATCHES, precision: o.precision, seed: o.seed },
      (backend, batch, ms) => { if (!o.json) out(`  ${backend.padEnd(6)} batch ${String(batch).padStart(4)}: ${ms.toFixed(1)} ms/step`); });
  }

  const report = buildRunReport({
    dataset: { name: data.name, description: data.description, features: data.features, train: nTrain, test: data.split.xTest.shape[0]! },
    config: { epochs: o.epochs, batch: o.batch, hidden: o.hidden, precision: o.precision, seed: o.seed, learningRate: LEARNING_RATE },
    flopsPerStep: flops, note, results, skipped, sweep,
  });
  if (o.json) {
    out(JSON.stringify(report, null, 2));
  } else {
    out(`\n${resultsTable(results, skipped)}`);
    if (sweep) out(`\n${sweepTable(sweep)}`);
    const cpu = results.find((r) => r.backend === 'cpu');
    if (cpu && o.dataset === 'seed' && o.epochs < 100) {
      const perEpoch = cpu.totalMs / o.epochs;
      out(`\nThe full seed experiment (--epochs 100) would take about ${duration(perEpoch * 100)} on the cpu backend here.`);
    }
    if (o.dataset === 'seed') out(`Test accuracy stays near chance (${(100 / CLASSES).toFixed(0)}%) by construction: the labels are random.`);
  }
  if (o.report !== undefined) {
    const file = resolve(o.report);
    writeFileSync(file, renderReport(report));
    (o.json ? io.stderr : io.stdout).write(`report written to ${file}\n`);
  }
  return results.length ? 0 : 1;
}
