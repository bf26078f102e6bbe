/**
 * TensorFlow.js 4.22 peers: tfjs-backend-wasm (SIMD; one thread in Node) and
 * tfjs-backend-cpu (plain JavaScript). The seed step is the same MLP as symgrad's, with
 * tf.variable weights, softmax, mean categorical cross-entropy against the labels (one-hot
 * once, outside the step) and tf.train.sgd(0.1).minimize. Kernels: tf.matMul with the
 * transpose flags, the elementwise chain, tf.softmax, tf.dropout, an embedding step
 * (tf.gather of a tf.variable table, minimized by tf.train.sgd) and an LSTM step
 * (tf.layers.lstm's weights, minimized by tf.train.sgd).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { forwardFlops, stepFlops, type RepeatPolicy, type Runnable } from '../harness.js';
import { uniformF32, type MlpData } from '../data.js';
import { EMBEDDING_LR, embeddingOperands, kernelFlops, kernelInputShapes, LSTM_LR, lstmOperands, type KernelSpec } from '../kernels.js';
import { tfjsPeerName, type TfBackend } from './tfjs-name.js';
import { tfjsSeedStep } from './tfjs-seed-step.js';

type Tf = typeof import('@tensorflow/tfjs');

const require = createRequire(import.meta.url);
let loaded: Promise<{ tf: Tf; version: string }> | undefined;

/** The directory holding tfjs-backend-wasm's .wasm binaries (they ship in the npm package). */
export function wasmDir(): string {
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

async function load(): Promise<{ tf: Tf; version: string }> {
  loaded ??= (async () => {
    // The umbrella registers the gradients and the cpu backend; the wasm package adds 'wasm'.
    const tfMod = (await import('@tensorflow/tfjs')) as unknown as Tf & { default?: Tf };
    const tf = (tfMod.default ?? tfMod) as Tf;
    const wasmMod = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as {
      setWasmPaths?: (p: string) => void; default?: { setWasmPaths: (p: string) => void };
    };
    const setWasmPaths = wasmMod.setWasmPaths ?? wasmMod.default?.setWasmPaths;
    if (!setWasmPaths) throw new Error('@tensorflow/tfjs-backend-wasm has no setWasmPaths');
    setWasmPaths(wasmDir());
    // 'webgl' registers too but cannot start in Node; keep tfjs from trying it first.
    try { tf.removeBackend('webgl'); } catch { /* not registered */ }
    return { tf, version: tf.version.tfjs };
  })();
  return loaded;
}

/** Switches tfjs to `backend`; throws with tfjs's reason when it cannot start. */
async function use(backend: TfBackend): Promise<{ tf: Tf; version: string }> {
  const l = await load();
  const ok = await l.tf.setBackend(backend);
  if (!ok || l.tf.getBackend() !== backend) throw new Error(`tfjs backend '${backend}' did not initialize`);
  await l.tf.ready();
  return l;
}


function wasmNote(tf: Tf, backend: TfBackend): string {
  if (backend !== 'wasm') return 'plain JavaScript kernels';
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  return `SIMD ${simd ? 'on' : 'off'}, ${threads ? 'multi-threaded' : '1 thread'}`;
}

/** Makes `backend` current before a run (tfjs has one current backend for all runnables). */
async function current(tf: Tf, backend: TfBackend): Promise<void> {
  if (tf.getBackend() !== backend) await use(backend);
}

/** The seed training step on tfjs (`backend`), run once. */
export async function prepareTfjsSeedStep(d: MlpData, backend: TfBackend, policy: RepeatPolicy): Promise<Runnable> {
  const { tf, version } = await use(backend);
  const { rows, features, hidden, classes } = d.shape;
  const s = tfjsSeedStep(tf, d);
  const dispose = (): void => s.dispose();
  const step = async (): Promise<number> => {
    await current(tf, backend);
    return s.step();
  };
  try {
    const t0 = performance.now();
    const first = await step();
    const firstMs = performance.now() - t0;
    if (!Number.isFinite(first)) throw new Error(`seed step on tfjs-${backend}: the first loss is ${first}`);
    return {
      group: 'seed', item: 'seed step', peer: tfjsPeerName(backend, version), policy, flops: stepFlops(rows, features, hidden, classes),
      note: `${wasmNote(tf, backend)}; first call ${firstMs.toFixed(0)} ms`,
      run: async () => { await step(); },
      dispose,
    };
  } catch (err) {
    dispose();
    throw err;
  }
}

/** The seed MLP's forward pass on tfjs (`backend`), run once. */
export async function prepareTfjsForward(d: MlpData, backend: TfBackend, policy: RepeatPolicy): Promise<Runnable> {
  const { tf, version } = await use(backend);
  const { rows, features, hidden, classes } = d.shape;
  const w1 = tf.tensor2d(d.w1, [features, hidden]);
  const w2 = tf.tensor2d(d.w2, [hidden, hidden]);
  const w3 = tf.tensor2d(d.w3, [hidden, classes]);
  const x = tf.tensor2d(d.x, [rows, features]);
  const dispose = (): void => { for (const t of [w1, w2, w3, x]) t.dispose(); };
  const run = async (): Promise<void> => {
    await current(tf, backend);
    const y = tf.tidy(() => tf.softmax(tf.matMul(tf.relu(tf.matMul(tf.relu(tf.matMul(x, w1)), w2)), w3)));
    y.dataSync();
    y.dispose();
  };
  try {
    await run();
  } catch (err) {
    dispose();
    throw err;
  }
  return {
    group: 'forward', item: `forward ${rows} rows`, peer: tfjsPeerName(backend, version), policy,
    flops: forwardFlops(rows, features, hidden, classes), note: wasmNote(tf, backend), run, dispose,
  };
}

/**
 * One kernel on tfjs (`backend`), result read back each time as symgrad's is; run once. A
 * kernel whose first run takes over a second (tfjs-wasm's transposed matMuls) gets
 * `slowPolicy` instead of `policy`.
 */
export async function prepareTfjsKernel(s: KernelSpec, backend: TfBackend, policy: RepeatPolicy, slowPolicy = policy): Promise<Runnable> {
  if (s.kind === 'embedding') return prepareTfjsEmbedding(s, backend, policy);
  if (s.kind === 'lstm') return prepareTfjsLstm(s, backend, slowPolicy);
  if (s.kind === 'transformer' || s.kind === 'decoder') throw new Error(`${s.name}: tfjs-layers has no attention layer, so tfjs has no transformer step to time`);
  const { tf, version } = await use(backend);
  const inputs = kernelInputShapes(s).map((sh, i) => tf.tensor2d(uniformF32(sh[0]! * sh[1]!, 100 + i), [sh[0]!, sh[1]!]));
  const a = inputs[0]!;
  const body = (): ReturnType<Tf['tensor']> => {
    if (s.kind === 'gemm') return tf.matMul(a, inputs[1]!, s.transA, s.transB);
    if (s.kind === 'elementwise') return tf.add(tf.relu(a), tf.mul(tf.exp(tf.neg(tf.square(a))), 0.5));
    if (s.kind === 'dropout') return tf.dropout(a, s.rate);
    return tf.softmax(a);
  };
  const dispose = (): void => { for (const t of inputs) t.dispose(); };
  const run = async (): Promise<void> => {
    await current(tf, backend);
    const y = tf.tidy(body);
    y.dataSync();
    y.dispose();
  };
  let firstMs: number;
  try {
    const t0 = performance.now();
    await run();
    firstMs = performance.now() - t0;
  } catch (err) {
    dispose();
    throw err;
  }
  const slow = firstMs > 1000;
  return {
    group: 'kernel', item: s.name, peer: tfjsPeerName(backend, version), policy: slow ? slowPolicy : policy, flops: kernelFlops(s),
    note: `${wasmNote(tf, backend)}${slow ? `; first run ${(firstMs / 1000).toFixed(1)} s, so fewer repetitions` : ''}`, run, dispose,
  };
}

/** The embedding step on tfjs: Σ gather(table, ids) · rowGrad minimized by SGD, the loss read back each run. */
async function prepareTfjsEmbedding(s: Extract<KernelSpec, { kind: 'embedding' }>, backend: TfBackend, policy: RepeatPolicy): Promise<Runnable> {
  const { tf, version } = await use(backend);
  const o = embeddingOperands(s);
  const table = tf.variable(tf.tensor2d(o.table, [s.vocab, s.dim]), true, 'table');
  const ids = tf.tensor1d(o.ids, 'int32');
  const rowGrad = tf.tensor2d(o.rowGrad, [s.tokens, s.dim]);
  return sgdKernel(tf, version, backend, s, policy, EMBEDDING_LR, () => tf.sum(tf.mul(tf.gather(table, ids), rowGrad)), () => {
    for (const t of [table, ids, rowGrad]) t.dispose();
  });
}

/**
 * A kernel row that minimizes `loss` by one tf.train.sgd step a run, the loss read back; run
 * once here (a failure frees everything). `free` releases the operands.
 */
async function sgdKernel(tf: Tf, version: string, backend: TfBackend, s: KernelSpec, policy: RepeatPolicy, lr: number, loss: () => ReturnType<Tf['tensor']>, free: () => void): Promise<Runnable> {
  const opt = tf.train.sgd(lr);
  const dispose = (): void => {
    opt.dispose();
    free();
  };
  const run = async (): Promise<void> => {
    await current(tf, backend);
    const l = opt.minimize(() => loss() as ReturnType<Tf['scalar']>, true);
    l!.dataSync();
    l!.dispose();
  };
  try {
    await run();
  } catch (err) {
    dispose();
    throw err;
  }
  return { group: 'kernel', item: s.name, peer: tfjsPeerName(backend, version), policy, flops: kernelFlops(s), note: wasmNote(tf, backend), run, dispose };
}

/** The LSTM step on tfjs: Σ lstm(x)_last · outGrad minimized by SGD over the layer's weights, the loss read back each run. */
async function prepareTfjsLstm(s: Extract<KernelSpec, { kind: 'lstm' }>, backend: TfBackend, policy: RepeatPolicy): Promise<Runnable> {
  const { tf, version } = await use(backend);
  const o = lstmOperands(s);
  const x = tf.tensor3d(o.x, [s.batch, s.steps, s.features]);
  const outGrad = tf.tensor2d(o.outGrad, [s.batch, s.units]);
  const layer = tf.layers.lstm({ units: s.units, inputShape: [s.steps, s.features] });
  // Built once outside minimize, so that minimize sees the weights as trainable variables.
  tf.tidy(() => { layer.apply(x); });
  return sgdKernel(tf, version, backend, s, policy, LSTM_LR, () => tf.sum(tf.mul(layer.apply(x) as ReturnType<Tf['tensor2d']>, outGrad)), () => {
    layer.dispose();
    for (const t of [x, outGrad]) t.dispose();
  });
}
