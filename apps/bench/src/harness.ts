/**
 * The timing harness: each peer warms up, then the peers of an item take turns at timed
 * repetitions within their time budgets; and the statistics reported (median, min, max,
 * ratios, GFLOP/s).
 */

/** One benchmark's outcome: timings in milliseconds, or why it did not run. */
export interface Result {
  /** Group the row belongs to in the report: 'seed', 'forward', 'kernel', 'sweep'. */
  readonly group: string;
  /** What was measured, e.g. 'seed step' or 'sgemm 800×1000×1000'. */
  readonly item: string;
  /** Who ran it, e.g. 'symgrad cpu O2' or 'tfjs-wasm 4.22'. */
  readonly peer: string;
  /** Floating-point operations of one repetition (0 when not meaningful). */
  readonly flops: number;
  /** Timed repetitions in ms (empty when skipped or failed). */
  readonly times: readonly number[];
  /** Median of `times` in ms; undefined when there are none. */
  readonly medianMs?: number;
  readonly minMs?: number;
  readonly maxMs?: number;
  /** Why there are no times: 'not installed', the error message, 'skipped under --quick'. */
  readonly skipped?: string;
  /** Anything else worth a footnote (thread count, device, first-call ms). */
  readonly note?: string;
}

/** How many repetitions to take, and how long to keep taking them. */
export interface RepeatPolicy {
  /** Untimed runs first (JIT warm-up, compilation, caches). */
  readonly warmup: number;
  /** Timed runs at least (unless the budget is spent after the minimum). */
  readonly minReps: number;
  /** Timed runs at most. */
  readonly maxReps: number;
  /** Stop taking more runs once this many ms of timed runs have passed (after minReps). */
  readonly budgetMs: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** GFLOP/s of `flops` done in `ms` milliseconds (NaN when either is not positive). */
export function gflops(flops: number, ms: number | undefined): number {
  if (ms === undefined || !(ms > 0) || !(flops > 0)) return Number.NaN;
  return flops / ms / 1e6;
}

/** How many times slower `ms` is than `baseMs` (>1: slower than the base). */
export function ratio(ms: number | undefined, baseMs: number | undefined): number {
  if (ms === undefined || baseMs === undefined || !(ms > 0) || !(baseMs > 0)) return Number.NaN;
  return ms / baseMs;
}

/** Builds a Result from timed repetitions. */
export function summarize(base: Omit<Result, 'times' | 'medianMs' | 'minMs' | 'maxMs'>, times: readonly number[]): Result {
  if (times.length === 0) return { ...base, times: [] };
  return { ...base, times: [...times], medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) };
}

/** A Result for something that did not run, with the reason. */
export function skippedResult(group: string, item: string, peer: string, flops: number, reason: string): Result {
  return { group, item, peer, flops, times: [], skipped: reason };
}

/**
 * One peer's side of one item, ready to run: `run` does one repetition and may return its
 * own measured ms (a child process that times itself); otherwise it is timed here.
 */
export interface Runnable {
  readonly group: string;
  readonly item: string;
  readonly peer: string;
  readonly flops: number;
  readonly policy: RepeatPolicy;
  readonly note?: string;
  run(): unknown;
  dispose?(): unknown;
}

/**
 * Measures several peers of one item together: each warms up, then they take turns a
 * repetition at a time (the order rotating every round), so that a change in the machine's
 * load (other work on a shared machine) hits every peer alike. A peer leaves the rounds when
 * its own policy is satisfied; a failure ends that peer's rows with the reason.
 */
export async function interleave(runnables: readonly Runnable[]): Promise<Result[]> {
  const state = runnables.map((r) => ({ r, times: [] as number[], spent: 0, error: undefined as string | undefined }));
  const once = async (r: Runnable): Promise<number> => {
    const t0 = performance.now();
    const own = await r.run();
    const ms = performance.now() - t0;
    return typeof own === 'number' && Number.isFinite(own) ? own : ms;
  };
  for (const s of state) {
    try {
      for (let i = 0; i < s.r.policy.warmup; i++) await once(s.r);
    } catch (err) {
      s.error = `failed: ${reason(err)}`;
    }
  }
  const active = (s: (typeof state)[number]): boolean => s.error === undefined &&
    s.times.length < s.r.policy.maxReps && (s.times.length < s.r.policy.minReps || s.spent < s.r.policy.budgetMs);
  for (let round = 0; state.some(active); round++) {
    const order = state.map((_, i) => state[(i + round) % state.length]!);
    for (const s of order) {
      if (!active(s)) continue;
      try {
        const ms = await once(s.r);
        s.times.push(ms);
        s.spent += ms;
      } catch (err) {
        s.error = `failed: ${reason(err)}`;
      }
    }
  }
  const out: Result[] = [];
  for (const s of state) {
    try { await s.r.dispose?.(); } catch { /* nothing to keep */ }
    const base = { group: s.r.group, item: s.r.item, peer: s.r.peer, flops: s.r.flops, ...(s.r.note ? { note: s.r.note } : {}) };
    out.push(s.error && s.times.length === 0 ? { ...base, times: [], skipped: s.error } : summarize(s.error ? { ...base, note: `${base.note ?? ''} (stopped: ${s.error})` } : base, s.times));
  }
  return out;
}

/** Prepares a peer's runnable; a failure to prepare becomes a skipped row. */
export async function prepared(group: string, item: string, peer: string, flops: number, prepare: () => Promise<Runnable>): Promise<Runnable | Result> {
  try {
    return await prepare();
  } catch (err) {
    return skippedResult(group, item, peer, flops, `failed: ${reason(err)}`);
  }
}

/** The message of anything thrown, on one line. */
export function reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const line = msg.split('\n').find((l) => l.trim() !== '') ?? msg;
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** FLOPs of one seed-style training step: forward 2·n·(f·h + h·h + h·c), backward twice the dW and dX GEMMs less the first layer's dX. */
export function stepFlops(n: number, f: number, h: number, c: number): number {
  const fwd = 2 * n * (f * h + h * h + h * c);
  // dW for all three layers, dX for layers 2 and 3 (no gradient to x).
  const bwd = 2 * n * (f * h + h * h + h * c) + 2 * n * (h * h + h * c);
  return fwd + bwd;
}

/** FLOPs of the seed MLP's forward pass. */
export function forwardFlops(n: number, f: number, h: number, c: number): number {
  return 2 * n * (f * h + h * h + h * c);
}
