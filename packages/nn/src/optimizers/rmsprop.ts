/**
 * RMSProp (PyTorch's formulation):
 *
 *   v ← ρv + (1 − ρ)g²;   centered: ḡ ← ρḡ + (1 − ρ)g, denominator √(v − ḡ²) + ε, else √v + ε
 *   μ > 0: b ← μb + g / denominator, p ← p − lr·b;   else p ← p − lr·g / denominator
 */
import { T, type SharedVariable, type Variable } from '@symgrad/core';
import { checkHyper, Optimizer, type OptimizerOptions, type UpdatePair } from './optimizer.js';

export interface RmsPropOptions extends OptimizerOptions {
  /** Decay ρ of the squared-gradient average; 0.9 by default. */
  readonly rho?: number;
  /** 1e-8 by default. */
  readonly epsilon?: number;
  /** Momentum μ; 0 by default. */
  readonly momentum?: number;
  /** Divide by the gradient's estimated variance instead of its second moment; false by default. */
  readonly centered?: boolean;
}

/**
 * RMSProp. Create it with `rmsprop`.
 *
 * @example
 * ```ts
 * const opt: RmsProp = rmsprop({ learningRate: 1e-3, centered: true });
 * ```
 */
export class RmsProp extends Optimizer {
  readonly className = 'RMSProp';
  readonly rho: number;
  readonly epsilon: number;
  readonly momentum: number;
  readonly centered: boolean;

  constructor(options: RmsPropOptions) {
    super('rmsprop', options);
    this.rho = checkHyper('rmsprop', 'rho', options.rho ?? 0.9, 0, 1);
    this.epsilon = checkHyper('rmsprop', 'epsilon', options.epsilon ?? 1e-8, 0, Infinity);
    this.momentum = checkHyper('rmsprop', 'momentum', options.momentum ?? 0, 0, 1);
    this.centered = options.centered ?? false;
  }

  protected paramUpdates(p: SharedVariable, g: Variable, lr: Variable): UpdatePair[] {
    const v = this.slot(p, 'v');
    const vNew = T.add(T.mul(v, this.rho), T.mul(T.square(g), 1 - this.rho));
    const out: UpdatePair[] = [[v, vNew]];
    let second = vNew;
    if (this.centered) {
      const gAvg = this.slot(p, 'g_avg');
      const gAvgNew = T.add(T.mul(gAvg, this.rho), T.mul(g, 1 - this.rho));
      out.push([gAvg, gAvgNew]);
      second = T.sub(vNew, T.square(gAvgNew));
    }
    const step = T.div(g, T.add(T.sqrt(second), this.epsilon));
    if (this.momentum > 0) {
      const b = this.slot(p, 'momentum');
      const bNew = T.add(T.mul(b, this.momentum), step);
      out.push([b, bNew], [p, T.sub(p, T.mul(bNew, lr))]);
    } else {
      out.push([p, T.sub(p, T.mul(step, lr))]);
    }
    return out;
  }

  protected slotNames(): string[] {
    return ['v', ...(this.centered ? ['g_avg'] : []), ...(this.momentum > 0 ? ['momentum'] : [])];
  }

  getConfig(): Record<string, unknown> {
    return { className: this.className, rho: this.rho, epsilon: this.epsilon, momentum: this.momentum, centered: this.centered, clipNorm: this.clipNorm ?? null };
  }
}

/**
 * RMSProp (Hinton): scales each step by a running RMS of the gradients.
 *
 * @example
 * ```ts
 * const opt = rmsprop({ learningRate: 1e-3, rho: 0.9 });
 * ```
 */
export function rmsprop(options: RmsPropOptions): RmsProp {
  return new RmsProp(options);
}
