/** Command-line options of the demo, parsed with Node's built-in `util.parseArgs`. */
import { parseArgs } from 'node:util';
import { CLASSES, LEARNING_RATE, SEED_FEATURES, TRAIN_FRACTION } from './experiment.js';

export { CLASSES, LEARNING_RATE, TRAIN_FRACTION };
/** Input features of the seed data set. */
export const FEATURES = SEED_FEATURES;

export type DatasetName = 'seed' | 'mnist';
export type PrecisionName = 'fp32' | 'tf32';

/** Backend names the demo knows (whether or not their package is installed). */
export const KNOWN_BACKENDS = ['cpu', 'webgpu', 'cuda', 'gpujs'] as const;
export type BackendName = (typeof KNOWN_BACKENDS)[number];

export interface DemoOptions {
  /** 'run' trains and compares; 'doctor' describes the machine's backends. */
  readonly command: 'run' | 'doctor';
  /** Backends to run; 'all' (the default) means every available one. */
  readonly backends: readonly BackendName[] | 'all';
  readonly dataset: DatasetName;
  /** Training epochs (passes over the training set). */
  readonly epochs: number;
  /** Rows per step; 0 means full batch (the seed experiment). */
  readonly batch: number;
  /** Width of both hidden layers. */
  readonly hidden: number;
  /** Samples of random data, split 80% train / 20% test (seed data set only). */
  readonly samples: number;
  readonly precision: PrecisionName;
  /** Seed of the data, the split and the initial weights. */
  readonly seed: number;
  /** Evaluate accuracy every this many epochs (and after the first and the last). */
  readonly logEvery: number;
  /** Print one JSON document instead of the progress bars and the table. */
  readonly json: boolean;
  /** Write an HTML report to this file. */
  readonly report: string | undefined;
  /** Time one step across batch sizes instead of training. */
  readonly sweep: boolean;
  readonly help: boolean;
}

/**
 * Defaults per data set. Seed: the full experiment (100 epochs of the full model: seconds
 * with the native CPU addon, a few minutes on the TypeScript path at ~2 s per step).
 * MNIST: minibatches, enough epochs for ≥ 96% test accuracy.
 */
export const DEFAULTS = {
  seed: { epochs: 100, hidden: 1000, batch: 0, samples: 1000 },
  mnist: { epochs: 15, hidden: 256, batch: 32, samples: 10_000 },
} as const;

export const SWEEP_BATCHES = [32, 64, 128, 256, 512, 1024, 2048, 4096] as const;

export const USAGE = `Usage: pnpm demo [-- options]           (or: symgrad [options], node apps/demo/dist/main.js [options])
       pnpm demo doctor                 (or: symgrad doctor) — every backend, its device and versions

Trains an MLP features → hidden → hidden → ${CLASSES} (relu, softmax, mean cross-entropy, SGD with
learning rate ${LEARNING_RATE}) on every available backend and compares their speed.

Options:
  --backend NAME    cpu, webgpu, cuda, gpujs or all; repeat or comma-separate  (default all)
  --dataset NAME    seed: ${FEATURES} random features, 10 random classes, 800/200 (default)
                    mnist: 8000/2000 handwritten digits (the 'mnist' package), 784 features
  --epochs N        passes over the training set      (default ${DEFAULTS.seed.epochs} seed, the full experiment; ${DEFAULTS.mnist.epochs} mnist)
  --batch N         rows per step, 0 = full batch     (default 0 seed, ${DEFAULTS.mnist.batch} mnist)
  --hidden N        width of both hidden layers       (default ${DEFAULTS.seed.hidden} seed, ${DEFAULTS.mnist.hidden} mnist)
  --samples N       random samples for --dataset seed (default ${DEFAULTS.seed.samples})
  --precision P     fp32 or tf32 (tf32 where a backend offers it)  (default fp32)
  --seed N          seed of the data and the weights, 0 … 2147483647 (default 0)
  --log-every N     accuracy every N epochs           (default: epochs / 10, at least 1)
  --json            print one JSON document (no progress bars)
  --report FILE     write an HTML report (loss curves, ms/step, sweep) that opens offline
  --sweep           time one step at batch sizes ${SWEEP_BATCHES.join(', ')} on each backend
  -h, --help        print this help

The default is the full seed experiment (800 × 1000 inputs, ~8.04 GFLOP per step); --epochs 20 is a quicker look.`;

/** A command line the demo cannot run; the message says what is wrong. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`--${name} must be an integer, got '${text}'`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function oneOf<V extends string>(name: string, text: string | undefined, allowed: readonly V[], fallback: V): V {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${text}'`);
  }
  return text as V;
}

/** Backend names from repeated or comma-separated --backend values; an unknown one lists the known. */
export function parseBackends(values: readonly string[]): readonly BackendName[] | 'all' {
  const names = values.flatMap((v) => v.split(',')).map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (names.length === 0 || names.includes('all')) return 'all';
  const out: BackendName[] = [];
  for (const n of names) {
    if (!(KNOWN_BACKENDS as readonly string[]).includes(n)) {
      throw new UsageError(`unknown backend '${n}': known backends are ${KNOWN_BACKENDS.join(', ')} (or all)`);
    }
    if (!out.includes(n as BackendName)) out.push(n as BackendName);
  }
  return out;
}

/**
 * Parses the demo's arguments (without the `node` and script entries). A leading `--` (as
 * `pnpm demo -- …` passes it) is ignored.
 *
 * @example
 * ```ts
 * parseDemoArgs(['--epochs', '100']).epochs; // 100
 * parseDemoArgs(['doctor']).command; // 'doctor'
 * ```
 */
export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  const args = argv.filter((a, i) => !(a === '--' && i === 0));
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: {
        backend: { type: 'string', multiple: true },
        dataset: { type: 'string' },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        hidden: { type: 'string' },
        samples: { type: 'string' },
        precision: { type: 'string' },
        seed: { type: 'string' },
        'log-every': { type: 'string' },
        json: { type: 'boolean' },
        report: { type: 'string' },
        sweep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const pos = positionals.filter((p) => p !== '--');
  if (pos.length > 1 || (pos.length === 1 && pos[0] !== 'doctor')) {
    throw new UsageError(`unexpected argument '${pos.find((p) => p !== 'doctor') ?? pos[1]}': the only subcommand is 'doctor'`);
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const dataset = oneOf<DatasetName>('dataset', str('dataset'), ['seed', 'mnist'], 'seed');
  const d = DEFAULTS[dataset];
  const epochs = integer('epochs', str('epochs'), d.epochs, 1, 1_000_000);
  const batch = integer('batch', str('batch'), d.batch, 0, 1_000_000);
  const hidden = integer('hidden', str('hidden'), d.hidden, 1, 100_000);
  // At least 5 samples, so both the train and the test split hold one.
  const samples = integer('samples', str('samples'), d.samples, 5, 10_000_000);
  const precision = oneOf<PrecisionName>('precision', str('precision'), ['fp32', 'tf32'], 'fp32');
  const seed = integer('seed', str('seed'), 0, 0, 2 ** 31 - 1);
  const logEvery = integer('log-every', str('log-every'), Math.max(1, Math.round(epochs / 10)), 1, 1_000_000);
  const report = str('report');
  if (report !== undefined && report.trim() === '') throw new UsageError('--report needs a file name, e.g. --report demo.html');
  return {
    command: pos[0] === 'doctor' ? 'doctor' : 'run',
    backends: parseBackends((values.backend as string[] | undefined) ?? []),
    dataset, epochs, batch, hidden, samples, precision, seed, logEvery,
    json: values.json === true,
    report,
    sweep: values.sweep === true,
    help: values.help === true,
  };
}

/** How many of `samples` go to training (the rest are the test set). */
export function trainCount(samples: number): number {
  return Math.min(samples - 1, Math.max(1, Math.round(samples * TRAIN_FRACTION)));
}
