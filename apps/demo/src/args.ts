/** Command-line options of the demo, parsed with Node's built-in `util.parseArgs`. */
import { parseArgs } from 'node:util';

export interface DemoOptions {
  /** Full-batch training steps. */
  readonly epochs: number;
  /** Width of both hidden layers. */
  readonly hidden: number;
  /** Samples of random data, split 80% train / 20% test. */
  readonly samples: number;
  /** Seed of the data and of the initial weights. */
  readonly seed: number;
  /** Print loss and accuracy every this many epochs (and after the first and the last). */
  readonly logEvery: number;
  /** Print the usage and exit. */
  readonly help: boolean;
}

/** Fixed by the seed experiment. */
export const FEATURES = 1000;
export const CLASSES = 10;
export const LEARNING_RATE = 0.1;
export const TRAIN_FRACTION = 0.8;

export const DEFAULTS = { epochs: 10, hidden: 256, samples: 1000, seed: 0 } as const;

export const USAGE = `Usage: pnpm demo [-- options]     (or: node apps/demo/dist/main.js [options])

Trains an MLP ${FEATURES} → hidden → hidden → ${CLASSES} (relu, softmax, mean cross-entropy,
full-batch SGD with learning rate ${LEARNING_RATE}) on random data, on the CPU backend.

Options:
  --epochs N      training steps                          (default ${DEFAULTS.epochs})
  --hidden N      width of both hidden layers             (default ${DEFAULTS.hidden})
  --samples N     random samples, split 80% train / 20% test (default ${DEFAULTS.samples})
  --seed N        seed of the data and the initial weights, 0 … 2147483647 (default ${DEFAULTS.seed})
  --log-every N   print loss and accuracy every N epochs  (default: epochs / 10, at least 1)
  -h, --help      print this help

The full seed experiment: --hidden 1000 --epochs 100 (800 × 1000 inputs, ~8 GFLOP per step).`;

/** A command line the demo cannot run; the message says what is wrong. */
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

/**
 * Parses the demo's arguments (without the `node` and script entries).
 *
 * @example
 * ```ts
 * parseDemoArgs(['--hidden', '1000', '--epochs', '100']);
 * // { epochs: 100, hidden: 1000, samples: 1000, seed: 0, logEvery: 10, help: false }
 * ```
 */
export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        epochs: { type: 'string' },
        hidden: { type: 'string' },
        samples: { type: 'string' },
        seed: { type: 'string' },
        'log-every': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const epochs = integer('epochs', str('epochs'), DEFAULTS.epochs, 1, 1_000_000);
  const hidden = integer('hidden', str('hidden'), DEFAULTS.hidden, 1, 100_000);
  // At least 5 samples, so both the train and the test split hold one.
  const samples = integer('samples', str('samples'), DEFAULTS.samples, 5, 10_000_000);
  const seed = integer('seed', str('seed'), DEFAULTS.seed, 0, 2 ** 31 - 1);
  const logEvery = integer('log-every', str('log-every'), Math.max(1, Math.round(epochs / 10)), 1, 1_000_000);
  return { epochs, hidden, samples, seed, logEvery, help: values.help === true };
}

/** How many of `samples` go to training (the rest are the test set). */
export function trainCount(samples: number): number {
  return Math.min(samples - 1, Math.max(1, Math.round(samples * TRAIN_FRACTION)));
}
