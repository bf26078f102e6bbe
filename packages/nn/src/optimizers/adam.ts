/**
 * Adam and AdamW (PyTorch's formulation). With t the step count after this step:
 *
 *   m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²
 *   p ← p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)          (Adam)
 *   p ← p − lr · ((m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε) + λp)   (AdamW: decoupled decay)
 *
 * The step counter is an int32 shared variable `optimizer/step` updated in the same update
 * list, so the bias correction needs no host involvement.
 */
import { NDArray, T, type SharedVariable, type Variable } from '@symgrad/core';
import { checkHyper, Optimizer, type OptimizerOptions, type UpdatePair } from './optimizer.js';

export interface AdamOptions extends OptimizerOptions {
  /** 0.9 by default. */
  readonly beta1?: number;
  /** 0.999 by default. */
  readonly beta2?: number;
  /** 1e-8 by default. */
  readonly epsilon?: number;
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay λ; 0.01 by default. */
  readonly weightDecay?: number;
}

/**
 * Adam / AdamW. Create it with `adam` or `adamW`.
 *
 * @example
 * ```ts
 * const opt: Adam = adam({ learningRate: 1e-3 });
 * opt.stepCounter.get().item(); // updates applied so far
 * ```
 */
export class Adam extends Optimizer {
  readonly className: string;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private correction: { c1: Variable; c2: Variable } | undefined;

  constructor(options: AdamWOptions, decoupled = false) {
    const who = decoupled ? 'adamW' : 'adam';
    super(who, options);
    this.className = decoupled ? 'AdamW' : 'Adam';
    this.beta1 = checkHyper(who, 'beta1', options.beta1 ?? 0.9, 0, 1);
    this.beta2 = checkHyper(who, 'beta2', options.beta2 ?? 0.999, 0, 1);
    this.epsilon = checkHyper(who, 'epsilon', options.epsilon ?? 1e-8, 0, Infinity);
    this.weightDecay = decoupled ? checkHyper(who, 'weightDecay', options.weightDecay ?? 0.01, 0, Infinity) : 0;
    if (!decoupled && options.weightDecay !== undefined) {
      throw new TypeError('adam: weightDecay is not an Adam option; use adamW({ weightDecay }) for decoupled weight decay');
    }
  }

  /** The step counter (int32 scalar `optimizer/step`): how many updates have been applied. */
  get stepCounter(): SharedVariable {
    return this.global('step', NDArray.from(0, 'int32'));
  }

  protected slotNames(): string[] {
    return ['m', 'v'];
  }

  protected override buildGlobals(): void {
    void this.stepCounter;
  }

  protected override prepareStep(): UpdatePair[] {
    const step = this.stepCounter;
    const tNew = T.add(step, 1);
    const t = T.cast(tNew, 'float32');
    this.correction = { c1: T.sub(1, T.pow(this.beta1, t)), c2: T.sub(1, T.pow(this.beta2, t)) };
    return [[step, tNew]];
  }

  protected paramUpdates(p: SharedVariable, g: Variable, lr: Variable): UpdatePair[] {
    const m = this.slot(p, 'm');
    const v = this.slot(p, 'v');
    const mNew = T.add(T.mul(m, this.beta1), T.mul(g, 1 - this.beta1));
    const vNew = T.add(T.mul(v, this.beta2), T.mul(T.square(g), 1 - this.beta2));
    const { c1, c2 } = this.correction!;
    const c1p = p.dtype === 'float32' ? c1 : T.cast(c1, p.dtype);
    const c2p = p.dtype === 'float32' ? c2 : T.cast(c2, p.dtype);
    let d = T.div(T.div(mNew, c1p), T.add(T.sqrt(T.div(vNew, c2p)), this.epsilon));
    if (this.weightDecay) d = T.add(d, T.mul(p, this.weightDecay));
    return [[m, mNew], [v, vNew], [p, T.sub(p, T.mul(d, lr))]];
  }

  getConfig(): Record<string, unknown> {
    return {
      className: this.className, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon,
      ...(this.className === 'AdamW' ? { weightDecay: this.weightDecay } : {}), clipNorm: this.clipNorm ?? null,
    };
  }
}

/**
 * Adam (Kingma & Ba) with bias correction.
 *
 * @example
 * ```ts
 * const opt = adam({ learningRate: 1e-3 });
 * const train = fn([x, y], loss, { updates: opt.updates(loss, model.parameters()) });
 * ```
 */
export function adam(options: AdamOptions): Adam {
  return new Adam(options, false);
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay (λ = 0.01 by default).
 *
 * @example
 * ```ts
 * const opt = adamW({ learningRate: 1e-3, weightDecay: 1e-4 });
 * ```
 */
export function adamW(options: AdamWOptions): Adam {
  return new Adam(options, true);
}
