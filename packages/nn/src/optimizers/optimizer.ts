/**
 * The optimizer contract: an optimizer turns gradients into a list of symbolic updates
 * `[SharedVariable, Variable][]` for `fn(..., { updates })`. Its state (learning rate,
 * step counter, per-parameter slots such as momentum) lives in named shared variables, so
 * it survives across calls, can be saved, and never forces a recompile.
 */
import { grad } from '@symgrad/autodiff';
import { kindOf, NDArray, shared, T, type SharedVariable, type Variable } from '@symgrad/core';
import { clipByGlobalNorm } from './clip.js';
import type { Schedule } from './schedules.js';

/** A symbolic update: a shared variable and its next value. */
export type UpdatePair = [SharedVariable, Variable];

export interface OptimizerOptions {
  /** A number, or a schedule (attached to the learning-rate shared variable). */
  readonly learningRate: number | Schedule;
  /** Clips the gradients to this global L2 norm before the update. */
  readonly clipNorm?: number;
}

/** Checks a hyper-parameter: a finite number in [lo, hi) or [lo, hi]. @internal */
export function checkHyper(who: string, name: string, v: unknown, lo: number, hi: number, hiInclusive = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (hiInclusive ? v > hi : v >= hi)) {
    throw new RangeError(`${who}: ${name} must be a number in [${lo}, ${hi}${hiInclusive ? ']' : ')'}, got ${String(v)}`);
  }
  return v;
}

/**
 * The base class of optimizers. Subclasses implement `paramUpdates` for one parameter.
 *
 * @example
 * ```ts
 * const opt = adam({ learningRate: 1e-3 });
 * const train = fn([x, y], loss, { updates: opt.updates(loss, model.parameters()) });
 * opt.learningRate.set(5e-4);   // takes effect at the next call, no recompile
 * ```
 */
export abstract class Optimizer {
  abstract readonly className: string;
  /** The learning rate: a float32 scalar shared variable named `optimizer/learning_rate`. */
  readonly learningRate: SharedVariable;
  /** The schedule passed as `learningRate`, if any (already attached to `learningRate`). */
  readonly schedule: Schedule | undefined;
  readonly clipNorm: number | undefined;
  private readonly slots = new Map<SharedVariable, Map<string, SharedVariable>>();
  private readonly globals = new Map<string, SharedVariable>();

  constructor(who: string, options: OptimizerOptions) {
    if (typeof options !== 'object' || options === null || !('learningRate' in options)) {
      throw new TypeError(`${who}: options must give a learningRate, e.g. ${who}({ learningRate: 0.01 })`);
    }
    const lr = options.learningRate;
    let initial: number;
    if (typeof lr === 'number') {
      initial = checkHyper(who, 'learningRate', lr, 0, Infinity);
      this.schedule = undefined;
    } else if (typeof lr === 'object' && lr !== null && typeof lr.value === 'function') {
      initial = lr.value(0);
      this.schedule = lr;
    } else {
      throw new TypeError(`${who}: learningRate must be a number or a schedule, got ${kindOf(lr)}`);
    }
    this.learningRate = shared(NDArray.from(initial, 'float32'), 'optimizer/learning_rate', 'float32');
    this.schedule?.attach(this.learningRate);
    if (options.clipNorm !== undefined) checkHyper(who, 'clipNorm', options.clipNorm, Number.MIN_VALUE, Infinity);
    this.clipNorm = options.clipNorm;
  }

  /**
   * The updates of one training step for `loss` with respect to `params`: gradients by
   * `grad`, clipped when `clipNorm` is set, then the optimizer's rule. Pass the result to
   * `fn(..., { updates })`. A parameter the loss does not depend on is an error, or, with
   * `{ disconnected: 'skip' }`, left as it is (PyTorch skips a parameter without a gradient):
   * a recurrent kernel in a step over sequences of one step, say.
   *
   * @example
   * ```ts
   * const step = fn([x, y], loss, { updates: sgd({ learningRate: 0.1 }).updates(loss, params) });
   * ```
   */
  updates(loss: Variable, params: readonly SharedVariable[], options: { readonly disconnected?: 'raise' | 'skip' } = {}): UpdatePair[] {
    this.checkParams(params);
    if (options.disconnected === undefined || options.disconnected === 'raise') return this.applyGradients(params, grad(loss, [...params]));
    if (options.disconnected !== 'skip') throw new TypeError(`${this.className}.updates: disconnected must be 'raise' or 'skip', got ${JSON.stringify(options.disconnected)}`);
    const grads = grad(loss, [...params], { disconnected: 'ignore' });
    const kept = params.flatMap((p, i) => (grads[i] ? [[p, grads[i]] as const] : []));
    return this.applyGradients(kept.map(([p]) => p), kept.map(([, g]) => g));
  }

  /** The updates for given gradients (one per parameter, same shapes). */
  applyGradients(params: readonly SharedVariable[], grads: readonly Variable[]): UpdatePair[] {
    this.checkParams(params);
    if (!Array.isArray(grads) || grads.length !== params.length) {
      throw new Error(`${this.className}.applyGradients: ${params.length} parameters but ${Array.isArray(grads) ? grads.length : 'no'} gradients`);
    }
    const clipped = this.clipNorm === undefined ? grads : clipByGlobalNorm(grads, this.clipNorm);
    const globalUpdates = this.prepareStep();
    const out: UpdatePair[] = [...globalUpdates];
    params.forEach((p, i) => {
      const lr = p.dtype === 'float32' ? (this.learningRate as Variable) : T.cast(this.learningRate, p.dtype);
      out.push(...this.paramUpdates(p, clipped[i]!, lr));
    });
    return out;
  }

  /**
   * Every state variable, in a stable order: the learning rate, global counters, then each
   * parameter's slots. Names are `optimizer/…`, so they can be saved next to the parameters.
   */
  state(): SharedVariable[] {
    return [this.learningRate, ...this.globals.values(), ...[...this.slots.values()].flatMap((m) => [...m.values()])];
  }

  /**
   * Creates the state variables for these parameters without building a graph (so saved
   * state can be loaded before the first training function is compiled).
   */
  build(params: readonly SharedVariable[]): void {
    this.checkParams(params);
    this.buildGlobals();
    for (const p of params) for (const name of this.slotNames()) this.slot(p, name);
  }

  /** The hyper-parameters as JSON. */
  abstract getConfig(): Record<string, unknown>;

  /** The names of the per-parameter slots this optimizer keeps. */
  protected abstract slotNames(): string[];

  /** Creates the global state variables (e.g. a step counter). */
  protected buildGlobals(): void {}

  /** Updates shared by all parameters (e.g. a step counter), made once per `applyGradients`. */
  protected prepareStep(): UpdatePair[] {
    return [];
  }

  /** The updates of one parameter (its own and its slots'). `lr` has the parameter's dtype. */
  protected abstract paramUpdates(param: SharedVariable, g: Variable, lr: Variable): UpdatePair[];

  /** A per-parameter state variable `optimizer/<param>/<name>`, zeros like the parameter, created once. */
  protected slot(param: SharedVariable, name: string): SharedVariable {
    let m = this.slots.get(param);
    if (!m) {
      m = new Map();
      this.slots.set(param, m);
    }
    let s = m.get(name);
    if (!s) {
      s = shared(NDArray.zeros(param.shape as number[], param.dtype), `optimizer/${param.name}/${name}`, param.dtype);
      m.set(name, s);
    }
    return s;
  }

  /** A global state variable `optimizer/<name>`, created once with `initial`. */
  protected global(name: string, initial: NDArray): SharedVariable {
    let s = this.globals.get(name);
    if (!s) {
      s = shared(initial, `optimizer/${name}`, initial.dtype);
      this.globals.set(name, s);
    }
    return s;
  }

  private checkParams(params: readonly SharedVariable[]): void {
    if (!Array.isArray(params) || params.length === 0) throw new TypeError(`${this.className}: needs a non-empty list of parameters (shared variables)`);
    const names = new Set<string>();
    params.forEach((p, i) => {
      if (typeof p !== 'object' || p === null || p.kind !== 'shared') throw new TypeError(`${this.className}: parameter ${i} is not a shared variable`);
      if (p.dtype !== 'float32' && p.dtype !== 'float64') throw new TypeError(`${this.className}: parameter ${i} ${p.describe()} has dtype ${p.dtype}; only float32 and float64 parameters can be trained`);
      if (p.name === undefined) throw new Error(`${this.className}: parameter ${i} ${p.describe()} has no name; name shared variables (shared(value, 'w1')): the names identify the optimizer state`);
      if (names.has(p.name)) throw new Error(`${this.className}: two parameters are named '${p.name}'`);
      names.add(p.name);
    });
  }
}
