import type { Backend, DeviceBuffer, Executable } from '../backend/backend.js';
import { atSite } from '../ir/call-site.js';
import { GraphError } from '../ir/graph.js';
import { isFloat, type TypedArray } from '../ir/dtype.js';
import type { KernelSource } from '../lower/passes/draft.js';
import { kernelViews, type Program, type View } from '../lower/program.js';

/** Accumulated time per kernel of a profiled function. */
export interface KernelProfile {
  readonly index: number;
  readonly label: string;
  readonly ops: string;
  calls: number;
  totalMs: number;
  /** Set on a device-clock profile where the backend computes this kernel inside another kernel's launch (its index): this kernel's time counts there. */
  inside?: number;
}

function* viewOffsets(v: View): Generator<number> {
  const n = v.shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(v.shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    yield idx.reduce((o, x, d) => o + x * v.strides[d]!, v.offset);
    for (let d = v.shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < v.shape[d]!) break;
      idx[d] = 0;
    }
  }
}

function statistics(data: TypedArray, v: View): string {
  let min = Infinity, max = -Infinity, sum = 0, n = 0, nan = 0, inf = 0;
  for (const o of viewOffsets(v)) {
    const x = data[o]!;
    if (Number.isNaN(x)) nan++;
    else if (!Number.isFinite(x)) inf++;
    else { min = Math.min(min, x); max = Math.max(max, x); sum += x; n++; }
  }
  return `min ${n ? min : 'n/a'}, max ${n ? max : 'n/a'}, mean ${n ? sum / n : 'n/a'}, NaN ${nan}, Inf ${inf}`;
}

/**
 * Which clock a profile's times come from: the device's own (`Executable.runTimed`: timestamp
 * queries, events), or the host's, each kernel run alone and waited for, so a GPU kernel's
 * time then includes its launch and the read-back round trip.
 */
export type ProfileClock = 'device' | 'host';

/**
 * Runs a Program for debug mode (one kernel at a time, each compiled on its own, with a
 * NaN/Inf check after every kernel that names the first offending op, its inputs' statistics
 * and the user's call site) and profile mode (time per kernel: from the device's clock where
 * the whole Program's executable has `runTimed`, else from the host, one kernel at a time,
 * waiting for each).
 */
export class InstrumentedRun {
  private stepsCompiled: Executable[] | undefined;
  readonly profile: KernelProfile[];
  clock: ProfileClock = 'host';

  constructor(
    private readonly backend: Backend, private readonly program: Program, private readonly sources: readonly (readonly KernelSource[])[],
    private readonly precision: 'fp32' | 'tf32', private readonly whole?: Executable,
  ) {
    this.profile = program.kernels.map((k, i) => ({ index: i, label: k.label, ops: sources[i]!.map((s) => s.op).join('+'), calls: 0, totalMs: 0 }));
  }

  /** One executable per kernel, compiled on first need (a device-timed profile never needs them). */
  private get steps(): Executable[] {
    this.stepsCompiled ??= this.program.kernels.map((k) => this.backend.compile({ buffers: this.program.buffers, kernels: [k] }, { precision: this.precision }));
    return this.stepsCompiled;
  }

  async run(table: readonly DeviceBuffer[], opts: { debug: boolean; profile: boolean }): Promise<void> {
    if (opts.profile && !opts.debug && this.whole?.runTimed) {
      const ms = await this.whole.runTimed(table);
      if (ms.length !== this.profile.length) throw new Error(`profile mode: backend '${this.backend.name}' timed ${ms.length} kernels of a Program with ${this.profile.length}`);
      ms.forEach((t, i) => { this.profile[i]!.totalMs += t; this.profile[i]!.calls++; });
      for (const [i, host] of this.whole.computedInside ?? []) if (this.profile[i]) this.profile[i]!.inside = host;
      this.clock = 'device';
      return;
    }
    for (const [i, step] of this.steps.entries()) {
      if (step.ready) await step.ready;
      const kernel = this.program.kernels[i]!;
      const { reads, writes } = kernelViews(kernel);
      const t0 = performance.now();
      step.run(table);
      if (opts.profile) {
        await this.backend.read(table[writes[0]!.buffer]!);
        this.profile[i]!.totalMs += performance.now() - t0;
        this.profile[i]!.calls++;
      }
      if (opts.debug) await this.check(i, table, reads, writes);
    }
  }

  private async check(i: number, table: readonly DeviceBuffer[], reads: View[], writes: View[]): Promise<void> {
    for (const w of writes) {
      if (!isFloat(this.program.buffers[w.buffer]!.dtype)) continue;
      const data = await this.backend.read(table[w.buffer]!);
      let bad = -1;
      let k = 0;
      for (const o of viewOffsets(w)) {
        if (!Number.isFinite(data[o]!)) { bad = k; break; }
        k++;
      }
      if (bad < 0) continue;
      const src = this.sources[i]!;
      const kind = Number.isNaN(data[[...viewOffsets(w)][bad]!]!) ? 'NaN' : 'Inf';
      const where = src.map((s) => `${s.op}${atSite(s.site)}`).join(', then ');
      const stats = await Promise.all(reads.map(async (r, j) => `  input ${j}: ${statistics(await this.backend.read(table[r.buffer]!), r)}`));
      throw new GraphError(`debug mode: kernel #${i} [${this.program.kernels[i]!.label}] produced ${kind} at element ${bad} of its output; it computes ${where}\n${stats.join('\n')}`);
    }
  }

  dispose(): void {
    for (const s of this.stepsCompiled ?? []) s.dispose();
  }
}

/**
 * A table of time per kernel and per source op, slowest first; a kernel the backend computes
 * inside another's launch shows `in #j` for its share (its time counts in kernel j's row);
 * with `clock`, a last line says where the times come from. `f.profile().table` is this
 * table; call it yourself to format rows you changed, e.g. without the warm-up call.
 *
 * @example
 * ```ts
 * const f = fn([x, y], loss, { updates, profile: true });
 * await f(X, Y); // compiles and warms up
 * const warm = f.profile().kernels.map((r) => ({ ...r }));
 * for (let i = 0; i < 10; i++) await f(X, Y);
 * const { kernels, clock } = f.profile();
 * console.log(formatProfile(kernels.map((r, i) => ({ ...r, calls: r.calls - warm[i]!.calls, totalMs: r.totalMs - warm[i]!.totalMs })), clock));
 * ```
 */
export function formatProfile(rows: readonly KernelProfile[], clock?: ProfileClock): string {
  const total = rows.reduce((a, r) => a + r.totalMs, 0) || 1;
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(6)} ${b.padEnd(48)} ${c.padStart(10)} ${d.padStart(7)}`;
  const kernels = [...rows].sort((a, b) => b.totalMs - a.totalMs).map((r) =>
    line(`#${r.index}`, r.label.slice(0, 48), (r.totalMs / Math.max(r.calls, 1)).toFixed(3), r.inside !== undefined ? `in #${r.inside}` : `${((100 * r.totalMs) / total).toFixed(1)}%`));
  const byOp = new Map<string, number>();
  for (const r of rows) for (const op of r.ops.split('+')) byOp.set(op, (byOp.get(op) ?? 0) + r.totalMs / r.ops.split('+').length);
  const ops = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => line('', op, (ms / Math.max(rows[0]?.calls ?? 1, 1)).toFixed(3), `${((100 * ms) / total).toFixed(1)}%`));
  const inside = rows.some((r) => r.inside !== undefined) ? ['', '"in #j": the backend computes the kernel inside kernel j\'s launch, where its time is counted'] : [];
  const note = clock === 'device'
    ? ['', 'times from the device\'s clock (timestamps or events), the kernels run one after another']
    : clock === 'host' ? ['', 'times from the host\'s clock, each kernel run alone and waited for (a GPU kernel\'s includes its launch and read-back)'] : [];
  return [line('kernel', 'label', 'ms/call', 'share'), ...kernels, '', line('', 'source op (time split among fused ops)', 'ms/call', 'share'), ...ops, ...inside, ...note].join('\n');
}
