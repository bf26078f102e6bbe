/**
 * The seed step on symgrad's gpujs backend (gpu.js 2.x). In Node gpu.js has no GPU here: it
 * runs in its webasm (or cpu) mode — WebAssembly/JavaScript on one CPU core, ~1 GFLOP/s —
 * so the row uses a reduced shape (the full seed step would take ~10 s a step) and names the
 * mode in its peer name. The item carries a `symgrad cpu O2` row at the same shape, so the
 * ratio column compares the two. Texture pipeline mode only exists in browsers (WebGL2);
 * browser timings are in packages/backend-gpujs/README.md.
 */
import { T, fn, NDArray, getBackend, type CompiledFunction, type Variable } from '@symgrad/core';
import '@symgrad/backend-cpu';
import '@symgrad/backend-gpujs';
import { seedGraph } from '../seed-graph.js';
import { SEED, mlpData, type MlpShape } from '../data.js';
import { prepared, reason, skippedResult, stepFlops, type RepeatPolicy, type Result, type Runnable } from '../harness.js';

/** The reduced seed shape: the seed's features and classes, 128 rows, hidden 256. */
export const GPUJS_SEED_SHAPE: MlpShape = { rows: 128, features: SEED.features, hidden: 256, classes: SEED.classes };

export const gpujsSeedItem = (s: MlpShape = GPUJS_SEED_SHAPE): string => `seed step, reduced: ${s.rows} rows, hidden ${s.hidden}`;

/** The peer name, with the gpu.js mode in it, e.g. 'symgrad gpujs O2 (gpu.js (webasm) in Node)'. */
export async function gpujsPeerName(): Promise<string> {
  const device = (await getBackend('gpujs')).capabilities.device;
  return `symgrad gpujs O2 (${device} in Node)`;
}

/** The seed training step (same graph as seed-symgrad.ts) on `backend`, compiled and run once. */
export async function prepareSeedStepOn(backend: 'gpujs' | 'cpu', peer: string, policy: RepeatPolicy, shape: MlpShape = GPUJS_SEED_SHAPE): Promise<Runnable> {
  const d = mlpData(shape);
  const { rows, features, hidden, classes } = shape;
  const x = T.matrix('x');
  const y = T.ivector('y');
  const g = seedGraph(d, x, y);
  const train: CompiledFunction<Variable> = fn([x, y], g.loss, { backend, updates: g.updates });
  const X = new NDArray('float32', [rows, features], d.x);
  const Y = new NDArray('int32', [rows], d.y);
  const t0 = performance.now();
  const first = (await train(X, Y)).item();
  const firstMs = performance.now() - t0;
  if (!Number.isFinite(first)) throw new Error(`seed step on ${backend}: the first loss is ${first}`);
  return {
    group: 'seed', item: gpujsSeedItem(shape), peer, policy, flops: stepFlops(rows, features, hidden, classes),
    note: `${train.stats().kernels} kernels, first call ${firstMs.toFixed(0)} ms`,
    run: () => train(X, Y),
    dispose: () => {
      train.dispose();
      for (const w of g.weights) w.dispose();
    },
  };
}

/**
 * The item's rows for main.ts: `symgrad cpu O2` and gpujs at the reduced shape, measured
 * together. When gpujs is unavailable its row is skipped with the reason.
 */
export async function gpujsSeedPreps(basePeer: string, fast: RepeatPolicy, slow: RepeatPolicy): Promise<{ item: string; preps: (() => Promise<Runnable | Result>)[] }> {
  const item = gpujsSeedItem();
  const { rows, features, hidden, classes } = GPUJS_SEED_SHAPE;
  const flops = stepFlops(rows, features, hidden, classes);
  let peer = 'symgrad gpujs O2';
  try {
    peer = await gpujsPeerName();
  } catch (err) {
    return { item, preps: [() => Promise.resolve(skippedResult('seed', item, peer, flops, `unavailable: ${reason(err)}`))] };
  }
  return {
    item,
    preps: [
      () => prepared('seed', item, basePeer, flops, () => prepareSeedStepOn('cpu', basePeer, fast)),
      () => prepared('seed', item, peer, flops, () => prepareSeedStepOn('gpujs', peer, slow)),
    ],
  };
}
