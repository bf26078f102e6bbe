/** Command-line options of the benchmark, parsed with Node's built-in `util.parseArgs`. */
import { parseArgs } from 'node:util';
import type { RepeatPolicy } from './harness.js';

/** Sections of the run; `--only` takes these and peer names, comma-separated. */
export const SECTIONS = ['seed', 'forward', 'kernels', 'webgl', 'sweep'] as const;
export type Section = (typeof SECTIONS)[number];

/**
 * Peers; `symgrad` covers every symgrad variant (O2, O0, native and TypeScript paths);
 * `gpujs` is symgrad's gpujs backend (gpu.js webasm mode in Node on a reduced seed step, and
 * WebGL2 in the webgl section); `tfjs-webgl` is tfjs-backend-webgl in the webgl section.
 */
export const PEERS = ['symgrad', 'tfjs-wasm', 'tfjs-cpu', 'onnx', 'numpy', 'torch', 'gpujs', 'tfjs-webgl'] as const;
export type Peer = (typeof PEERS)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly sweep: boolean;
  /** Sections to run (all but 'sweep' by default; 'sweep' with --sweep or --only sweep). */
  readonly sections: ReadonlySet<Section>;
  /** Peers to run (all by default). */
  readonly peers: ReadonlySet<Peer>;
  /** Where results.json and BENCHMARKS.md go (the repository's docs/ by default). */
  readonly docsDir: string | undefined;
  /** Don't write any files; print only. */
  readonly noWrite: boolean;
  /** Measure nothing: rewrite docs/BENCHMARKS.md from the saved results-*.json. */
  readonly render: boolean;
  /** Internal: run as a child (symgrad only) and write the results as JSON to this path. */
  readonly childOut: string | undefined;
  /** --only was given: the run covers part of the benchmark. */
  readonly partial: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: pnpm bench [options]     (or: node apps/bench/dist/main.js [options])

Times the seed step (MLP 1000 → 1000 → 1000 → 10, 800 rows, SGD; ~8.05 GFLOP) on symgrad's
cpu backend and on its peers (tfjs-wasm, tfjs-cpu, numpy, PyTorch), the forward pass
(symgrad vs onnxruntime-node, tfjs-wasm, numpy) and kernels (sgemm, elementwise, softmax, dropout, an embedding step, LSTM, transformer encoder and decoder steps),
in one invocation; the gpujs backend (gpu.js's webasm mode in Node) runs a reduced seed step
beside symgrad cpu at the same shape; in headless Chromium (WebGL2, SwiftShader without a GPU)
symgrad's gpujs backend and tfjs-webgl run a reduced seed step and kernels in one page. Reports medians, ratios against symgrad and GFLOP/s, and writes
docs/bench/results.json and docs/BENCHMARKS.md.

Options:
  --quick          fewer repetitions, smaller kernel set and sweep, no tfjs-cpu (< 3 minutes)
  --sweep          also time the seed step across batch sizes and hidden widths (symgrad cpu)
  --only NAMES     comma-separated sections (${SECTIONS.join(', ')})
                   and/or peers (${PEERS.join(', ')})
  --docs DIR       write results under DIR instead of the repository's docs/
  --no-write       print the table only
  --render         measure nothing: rewrite BENCHMARKS.md from docs/bench/results-*.json
  -h, --help       print this help`;

/** A command line the benchmark cannot run; the message says what is wrong. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses the benchmark's arguments (without the `node` and script entries).
 *
 * @example
 * ```ts
 * parseBenchArgs(['--quick', '--only', 'seed,numpy']).peers; // Set { 'numpy' }
 * ```
 */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // `pnpm bench -- --quick` hands the '--' on to the script; drop it.
      args: argv[0] === '--' ? argv.slice(1) : [...argv],
      options: {
        quick: { type: 'boolean' },
        sweep: { type: 'boolean' },
        only: { type: 'string' },
        docs: { type: 'string' },
        'no-write': { type: 'boolean' },
        render: { type: 'boolean' },
        'child-out': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const names = typeof values['only'] === 'string'
    ? values['only'].split(',').map((s) => s.trim()).filter((s) => s !== '')
    : [];
  if (values['only'] !== undefined && names.length === 0) throw new UsageError('--only needs at least one name');
  const sections = new Set<Section>();
  const peers = new Set<Peer>();
  for (const n of names) {
    if ((SECTIONS as readonly string[]).includes(n)) sections.add(n as Section);
    else if ((PEERS as readonly string[]).includes(n)) peers.add(n as Peer);
    else throw new UsageError(`--only: unknown name '${n}' (sections: ${SECTIONS.join(', ')}; peers: ${PEERS.join(', ')})`);
  }
  const sweep = values['sweep'] === true || sections.has('sweep');
  if (sections.size === 0) for (const s of SECTIONS) if (s !== 'sweep') sections.add(s);
  if (sweep) sections.add('sweep');
  if (peers.size === 0) for (const p of PEERS) peers.add(p);
  return {
    quick: values['quick'] === true,
    sweep,
    sections,
    peers,
    docsDir: values['docs'] as string | undefined,
    noWrite: values['no-write'] === true,
    render: values['render'] === true,
    childOut: values['child-out'] as string | undefined,
    partial: names.length > 0,
    help: values['help'] === true,
  };
}

/** Repetition policies per kind of item: fast items repeat more; the slow peers barely. */
export interface Policies {
  /** symgrad, numpy, torch, onnx: ~10 ms … 1 s a run. */
  readonly fast: RepeatPolicy;
  /** tfjs-wasm: seconds a step. */
  readonly slow: RepeatPolicy;
  /** tfjs-cpu: ~14 s a step — one or two repetitions. */
  readonly glacial: RepeatPolicy;
  /** One sweep point. */
  readonly sweep: RepeatPolicy;
}

export function policies(quick: boolean): Policies {
  return quick
    ? {
      // The first call (compilation, first run) already happened while preparing: no warm-up.
      fast: { warmup: 0, minReps: 3, maxReps: 10, budgetMs: 1_500 },
      slow: { warmup: 0, minReps: 2, maxReps: 2, budgetMs: 0 },
      glacial: { warmup: 0, minReps: 1, maxReps: 1, budgetMs: 0 },
      sweep: { warmup: 0, minReps: 2, maxReps: 5, budgetMs: 600 },
    }
    : {
      fast: { warmup: 1, minReps: 7, maxReps: 30, budgetMs: 6_000 },
      slow: { warmup: 0, minReps: 3, maxReps: 5, budgetMs: 10_000 },
      glacial: { warmup: 0, minReps: 2, maxReps: 2, budgetMs: 0 },
      sweep: { warmup: 1, minReps: 3, maxReps: 10, budgetMs: 2_000 },
    };
}
