/**
 * Inverted dropout. In training each element is kept with probability 1 − rate and scaled by
 * 1 / (1 − rate), so the expected activation is unchanged and evaluation is the identity.
 *
 * The mask is drawn on the backend by core's Philox `random` op from the layer's own state,
 * a shared int32[4] variable (`<layer>/rng`) that each training step advances:
 * `randomStateUpdates(loss)` lists the update, and the Trainer applies it.
 */
import { NDArray, T, type SharedVariable, type Variable } from '@symgrad/core';
import { Layer, registerRandomState, type ApplyOptions, type BuildContext } from './layer.js';

export interface DropoutOptions {
  /** Seed of the mask stream; derived from the model's seed and the layer's position when omitted. */
  readonly seed?: number;
  readonly name?: string;
}

const TWO_32 = 0x1_0000_0000;

/** A dropout rate checked: a number in [0, 1); throws naming the layer and option otherwise. @internal */
export function checkDropoutRate(who: string, what: string, rate: unknown): number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new RangeError(`${who}: ${what} must be a number in [0, 1), got ${String(rate)}`);
  return rate;
}

/** Inverted dropout's mask from uniforms `u` in [0, 1): 1 / (1 − rate) where kept, 0 where dropped. @internal */
export function dropoutMask(u: Variable, rate: number): Variable {
  const keep = 1 - rate;
  return T.where(T.lt(u, keep), 1 / keep, 0);
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
 * model.apply(x, { training: true });   // draws a mask on the backend
 * model.apply(x);                       // identity
 * ```
 */
export class Dropout extends Layer {
  protected override readonly passesMask = true;
  readonly className = 'Dropout';
  readonly rate: number;
  readonly options: DropoutOptions;
  private rngState: SharedVariable | undefined;

  constructor(rate: number, options: DropoutOptions = {}) {
    super(options.name);
    this.rate = checkDropoutRate('Dropout', 'rate', rate);
    this.options = { ...options };
  }

  /** The shared int32[4] Philox state of the mask stream (key, then block offset). */
  get state(): SharedVariable {
    if (!this.rngState) throw new Error(`${this.describe()} is not built yet`);
    return this.rngState;
  }

  /**
   * The position of the mask stream (Philox blocks drawn so far); settable to resume a run.
   * Reading it reads the state from the backend, synchronously where the backend can.
   */
  get streamPosition(): number {
    const s = this.state.get().data;
    return (s[3]! >>> 0) * TWO_32 + (s[2]! >>> 0);
  }

  set streamPosition(p: number) {
    const s = this.state;
    if (!Number.isSafeInteger(p) || p < 0) throw new RangeError(`${this.describe()}: stream position must be a non-negative safe integer, got ${p}`);
    const key = s.get().data;
    s.set(new NDArray('int32', [4], Int32Array.of(key[0]!, key[1]!, p % TWO_32 | 0, Math.floor(p / TWO_32) | 0)));
  }

  /** Elementwise: any shape. */
  protected override outputShapeFor(inputShape: readonly number[]): readonly number[] {
    return inputShape;
  }

  protected buildLayer(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    this.rngState = T.random.state(this.options.seed ?? ctx.seed, `${ctx.name}/rng`);
    return inputShape;
  }

  protected callLayer(x: Variable, options: ApplyOptions): Variable {
    if (!options.training || this.rate === 0) return x;
    this.requireBatch(x);
    const { values: u, next } = T.random.uniform(this.state, x, x.dtype === 'float64' ? 'float64' : 'float32');
    registerRandomState(next, this.state, this.describe());
    return T.mul(x, dropoutMask(u, this.rate));
  }

  getConfig(): Record<string, unknown> {
    return {
      rate: this.rate,
      ...(this.options.seed === undefined ? {} : { seed: this.options.seed }),
      ...(this.name === undefined ? {} : { name: this.name }),
    };
  }
}
