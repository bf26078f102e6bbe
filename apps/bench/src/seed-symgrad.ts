/**
 * symgrad's side of the seed workload: the training step (O2 and O0), the forward pass,
 * and the sweep over batch sizes and hidden widths — all on the cpu backend.
 */
import { T, fn, NDArray, getBackend, setBackend, type Variable, type CompiledFunction, type FunctionStats, type OptLevel } from '@symgrad/core';
import '@symgrad/backend-cpu';
import { forwardFlops, stepFlops, type RepeatPolicy, type Runnable } from './harness.js';
import { SEED, type MlpData, type MlpShape } from './data.js';
import { seedGraph } from './seed-graph.js';

/** The cpu backend's device string; it names a native addon when one loaded. */
export async function cpuDevice(): Promise<string> {
  setBackend('cpu');
  return (await getBackend('cpu')).capabilities.device;
}

/** Whether the cpu backend runs on something other than its TypeScript kernels. */
export function isNative(device: string): boolean {
  return !/typescript|javascript/i.test(device);
}

export interface Built {
  readonly train: CompiledFunction<Variable>;
  readonly forward: CompiledFunction<Variable>;
  readonly x: NDArray;
  readonly y: NDArray;
}

/** The seed MLP's train and forward functions on symgrad cpu at one optimizer level. */
export function build(d: MlpData, level: OptLevel): Built {
  const { rows, features } = d.shape;
  setBackend('cpu');
  const x = T.matrix('x');
  const y = T.ivector('y');
  const g = seedGraph(d, x, y);
  const train = fn([x, y], g.loss, { optimizer: level, updates: g.updates });
  const forward = fn([x], g.yPred, { optimizer: level });
  return { train, forward, x: new NDArray('float32', [rows, features], d.x), y: new NDArray('int32', [rows], d.y) };
}

function statsNote(s: FunctionStats, firstMs: number): string {
  const compile = s.passes.reduce((t, p) => t + p.ms, 0);
  return `${s.kernels} kernels, ${(s.bytesMoved / 1e6).toFixed(0)} MB moved, peak intermediates ${(s.peakIntermediateBytes / 1e6).toFixed(1)} MB, ` +
    `compile ${compile.toFixed(0)} ms, first call ${firstMs.toFixed(0)} ms`;
}

/** The seed training step on symgrad cpu at one optimizer level, compiled and run once. */
export async function prepareSeedStep(d: MlpData, level: OptLevel, peer: string, policy: RepeatPolicy, group = 'seed', item = 'seed step'): Promise<Runnable> {
  const b = build(d, level);
  const t0 = performance.now();
  const first = (await b.train(b.x, b.y)).item();
  const firstMs = performance.now() - t0;
  if (!Number.isFinite(first)) throw new Error(`${item} on ${peer}: the first loss is ${first}`);
  const { rows, features, hidden, classes } = d.shape;
  return {
    group, item, peer, policy, flops: stepFlops(rows, features, hidden, classes), note: statsNote(b.train.stats(), firstMs),
    run: () => b.train(b.x, b.y),
    dispose: () => { b.train.dispose(); b.forward.dispose(); },
  };
}

/** The seed MLP's forward pass (x → softmax probabilities) on symgrad cpu, compiled and run once. */
export async function prepareForward(d: MlpData, level: OptLevel, peer: string, policy: RepeatPolicy): Promise<Runnable> {
  const b = build(d, level);
  const t0 = performance.now();
  await b.forward(b.x);
  const firstMs = performance.now() - t0;
  const { rows, features, hidden, classes } = d.shape;
  return {
    group: 'forward', item: forwardItem(rows), peer, policy, flops: forwardFlops(rows, features, hidden, classes), note: statsNote(b.forward.stats(), firstMs),
    run: () => b.forward(b.x),
    dispose: () => { b.train.dispose(); b.forward.dispose(); },
  };
}

export const forwardItem = (rows: number): string => `forward ${rows} rows`;

/** Shapes of the sweep: batch sizes at the seed width, then widths at the seed batch. */
export function sweepShapes(quick: boolean): MlpShape[] {
  const sizes = quick ? [32, 256, 1024] : [32, 64, 128, 256, 512, 1024, 2048, 4096];
  const widths = quick ? [32, 256, 1024] : [32, 64, 128, 256, 512, 1024, 2048, 4096];
  const out: MlpShape[] = [];
  for (const rows of sizes) out.push({ rows, features: SEED.features, hidden: SEED.hidden, classes: SEED.classes });
  for (const hidden of widths) out.push({ rows: SEED.rows, features: SEED.features, hidden, classes: SEED.classes });
  return out;
}

export function sweepItem(s: MlpShape): string {
  return `batch ${s.rows}, hidden ${s.hidden}`;
}
