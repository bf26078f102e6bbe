/**
 * Text generation with a language model: a model of int32 ids [batch, steps] to next-token
 * scores [batch, steps, vocab] (a causal transformer, an LSTM with `returnSequences`) extends
 * a prompt one token at a time, greedily or by sampling. The model runs on a window of
 * `window` tokens (the steps it was built for by default): the tokens so far, left-aligned and
 * padded, the last `window` of them once the text is longer; the scores at the last real position choose the next token. One function is
 * compiled for the window and run once per token.
 */
import { fn, NDArray, T, tensor } from '@symgrad/core';
import type { Model } from './layers/model.js';
import { PhiloxStream } from './random-stream.js';

/** The options of `generate`. */
export interface GenerateOptions {
  /** How many tokens to add. */
  readonly steps: number;
  /** 0 (the default) takes the most likely token; above 0, samples from softmax(scores / temperature). */
  readonly temperature?: number;
  /** When sampling, only among the k most likely tokens; all by default. */
  readonly topK?: number;
  /** Seed of the sampling (a Philox stream, so the same seed gives the same text anywhere); 0 by default. */
  readonly seed?: number;
  /** The id that fills the window after the text (the model's padding); 0 by default. */
  readonly padId?: number;
  /** Stop once this id is generated (it is kept). */
  readonly endId?: number;
  /** The backend to run on; the default backend when omitted. */
  readonly backend?: string;
  /**
   * How many tokens the model reads at a time: the steps it was built for by default. A model
   * runs on other lengths where its layers take them (a PositionEmbedding up to its table's),
   * and one with open steps (`new Input([null])`) needs it.
   */
  readonly window?: number;
}

/** The window length a model takes: its per-example input shape must be [steps]. */
function windowOf(model: Model): number {
  const m = model as Partial<{ built: boolean; inputShape: readonly number[]; inputShapes: readonly (readonly number[])[] }>;
  const shapes = m.built === false ? undefined : m.inputShapes ?? (m.inputShape ? [m.inputShape] : undefined);
  if (!shapes || shapes.length !== 1 || shapes[0]!.length !== 1) {
    throw new Error(`generate: the model must take one input of per-example shape [steps] (ids), got ${shapes ? shapes.map((s) => `[${s.join(', ')}]`).join(', ') : 'a model of unknown input shape (give options.window, or build it with an inputShape)'}`);
  }
  return shapes[0]![0]!;
}

/** The index of the token chosen from one position's scores. */
function choose(scores: ArrayLike<number>, o: GenerateOptions, rng: PhiloxStream): number {
  const vocab = scores.length;
  const temperature = o.temperature ?? 0;
  let best = 0;
  for (let i = 1; i < vocab; i++) if (scores[i]! > scores[best]!) best = i;
  if (temperature === 0) return best;
  const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const kept = order.slice(0, Math.min(o.topK ?? vocab, vocab));
  const weights = kept.map((i) => Math.exp((scores[i]! - scores[best]!) / temperature));
  let u = rng.uniform() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < kept.length; j++) {
    u -= weights[j]!;
    if (u <= 0) return kept[j]!;
  }
  return kept[kept.length - 1]!;
}

/**
 * Extends `prompt` (ids) by `steps` tokens with a language model: the prompt followed by the
 * new tokens. Greedy by default; with a `temperature`, sampled (optionally among the `topK`
 * most likely), reproducibly for a `seed`. The model sees the last `window` tokens, padded
 * after them with `padId`; a causal model is not affected by that padding.
 *
 * @example
 * ```ts
 * const lm = new Sequential([
 *   new Embedding(vocab, 64), new PositionEmbedding(), new TransformerEncoder(4, 128, { causal: true }), new Dense(vocab),
 * ], { inputShape: [32], seed: 1 });
 * // … train it on next-token targets …
 * const text = await generate(lm, [5, 17, 2], { steps: 20, temperature: 0.8, topK: 10, seed: 1 });
 * ```
 */
export async function generate(model: Model, prompt: ArrayLike<number>, options: GenerateOptions): Promise<Int32Array> {
  if (typeof model !== 'object' || model === null || typeof model.apply !== 'function') throw new TypeError('generate: model must be a model (a Sequential or FunctionalModel)');
  if (typeof options !== 'object' || options === null || !Number.isInteger(options.steps) || options.steps < 0) {
    throw new RangeError(`generate: options.steps (how many tokens to add) must be a non-negative integer, got ${JSON.stringify(options?.steps)}`);
  }
  const temperature = options.temperature ?? 0;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) throw new RangeError(`generate: temperature must be a finite number ≥ 0, got ${String(options.temperature)}`);
  if (options.topK !== undefined && (!Number.isInteger(options.topK) || options.topK < 1)) throw new RangeError(`generate: topK must be a positive integer, got ${String(options.topK)}`);
  const ids = Array.from(prompt ?? [], Number);
  if (ids.length === 0 || ids.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`generate: the prompt must be one or more non-negative integer ids, got [${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''}]`);
  if (options.window !== undefined && (!Number.isInteger(options.window) || options.window < 1)) throw new RangeError(`generate: window must be a positive integer, got ${String(options.window)}`);
  const window = options.window ?? windowOf(model);
  const padId = options.padId ?? 0;
  const x = tensor('int32', [1, window], 'ids');
  const scores = model.apply(x, { training: false });
  if (scores.ndim !== 3 || scores.shape[1] !== window) {
    throw new Error(`generate: the model must give next-token scores [batch, ${window}, vocab] (one row per position), got ${scores.describe()}`);
  }
  const step = fn([x], T.cast(scores, 'float32'), options.backend ? { backend: options.backend } : {});
  const rng = new PhiloxStream(options.seed ?? 0);
  try {
    for (let n = 0; n < options.steps; n++) {
      const visible = ids.slice(-window);
      const input = new NDArray('int32', [1, window], Int32Array.from({ length: window }, (_, i) => visible[i] ?? padId));
      const out = await step(input);
      const vocab = out.shape[2]!;
      const at = visible.length - 1;
      const next = choose(out.data.subarray(at * vocab, (at + 1) * vocab), options, rng);
      ids.push(next);
      if (next === options.endId) break;
    }
  } finally {
    step.dispose();
  }
  return Int32Array.from(ids);
}
