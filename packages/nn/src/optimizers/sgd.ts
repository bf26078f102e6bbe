/**
 * Stochastic gradient descent, with optional momentum, Nesterov momentum and L2 weight
 * decay, in PyTorch's formulation:
 *
 *   g ← g + λ·p;   b ← μ·b + g;   d = nesterov ? g + μ·b : b;   p ← p − lr·d
 *
 * (plain SGD when μ = 0: p ← p − lr·g).
 */
import { kindOf, T, type SharedVariable, type Variable } from '@symgrad/core';
import { checkHyper, Optimizer, type OptimizerOptions, type UpdatePair } from './optimizer.js';

export interface SgdOptions extends OptimizerOptions {
  /** μ in [0, 1); 0 (plain SGD) by default. */
  readonly momentum?: number;
  /** Nesterov momentum (needs momentum > 0); false by default. */
  readonly nesterov?: boolean;
  /** L2 weight decay λ added to the gradient; 0 by default. */
  readonly weightDecay?: number;
}

/**
 * SGD with optional (Nesterov) momentum. Create it with `sgd`, `momentum` or `nesterov`.
 *
 * @example
 * ```ts
 * const opt: Sgd = sgd({ learningRate: 0.1, momentum: 0.9 });
 * ```
 */
export class Sgd extends Optimizer {
  readonly className = 'SGD';
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(options: SgdOptions) {
    super('sgd', options);
    this.momentum = checkHyper('sgd', 'momentum', options.momentum ?? 0, 0, 1);
    this.nesterov = options.nesterov ?? false;
    if (typeof this.nesterov !== 'boolean') throw new TypeError(`sgd: nesterov must be a boolean, got ${kindOf(this.nesterov)}`);
    if (this.nesterov && this.momentum === 0) throw new RangeError('sgd: nesterov needs momentum > 0, e.g. sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true })');
    this.weightDecay = checkHyper('sgd', 'weightDecay', options.weightDecay ?? 0, 0, Infinity);
  }

  protected paramUpdates(p: SharedVariable, g0: Variable, lr: Variable): UpdatePair[] {
    const g = this.weightDecay ? T.add(g0, T.mul(p, this.weightDecay)) : g0;
    if (this.momentum === 0) return [[p, T.sub(p, T.mul(g, lr))]];
    const b = this.slot(p, 'momentum');
    const bNew = T.add(T.mul(b, this.momentum), g);
    const d = this.nesterov ? T.add(g, T.mul(bNew, this.momentum)) : bNew;
    return [[b, bNew], [p, T.sub(p, T.mul(d, lr))]];
  }

  protected slotNames(): string[] {
    return this.momentum > 0 ? ['momentum'] : [];
  }

  getConfig(): Record<string, unknown> {
    return { className: this.className, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay, clipNorm: this.clipNorm ?? null };
  }
}

/**
 * Plain SGD: p ← p − lr·g (momentum and Nesterov through the options).
 *
 * @example
 * ```ts
 * const opt = sgd({ learningRate: 0.1 });
 * const train = fn([x, y], loss, { updates: opt.updates(loss, model.parameters()) });
 * ```
 */
export function sgd(options: SgdOptions): Sgd {
  return new Sgd(options);
}

/**
 * SGD with classical momentum (μ = 0.9 by default).
 *
 * @example
 * ```ts
 * const opt = momentum({ learningRate: 0.01, momentum: 0.9 });
 * ```
 */
export function momentum(options: OptimizerOptions & { momentum?: number; weightDecay?: number }): Sgd {
  return new Sgd({ ...options, momentum: options?.momentum ?? 0.9 });
}

/**
 * SGD with Nesterov momentum (μ = 0.9 by default).
 *
 * @example
 * ```ts
 * const opt = nesterov({ learningRate: 0.01 });
 * ```
 */
export function nesterov(options: OptimizerOptions & { momentum?: number; weightDecay?: number }): Sgd {
  return new Sgd({ ...options, momentum: options?.momentum ?? 0.9, nesterov: true });
}
