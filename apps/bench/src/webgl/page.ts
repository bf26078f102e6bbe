/**
 * The WebGL page: a browser bundle (webgl-bench.ts builds it with esbuild and opens it in
 * headless Chromium) that times symgrad's gpujs backend (gpu.js on WebGL2, texture mode) and
 * tfjs-backend-webgl side by side in one page, on the same GPU (or the same software
 * renderer), their repetitions interleaved by the harness's `interleave`. Before timing, each
 * item checks that both peers compute the same thing: the first losses of the seed step, the
 * outputs of the kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { T, fn, getBackend, NDArray, shared, type CompiledFunction, type Variable } from '@symgrad/core';
import { grad } from '@symgrad/autodiff';
import '@symgrad/backend-gpujs';
import { relativeError } from '@symgrad/core/testing/reference';
import { mlpData, uniformF32 } from '../data.js';
import { interleave, type RepeatPolicy, type Result, type Runnable } from '../harness.js';
import { seedGraph } from '../seed-graph.js';
import { tfjsSeedStep } from '../peers/tfjs-seed-step.js';
import { SYMGRAD_WEBGL_PEER, TFJS_WEBGL_PEER, WEBGL_GROUP as GROUP, webglItems, type WebglShapes } from './webgl-items.js';

/** What the page measures: the shapes, the repetitions and which peers. */
export interface WebglConfig extends WebglShapes {
  readonly policy: RepeatPolicy;
  readonly symgrad: boolean;
  readonly tfjs: boolean;
}

/** How far the two peers' results are apart on one item (normwise relative; the seed step's first loss). */
export interface WebglCheck {
  readonly item: string;
  readonly relError: number;
}

export interface WebglReport {
  /** gpu.js's device string ('gpu.js (WebGL2)') and the WebGL renderer (the GPU, or SwiftShader). */
  readonly device: string;
  readonly renderer: string;
  readonly results: readonly Result[];
  readonly checks: readonly WebglCheck[];
  readonly error?: string;
}

function renderer(): string {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return 'no WebGL2';
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/** One item: its two runnables (where wanted) and the check of their first results. */
interface Item {
  readonly runnables: Runnable[];
  readonly check?: WebglCheck;
}

async function seedItem(c: WebglConfig, item: string, flops: number): Promise<Item> {
  const d = mlpData(c.seed);
  const { rows, features } = c.seed;
  const runnables: Runnable[] = [];
  let symgradLoss: number | undefined;
  let tfjsLoss: number | undefined;
  if (c.symgrad) {
    // The batch lives on the backend, as tfjs's tensors do: no upload per step on either side.
    const x = shared(new NDArray('float32', [rows, features], d.x), 'x');
    const y = shared(new NDArray('int32', [rows], d.y), 'y');
    const g = seedGraph(d, x, y);
    const train: CompiledFunction<Variable> = fn([], g.loss, { backend: 'gpujs', updates: g.updates });
    const t0 = performance.now();
    symgradLoss = (await train()).item();
    runnables.push({
      group: GROUP, item, peer: SYMGRAD_WEBGL_PEER, policy: c.policy, flops,
      note: `${train.stats().kernels} kernels, first call ${(performance.now() - t0).toFixed(0)} ms; loss read every step`,
      run: async () => { (await train()).item(); },
      dispose: () => { train.dispose(); for (const w of [...g.weights, x, y]) w.dispose(); },
    });
  }
  if (c.tfjs) {
    const s = tfjsSeedStep(tf, d);
    const t0 = performance.now();
    tfjsLoss = s.step();
    runnables.push({
      group: GROUP, item, peer: TFJS_WEBGL_PEER, policy: c.policy, flops,
      note: `first call ${(performance.now() - t0).toFixed(0)} ms; loss read every step`,
      run: () => { s.step(); },
      dispose: () => s.dispose(),
    });
  }
  const check = symgradLoss !== undefined && tfjsLoss !== undefined ? { item, relError: Math.abs(symgradLoss - tfjsLoss) / Math.abs(tfjsLoss) } : undefined;
  return { runnables, ...(check ? { check } : {}) };
}

/**
 * A kernel item: symgrad's `build` compiled on gpujs against tfjs's `body`, both over the
 * same inputs, each run reading its result back to the page.
 */
async function kernelItem(c: WebglConfig, item: string, flops: number, shapes: readonly (readonly [number, number])[],
  build: (xs: Variable[]) => Variable, body: (xs: ReturnType<typeof tf.tensor2d>[]) => ReturnType<typeof tf.tensor2d>): Promise<Item> {
  const data = shapes.map(([r, k], i) => uniformF32(r * k, 200 + i));
  const runnables: Runnable[] = [];
  let mine: ArrayLike<number> | undefined;
  let theirs: ArrayLike<number> | undefined;
  if (c.symgrad) {
    // Inputs live on the backend, as tfjs's tensors do: each run reads back only its result.
    const vars = shapes.map(([r, k], i) => shared(new NDArray('float32', [r, k], data[i]!), `x${i}`));
    const f = fn([], build(vars), { backend: 'gpujs' });
    const t0 = performance.now();
    mine = (await f()).data as Float32Array;
    runnables.push({
      group: GROUP, item, peer: SYMGRAD_WEBGL_PEER, policy: c.policy, flops,
      note: `${f.stats().kernels} kernel(s), first call ${(performance.now() - t0).toFixed(0)} ms; result read back`,
      run: async () => { await f(); },
      dispose: () => { f.dispose(); for (const v of vars) v.dispose(); },
    });
  }
  if (c.tfjs) {
    const inputs = shapes.map(([r, k], i) => tf.tensor2d(data[i]!, [r, k]));
    const run = (): Float32Array => {
      const y = tf.tidy(() => body(inputs));
      const v = y.dataSync() as Float32Array;
      y.dispose();
      return v;
    };
    const t0 = performance.now();
    theirs = run();
    runnables.push({
      group: GROUP, item, peer: TFJS_WEBGL_PEER, policy: c.policy, flops,
      note: `first call ${(performance.now() - t0).toFixed(0)} ms; result read back`,
      run: () => { run(); },
      dispose: () => { for (const t of inputs) t.dispose(); },
    });
  }
  return { runnables, ...(mine && theirs ? { check: { item, relError: relativeError(mine, theirs) } } : {}) };
}

/**
 * The embedding step (the kernels section's): loss = Σ table[ids] · rowGrad, and the table
 * updated by SGD from its sparse gradient; the table on the GPU side of each peer, the loss
 * read every step. The check compares the second step's losses, which read the updated table. symgrad's update is a scatterAdd into the table; tfjs's an
 * unsortedSegmentSum, applied by tf.train.sgd.
 */
async function embeddingItem(c: WebglConfig, item: string, flops: number): Promise<Item> {
  const { vocab, dim, tokens } = c.embedding;
  const init = uniformF32(vocab * dim, 200);
  const ids = Int32Array.from({ length: tokens }, (_, i) => Math.floor(((Math.sin(i * 12.9898) + 1) / 2) * vocab) % vocab);
  const rowGrad = uniformF32(tokens * dim, 202);
  const lr = 0.1;
  const runnables: Runnable[] = [];
  let mine: number | undefined;
  let theirs: number | undefined;
  if (c.symgrad) {
    const table = shared(new NDArray('float32', [vocab, dim], init.slice()), 'table');
    const idv = shared(new NDArray('int32', [tokens], ids), 'ids');
    const g = shared(new NDArray('float32', [tokens, dim], rowGrad), 'g');
    const loss = T.sum(T.mul(T.take(table, idv), g));
    const step = fn([], loss, { backend: 'gpujs', updates: [[table, T.sub(table, T.mul(grad(loss, table), lr))]] });
    const t0 = performance.now();
    await step();
    const firstMs = performance.now() - t0;
    // The second step's loss reads the table the first step's sparse update wrote.
    mine = (await step()).item();
    runnables.push({
      group: GROUP, item, peer: SYMGRAD_WEBGL_PEER, policy: c.policy, flops,
      note: `${step.stats().kernels} kernels, first call ${firstMs.toFixed(0)} ms; loss read every step`,
      run: async () => { (await step()).item(); },
      dispose: () => { step.dispose(); for (const v of [table, idv, g]) v.dispose(); },
    });
  }
  if (c.tfjs) {
    const table = tf.variable(tf.tensor2d(init, [vocab, dim]), true, 'table');
    const idt = tf.tensor1d(ids, 'int32');
    const g = tf.tensor2d(rowGrad, [tokens, dim]);
    const opt = tf.train.sgd(lr);
    const run = (): number => {
      const l = opt.minimize(() => tf.sum(tf.mul(tf.gather(table, idt), g)) as ReturnType<typeof tf.scalar>, true)!;
      const v = l.dataSync()[0]!;
      l.dispose();
      return v;
    };
    const t0 = performance.now();
    run();
    const firstMs = performance.now() - t0;
    theirs = run();
    runnables.push({
      group: GROUP, item, peer: TFJS_WEBGL_PEER, policy: c.policy, flops,
      note: `first call ${firstMs.toFixed(0)} ms; loss read every step`,
      run: () => { run(); },
      dispose: () => { opt.dispose(); for (const t of [table, idt, g]) t.dispose(); },
    });
  }
  return { runnables, ...(mine !== undefined && theirs !== undefined ? { check: { item, relError: Math.abs(mine - theirs) / Math.abs(theirs) } } : {}) };
}

/** Every item of `c`, each measured by its peers together. */
export async function webglBench(c: WebglConfig): Promise<WebglReport> {
  const device = c.symgrad ? (await getBackend('gpujs')).capabilities.device : 'not measured';
  if (c.tfjs) {
    if (!(await tf.setBackend('webgl')) || tf.getBackend() !== 'webgl') throw new Error('tfjs: the webgl backend did not initialize');
    await tf.ready();
  }
  const [m, k, n] = c.gemm;
  const { rows, cols } = c;
  const make = ({ kind, item, flops }: ReturnType<typeof webglItems>[number]): Promise<Item> => {
    switch (kind) {
      case 'seed': return seedItem(c, item, flops);
      case 'gemm': return kernelItem(c, item, flops, [[m, k], [k, n]], ([a, b]) => T.matmul(a!, b!), ([a, b]) => tf.matMul(a!, b!));
      case 'softmax': return kernelItem(c, item, flops, [[rows, cols]], ([a]) => T.softmax(a!), ([a]) => tf.softmax(a!));
      case 'elementwise': return kernelItem(c, item, flops, [[rows, cols]],
        ([a]) => a!.relu().add(a!.square().neg().exp().mul(0.5)), ([a]) => tf.add(tf.relu(a!), tf.mul(tf.exp(tf.neg(tf.square(a!))), 0.5)));
      case 'embedding': return embeddingItem(c, item, flops);
    }
  };
  const results: Result[] = [];
  const checks: WebglCheck[] = [];
  for (const spec of webglItems(c)) {
    const it = await make(spec);
    if (it.check) checks.push(it.check);
    results.push(...await interleave(it.runnables));
  }
  return { device, renderer: renderer(), results, checks };
}

declare global {
  interface Window {
    symgradWebglBench?: (c: WebglConfig) => Promise<WebglReport>;
  }
}

window.symgradWebglBench = async (c) => {
  try {
    return await webglBench(c);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { device: '', renderer: '', results: [], checks: [], error: `${e.message}\n${e.stack ?? ''}` };
  }
};
