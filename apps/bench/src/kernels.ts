/**
 * Kernel microbenchmarks on symgrad cpu through `fn`: sgemm at the seed's shape and at 2048³
 * with the transpose flags, an elementwise chain, a row softmax, a dropout (a fresh
 * random mask a run), an embedding step (a lookup, its gradient and the SGD update of the
 * table) and an LSTM step (forward, backpropagation through time, SGD). The same specs drive the
 * peers' kernel runs (tfjs-wasm, numpy), so rows line up in the report.
 */
import { grad } from '@symgrad/autodiff';
import { T, fn, NDArray, setBackend, shared, type CompiledFunction, type SharedVariable } from '@symgrad/core';
import '@symgrad/backend-cpu';
import { FunctionalModel, Input, LSTM, Sequential, sgd, TransformerDecoder, TransformerEncoder } from '@symgrad/nn';
import type { RepeatPolicy, Runnable } from './harness.js';
import { labelsI32, uniformF32 } from './data.js';

export type KernelSpec =
  | { readonly kind: 'gemm'; readonly name: string; readonly m: number; readonly k: number; readonly n: number; readonly transA: boolean; readonly transB: boolean }
  | { readonly kind: 'elementwise'; readonly name: string; readonly rows: number; readonly cols: number }
  | { readonly kind: 'softmax'; readonly name: string; readonly rows: number; readonly cols: number }
  | { readonly kind: 'dropout'; readonly name: string; readonly rows: number; readonly cols: number; readonly rate: number }
  | { readonly kind: 'embedding'; readonly name: string; readonly vocab: number; readonly dim: number; readonly tokens: number }
  | { readonly kind: 'lstm'; readonly name: string; readonly batch: number; readonly steps: number; readonly features: number; readonly units: number }
  | { readonly kind: 'transformer'; readonly name: string; readonly batch: number; readonly steps: number; readonly features: number; readonly heads: number; readonly ffDim: number }
  | { readonly kind: 'decoder'; readonly name: string; readonly batch: number; readonly steps: number; readonly memorySteps: number; readonly features: number; readonly heads: number; readonly ffDim: number };

function gemm(m: number, k: number, n: number, transA: boolean, transB: boolean): KernelSpec {
  const t = transA ? 'Aᵀ·B' : transB ? 'A·Bᵀ' : 'A·B';
  return { kind: 'gemm', name: `sgemm ${t} ${m}×${k}×${n}`, m, k, n, transA, transB };
}

/** Elementwise chain: relu(x) + 0.5·exp(−x²) — six ops an element, one read and one write. */
export const ELEMENTWISE_OPS = 6;

/**
 * The kernel set: sgemm at the seed's shape and at 2048³, each plain and with either operand
 * transposed (the native GEMM's targets against OpenBLAS); --quick keeps 800×1000×1000 and
 * 1024³ plain and shrinks the non-GEMM sizes.
 */
export function kernelSpecs(quick: boolean): KernelSpec[] {
  const specs: KernelSpec[] = quick
    ? [gemm(800, 1000, 1000, false, false), gemm(1024, 1024, 1024, false, false)]
    : [800, 2048].flatMap((m) => {
      const [k, n] = m === 800 ? [1000, 1000] : [2048, 2048];
      return [gemm(m, k, n, false, false), gemm(m, k, n, true, false), gemm(m, k, n, false, true)];
    });
  const rows = quick ? 1024 : 4096;
  specs.push({ kind: 'elementwise', name: `elementwise chain ${rows}×1000`, rows, cols: 1000 });
  specs.push({ kind: 'softmax', name: `softmax ${rows}×1000`, rows, cols: 1000 });
  specs.push({ kind: 'dropout', name: `dropout ${rows}×1000`, rows, cols: 1000, rate: 0.5 });
  const [vocab, dim, tokens] = quick ? [10000, 32, 1024] : [50000, 64, 4096];
  specs.push({ kind: 'embedding', name: `embedding step ${vocab}×${dim}, ${tokens} ids`, vocab, dim, tokens });
  const [batch, steps, features, units] = quick ? [8, 10, 16, 32] : [32, 40, 64, 128];
  specs.push({ kind: 'lstm', name: `LSTM step ${batch}×${steps}×${features} → ${units}`, batch, steps, features, units });
  const [tb, ts, tf, heads, ffDim] = quick ? [8, 10, 32, 2, 64] : [32, 40, 64, 4, 128];
  specs.push({ kind: 'transformer', name: `transformer encoder step ${tb}×${ts}×${tf}, ${heads} heads, ff ${ffDim}`, batch: tb, steps: ts, features: tf, heads, ffDim });
  specs.push({ kind: 'decoder', name: `transformer decoder step ${tb}×${ts}×${tf} reading ${ts} memory steps, ${heads} heads, ff ${ffDim}`, batch: tb, steps: ts, memorySteps: ts, features: tf, heads, ffDim });
  return specs;
}

/**
 * Why a slow peer skips a 2048³ GEMM, or undefined: tfjs-wasm's transposed matmuls run at
 * 0.4–2 GFLOP/s (8–40 s a run there) and the TypeScript path at ~4 (4 s a run); their
 * 800×1000×1000 rows already show them.
 */
export function largeGemmSkip(s: KernelSpec, peer: 'tfjs-wasm' | 'typescript'): string | undefined {
  if (s.kind !== 'gemm' || s.m < 2048) return undefined;
  if (peer === 'typescript') return 'skipped at 2048³ (~4 s a run; see the 800×1000×1000 rows)';
  return s.transA || s.transB ? 'skipped at 2048³ transposed (8–40 s a run; see the 800×1000×1000 rows)' : undefined;
}

/** FLOPs of one run of a kernel spec (elementwise ops and softmax's exp counted as one each). */
export function kernelFlops(s: KernelSpec): number {
  switch (s.kind) {
    case 'gemm': return 2 * s.m * s.k * s.n;
    case 'elementwise': return ELEMENTWISE_OPS * s.rows * s.cols;
    // max, sub, exp, sum, div per element
    case 'softmax': return 5 * s.rows * s.cols;
    // draw, compare, select, multiply per element
    case 'dropout': return 4 * s.rows * s.cols;
    // the loss's products and sum, the gradient's adds at the ids and the SGD update of the
    // rows looked up: the useful work (numpy and PyTorch also update every other row, by 0)
    case 'embedding': return 5 * s.tokens * s.dim;
    // the products of every step (input and recurrent, 4 gates), once forward and twice backward
    case 'lstm': return 6 * s.batch * s.steps * 4 * s.units * (s.features + s.units);
    // the products once forward and twice backward: the four projections, Q·Kᵀ and the
    // weights · V over all heads, and the feed-forward network's two layers
    case 'transformer': return 3 * 2 * s.batch * s.steps * (4 * s.features * s.features + 2 * s.steps * s.features + 2 * s.features * s.ffDim);
    // the same for the target's parts (self-attention's four projections, cross-attention's
    // query and output projections, both attentions' scores and weighted sums, the
    // feed-forward network); the memory's key and value projections once forward and once for
    // their weights' gradients (the memory itself needs none)
    case 'decoder': {
      const [f, t, m] = [s.features, s.steps, s.memorySteps];
      return 2 * s.batch * (3 * t * (6 * f * f + 2 * t * f + 2 * m * f + 2 * f * s.ffDim) + 2 * m * 2 * f * f);
    }
  }
}

/** The SGD rate of the LSTM and transformer steps (small: their loss only gives the weights something to move by). */
export const LSTM_LR = 0.01;

/**
 * The operands of an LSTM step, shared by the peers: inputs [batch, steps, features] and the
 * gradient of the last output [batch, units] (the loss is Σ h_last · outGrad).
 */
export function lstmOperands(s: Extract<KernelSpec, { kind: 'lstm' }>): { x: Float32Array; outGrad: Float32Array } {
  return { x: uniformF32(s.batch * s.steps * s.features, 210), outGrad: uniformF32(s.batch * s.units, 211) };
}

/**
 * The operands of a transformer encoder step, shared by the peers: inputs [batch, steps,
 * features] and the gradient of the output, the same shape (the loss is Σ out · outGrad).
 */
export function transformerOperands(s: Extract<KernelSpec, { kind: 'transformer' }>): { x: Float32Array; outGrad: Float32Array } {
  const n = s.batch * s.steps * s.features;
  return { x: uniformF32(n, 220), outGrad: uniformF32(n, 221) };
}

/**
 * The operands of a transformer decoder step, shared by the peers: the target [batch, steps,
 * features], the memory [batch, memorySteps, features] and the gradient of the output (the
 * target's shape; the loss is Σ out · outGrad).
 */
export function decoderOperands(s: Extract<KernelSpec, { kind: 'decoder' }>): { x: Float32Array; memory: Float32Array; outGrad: Float32Array } {
  const n = s.batch * s.steps * s.features;
  return { x: uniformF32(n, 230), memory: uniformF32(s.batch * s.memorySteps * s.features, 231), outGrad: uniformF32(n, 232) };
}

/** The SGD rate of the embedding step. */
export const EMBEDDING_LR = 0.1;

/**
 * The operands of an embedding step, shared by the JavaScript peers: the table [vocab, dim],
 * the ids [tokens] (uniform, so repeats are rare but present) and the rows' gradient [tokens, dim].
 */
export function embeddingOperands(s: Extract<KernelSpec, { kind: 'embedding' }>): { table: Float32Array; ids: Int32Array; rowGrad: Float32Array } {
  return { table: uniformF32(s.vocab * s.dim, 200), ids: labelsI32(s.tokens, s.vocab, 201), rowGrad: uniformF32(s.tokens * s.dim, 202) };
}

/** The input shapes of a spec, as stored (a transposed operand is stored transposed). */
export function kernelInputShapes(s: KernelSpec): number[][] {
  if (s.kind === 'embedding') return [[s.vocab, s.dim], [s.tokens], [s.tokens, s.dim]];
  if (s.kind === 'lstm') return [[s.batch, s.steps, s.features], [s.batch, s.units]];
  if (s.kind === 'transformer') return [[s.batch, s.steps, s.features], [s.batch, s.steps, s.features]];
  if (s.kind === 'decoder') return [[s.batch, s.steps, s.features], [s.batch, s.memorySteps, s.features], [s.batch, s.steps, s.features]];
  if (s.kind !== 'gemm') return [[s.rows, s.cols]];
  return [s.transA ? [s.k, s.m] : [s.m, s.k], s.transB ? [s.n, s.k] : [s.k, s.n]];
}

/** One kernel on symgrad cpu at O2, compiled and run once. */
export async function prepareSymgradKernel(s: KernelSpec, peer: string, policy: RepeatPolicy): Promise<Runnable> {
  setBackend('cpu');
  if (s.kind === 'embedding') return prepareSymgradStep(s, peer, policy, symgradEmbeddingStep(s));
  if (s.kind === 'lstm') return prepareSymgradStep(s, peer, policy, symgradLstmStep(s));
  if (s.kind === 'transformer') return prepareSymgradStep(s, peer, policy, symgradTransformerStep(s));
  if (s.kind === 'decoder') return prepareSymgradStep(s, peer, policy, symgradDecoderStep(s));
  const arrays = kernelInputShapes(s).map((sh, i) => new NDArray('float32', sh, uniformF32(sh[0]! * sh[1]!, 100 + i)));
  const a = T.matrix('a');
  let f;
  if (s.kind === 'gemm') {
    const b = T.matrix('b');
    f = fn([a, b], T.matmul(a, b, { transA: s.transA, transB: s.transB }));
  } else if (s.kind === 'elementwise') {
    f = fn([a], a.relu().add(a.square().neg().exp().mul(0.5)));
  } else if (s.kind === 'softmax') {
    f = fn([a], T.softmax(a));
  } else {
    const rng = T.random.state(7);
    const { values: u, next } = T.random.uniform(rng, a);
    f = fn([a], T.mul(a, T.where(T.lt(u, 1 - s.rate), 1 / (1 - s.rate), 0)), { updates: [[rng, next]] });
  }
  await f(...arrays);
  const g = f;
  return {
    group: 'kernel', item: s.name, peer, policy, flops: kernelFlops(s), note: `${g.stats().kernels} kernel(s)`,
    run: () => g(...arrays),
    dispose: () => g.dispose(),
  };
}

/** A kernel row that trains: the compiled step, the shared variables it updates (what a check compares) and its arguments. */
export interface SymgradTrainingStep {
  readonly step: CompiledFunction;
  readonly state: readonly SharedVariable[];
  readonly args: readonly NDArray[];
}

/**
 * The embedding step on symgrad: loss = Σ table[ids] · rowGrad, its gradient with respect to
 * the table (a scatterAdd of rowGrad at the ids) and the SGD update; its state is the table.
 */
export function symgradEmbeddingStep(s: Extract<KernelSpec, { kind: 'embedding' }>, backend?: string): SymgradTrainingStep {
  const o = embeddingOperands(s);
  const table = shared(new NDArray('float32', [s.vocab, s.dim], o.table), 'table');
  const ids = T.ivector('ids');
  const g = T.tensor('float32', [null, s.dim], 'g');
  const loss = T.sum(T.mul(T.take(table, ids), g));
  const step = fn([ids, g], loss, { updates: [[table, T.sub(table, T.mul(grad(loss, table), EMBEDDING_LR))]], ...(backend ? { backend } : {}) });
  return { step, state: [table], args: [new NDArray('int32', [s.tokens], o.ids), new NDArray('float32', [s.tokens, s.dim], o.rowGrad)] };
}

/**
 * The LSTM step on symgrad: @symgrad/nn's LSTM (unrolled over the steps), loss = Σ h_last ·
 * outGrad, and SGD on its kernel, recurrent kernel and bias (its state).
 */
export function symgradLstmStep(s: Extract<KernelSpec, { kind: 'lstm' }>, backend?: string): SymgradTrainingStep {
  const o = lstmOperands(s);
  const model = new Sequential([new LSTM(s.units)], { inputShape: [s.steps, s.features], seed: 3 });
  const x = T.tensor('float32', [null, s.steps, s.features], 'x');
  const g = T.matrix('g');
  const loss = T.sum(T.mul(model.apply(x), g));
  const step = fn([x, g], loss, { updates: sgd({ learningRate: LSTM_LR }).updates(loss, model.parameters()), ...(backend ? { backend } : {}) });
  return { step, state: model.parameters(), args: [new NDArray('float32', [s.batch, s.steps, s.features], o.x), new NDArray('float32', [s.batch, s.units], o.outGrad)] };
}

/**
 * The transformer encoder step on symgrad: @symgrad/nn's TransformerEncoder (post-norm, relu,
 * no dropout: PyTorch's nn.TransformerEncoderLayer with dropout 0), loss = Σ out · outGrad, SGD.
 */
export function symgradTransformerStep(s: Extract<KernelSpec, { kind: 'transformer' }>, backend?: string): SymgradTrainingStep {
  const o = transformerOperands(s);
  const model = new Sequential([new TransformerEncoder(s.heads, s.ffDim)], { inputShape: [s.steps, s.features], seed: 3 });
  const x = T.tensor('float32', [null, s.steps, s.features], 'x');
  const g = T.tensor('float32', [null, s.steps, s.features], 'g');
  const loss = T.sum(T.mul(model.apply(x), g));
  const step = fn([x, g], loss, { updates: sgd({ learningRate: LSTM_LR }).updates(loss, model.parameters()), ...(backend ? { backend } : {}) });
  const shape = [s.batch, s.steps, s.features];
  return { step, state: model.parameters(), args: [new NDArray('float32', shape, o.x), new NDArray('float32', shape, o.outGrad)] };
}

/**
 * The transformer decoder step on symgrad: @symgrad/nn's TransformerDecoder in a
 * FunctionalModel of target and memory (post-norm, relu, causal self-attention, no dropout:
 * PyTorch's nn.TransformerDecoderLayer with dropout 0 and a causal target mask), loss = Σ out ·
 * outGrad, SGD on the block's weights.
 */
export function symgradDecoderStep(s: Extract<KernelSpec, { kind: 'decoder' }>, backend?: string): SymgradTrainingStep {
  const o = decoderOperands(s);
  const [target, memory] = [new Input([s.steps, s.features]), new Input([s.memorySteps, s.features])];
  const model = new FunctionalModel({ inputs: [target, memory], outputs: new TransformerDecoder(s.heads, s.ffDim).apply([target, memory]) }, { seed: 3 });
  const x = T.tensor('float32', [null, s.steps, s.features], 'x');
  const m = T.tensor('float32', [null, s.memorySteps, s.features], 'memory');
  const g = T.tensor('float32', [null, s.steps, s.features], 'g');
  const loss = T.sum(T.mul(model.apply([x, m]), g));
  const step = fn([x, m, g], loss, { updates: sgd({ learningRate: LSTM_LR }).updates(loss, model.parameters()), ...(backend ? { backend } : {}) });
  const shape = [s.batch, s.steps, s.features];
  return { step, state: model.parameters(), args: [new NDArray('float32', shape, o.x), new NDArray('float32', [s.batch, s.memorySteps, s.features], o.memory), new NDArray('float32', shape, o.outGrad)] };
}

/** A training step as a runnable, the loss read back each run. */
async function prepareSymgradStep(s: KernelSpec, peer: string, policy: RepeatPolicy, t: SymgradTrainingStep): Promise<Runnable> {
  await t.step(...t.args);
  return {
    group: 'kernel', item: s.name, peer, policy, flops: kernelFlops(s), note: `${t.step.stats().kernels} kernel(s)`,
    run: () => t.step(...t.args),
    dispose: () => { t.step.dispose(); for (const v of t.state) v.dispose(); },
  };
}
