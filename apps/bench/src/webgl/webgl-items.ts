/**
 * What the WebGL section measures, shared by the page (page.ts, in the browser) and the Node
 * side (webgl-bench.ts): the group, the peers' names, the shapes and the items with their FLOPs.
 */
import { stepFlops } from '../harness.js';
import { TFJS_VERSION } from '../peers/tfjs-name.js';
import type { MlpShape } from '../data.js';

/** The rows' group in the report. */
export const WEBGL_GROUP = 'webgl';

export const SYMGRAD_WEBGL_PEER = 'symgrad gpujs O2 (WebGL2)';
export const TFJS_WEBGL_PEER = `tfjs-webgl ${TFJS_VERSION}`;

/** The shapes of a run. */
export interface WebglShapes {
  readonly seed: MlpShape;
  /** sgemm A·B of [m, k] · [k, n]. */
  readonly gemm: readonly [number, number, number];
  /** Rows and columns of the softmax and the elementwise chain. */
  readonly rows: number;
  readonly cols: number;
  /** The embedding step: a [vocab, dim] table, `tokens` ids. */
  readonly embedding: { readonly vocab: number; readonly dim: number; readonly tokens: number };
}

/** The gpujs seed row's reduced step, and kernels sized for a software renderer (the embedding step one size: tfjs-webgl takes about a second a step). */
export function webglShapes(quick: boolean): WebglShapes {
  const seed: MlpShape = { rows: 128, features: 1000, hidden: 256, classes: 10 };
  return quick
    ? { seed, gemm: [256, 256, 256], rows: 256, cols: 1000, embedding: { vocab: 5000, dim: 64, tokens: 1024 } }
    : { seed, gemm: [512, 512, 512], rows: 1024, cols: 1000, embedding: { vocab: 5000, dim: 64, tokens: 1024 } };
}

export type WebglItemKind = 'seed' | 'gemm' | 'softmax' | 'elementwise' | 'embedding';

/** The items of `s` in run order, named as the report names them. */
export function webglItems(s: WebglShapes): { kind: WebglItemKind; item: string; flops: number }[] {
  const [m, k, n] = s.gemm;
  return [
    { kind: 'seed', item: `seed step, reduced: ${s.seed.rows} rows, hidden ${s.seed.hidden}`, flops: stepFlops(s.seed.rows, s.seed.features, s.seed.hidden, s.seed.classes) },
    { kind: 'gemm', item: `sgemm A·B ${m}×${k}×${n}`, flops: 2 * m * k * n },
    { kind: 'softmax', item: `softmax ${s.rows}×${s.cols}`, flops: 5 * s.rows * s.cols },
    // relu, square, neg, exp, mul, add: kernels.ts's ELEMENTWISE_OPS.
    { kind: 'elementwise', item: `elementwise chain ${s.rows}×${s.cols}`, flops: 6 * s.rows * s.cols },
    // The kernels section's embedding step (the loss's products and sum, the sparse SGD
    // update): its useful work is the rows the ids touch, as kernels.ts counts it.
    { kind: 'embedding', item: `embedding step ${s.embedding.vocab}×${s.embedding.dim}, ${s.embedding.tokens} ids`, flops: 5 * s.embedding.tokens * s.embedding.dim },
  ];
}
