/**
 * Inverted dropout. In training each element is kept with probability 1 − rate and scaled by
 * 1 / (1 − rate), so the expected activation is unchanged and evaluation is the identity.
 *
 * The mask is drawn **on the host** for now: core has no random op yet, so a training-mode
 * apply adds a function input (`<layer>/mask`, float32 [batch, …features], holding 0 or
 * 1 / (1 − rate)) whose values come from the layer's own Philox stream, advanced at every
 * draw. `hostFeeds(output)` lists such inputs; the Trainer feeds them automatically.
 * Deferred: drawing the mask on the device with Philox, once core has a random op.
 */
import { NDArray, tensor, T, type Variable } from '@symgrad/core';
import { PhiloxStream } from '../random-stream.js';
import { formatDims, Layer, registerHostFeed, type ApplyOptions, type BuildContext } from './layer.js';

export interface DropoutOptions {
  /** Seed of the mask stream; derived from the model's seed and the layer's position when omitted. */
  readonly seed?: number;
  readonly name?: string;
}

/**
 * Drops each activation with probability `rate` during training (inverted dropout);
 * the identity in evaluation.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Dense(256, { activation: 'relu' }), new Dropout(0.5), new Dense(10),
 * ], { inputShape: [784] });
 * model.apply(x, { training: true });   // reads a host-drawn mask input
 * model.apply(x);                       // identity: no mask
 * ```
 */
export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  readonly options: DropoutOptions;
  private stream: PhiloxStream | undefined;

  constructor(rate: number, options: DropoutOptions = {}) {
    super(options.name);
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new RangeError(`Dropout: rate must be a number in [0, 1), got ${String(rate)}`);
    }
    this.rate = rate;
    this.options = { ...options };
  }

  /** The position of the mask stream (blocks drawn so far); settable to resume a run. */
  get streamPosition(): number {
    return this.stream?.position ?? 0;
  }

  set streamPosition(p: number) {
    if (!this.stream) throw new Error(`${this.describe()} is not built yet`);
    this.stream.position = p;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    this.stream = new PhiloxStream(this.options.seed ?? ctx.seed);
    return inputShape;
  }

  protected callLayer(x: Variable, options: ApplyOptions): Variable {
    if (!options.training || this.rate === 0) return x;
    const features = this.inputShape;
    const mask = tensor('float32', [null, ...features], `${this.name}/mask`);
    const size = features.reduce((a, b) => a * b, 1);
    const keep = 1 - this.rate;
    const scale = Math.fround(1 / keep);
    const stream = this.stream!;
    registerHostFeed({
      input: mask,
      draw: (batchSize: number): NDArray => {
        if (!Number.isInteger(batchSize) || batchSize < 0) throw new RangeError(`${this.describe()}: batch size must be a non-negative integer, got ${batchSize}`);
        const data = new Float32Array(batchSize * size);
        stream.fillUniform(data);
        for (let i = 0; i < data.length; i++) data[i] = data[i]! < keep ? scale : 0;
        return new NDArray('float32', [batchSize, ...features], data);
      },
    });
    if (x.ndim !== features.length + 1) throw new Error(`${this.describe()}: expected a batch of per-example shape ${formatDims(features)}, got ${x.describe()}`);
    return T.mul(x, mask);
  }

  getConfig(): Record<string, unknown> {
    return {
      rate: this.rate,
      ...(this.options.seed === undefined ? {} : { seed: this.options.seed }),
      ...(this.name === undefined ? {} : { name: this.name }),
    };
  }
}
