/**
 * Learning-rate schedules. A schedule is a pure function of a step or epoch number
 * (`value(t)`), attached to one or more shared scalars (an optimizer's learning rate);
 * `step(t)` writes the value into them, so a compiled training function sees the new rate
 * without recompiling. Schedules compose: `warmup(inner)`, `joinSchedules(…)`.
 */
import { kindOf, type SharedVariable } from '@symgrad/core';

/** Whether `t` counts optimizer steps (minibatches) or epochs. The Trainer steps a schedule in its unit. */
export type ScheduleUnit = 'step' | 'epoch';

/**
 * A learning-rate schedule.
 *
 * @example
 * ```ts
 * const schedule = cosineDecay({ initial: 0.1, steps: 1000 });
 * const opt = sgd({ learningRate: schedule });   // attaches it to opt.learningRate
 * schedule.step(250);                            // opt.learningRate now holds 0.0854
 * ```
 */
export interface Schedule {
  readonly unit: ScheduleUnit;
  /** The learning rate at step/epoch `t` (t ≥ 0, counting from 0). */
  value(t: number): number;
  /** Makes `step` write into this float scalar shared variable; returns the schedule. */
  attach(target: SharedVariable): Schedule;
  /** Writes `value(t)` into every attached variable and returns it. */
  step(t: number): number;
}

function checkT(who: string, t: number): void {
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new RangeError(`${who}: t must be a finite number ≥ 0, got ${String(t)}`);
}

function checkPositive(who: string, name: string, v: number, allowZero = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || (allowZero ? v < 0 : v <= 0)) {
    throw new RangeError(`${who}: ${name} must be a finite number ${allowZero ? '≥ 0' : '> 0'}, got ${String(v)}`);
  }
}

class FunctionSchedule implements Schedule {
  private readonly targets: SharedVariable[] = [];
  constructor(readonly name: string, readonly unit: ScheduleUnit, private readonly f: (t: number) => number) {}

  value(t: number): number {
    checkT(this.name, t);
    return this.f(t);
  }

  attach(target: SharedVariable): Schedule {
    if (typeof target !== 'object' || target === null || target.kind !== 'shared' || target.ndim !== 0 || (target.dtype !== 'float32' && target.dtype !== 'float64')) {
      throw new TypeError(`${this.name}: a schedule attaches to a float scalar shared variable (such as optimizer.learningRate)`);
    }
    if (!this.targets.includes(target)) this.targets.push(target);
    return this;
  }

  step(t: number): number {
    const v = this.value(t);
    if (!this.targets.length) throw new Error(`${this.name}: not attached to a learning rate: pass it to an optimizer ({ learningRate: schedule }) or call schedule.attach(sharedScalar)`);
    for (const s of this.targets) s.set(v);
    return v;
  }
}

/**
 * A schedule from any function of t.
 *
 * @example
 * ```ts
 * const s = schedule((t) => 0.1 / (1 + t), { unit: 'epoch' });
 * ```
 */
export function schedule(f: (t: number) => number, options: { unit?: ScheduleUnit } = {}): Schedule {
  if (typeof f !== 'function') throw new TypeError('schedule: expected a function of t');
  return new FunctionSchedule('schedule', checkUnit('schedule', options.unit), f);
}

function checkUnit(who: string, unit: ScheduleUnit | undefined): ScheduleUnit {
  const u = unit ?? 'step';
  if (u !== 'step' && u !== 'epoch') throw new TypeError(`${who}: unit must be 'step' or 'epoch', got ${JSON.stringify(unit)}`);
  return u;
}

/**
 * A constant rate.
 *
 * @example
 * ```ts
 * constantSchedule(0.01).value(1000); // 0.01
 * ```
 */
export function constantSchedule(value: number, options: { unit?: ScheduleUnit } = {}): Schedule {
  checkPositive('constantSchedule', 'value', value, true);
  return new FunctionSchedule('constantSchedule', checkUnit('constantSchedule', options.unit), () => value);
}

/**
 * Step decay: `initial · factor^⌊t / every⌋`.
 *
 * @example
 * ```ts
 * const s = stepDecay({ initial: 0.1, factor: 0.5, every: 10, unit: 'epoch' });
 * s.value(25); // 0.025
 * ```
 */
export function stepDecay(options: { initial: number; factor: number; every: number; unit?: ScheduleUnit }): Schedule {
  const { initial, factor, every } = options ?? ({} as never);
  checkPositive('stepDecay', 'initial', initial, true);
  checkPositive('stepDecay', 'factor', factor);
  if (!Number.isInteger(every) || every <= 0) throw new RangeError(`stepDecay: every must be a positive integer, got ${String(every)}`);
  return new FunctionSchedule('stepDecay', checkUnit('stepDecay', options.unit), (t) => initial * factor ** Math.floor(t / every));
}

/**
 * Exponential decay: `initial · rate^(t / steps)`.
 *
 * @example
 * ```ts
 * exponentialDecay({ initial: 0.1, rate: 0.96, steps: 1000 }).value(2000); // 0.092
 * ```
 */
export function exponentialDecay(options: { initial: number; rate: number; steps: number; unit?: ScheduleUnit }): Schedule {
  const { initial, rate, steps } = options ?? ({} as never);
  checkPositive('exponentialDecay', 'initial', initial, true);
  checkPositive('exponentialDecay', 'rate', rate);
  checkPositive('exponentialDecay', 'steps', steps);
  return new FunctionSchedule('exponentialDecay', checkUnit('exponentialDecay', options.unit), (t) => initial * rate ** (t / steps));
}

/**
 * Cosine decay from `initial` to `final` over `steps`, then `final`:
 * `final + (initial − final) · (1 + cos(π · t / steps)) / 2`.
 *
 * @example
 * ```ts
 * const s = cosineDecay({ initial: 0.1, steps: 100 });
 * s.value(50); // 0.05
 * ```
 */
export function cosineDecay(options: { initial: number; steps: number; final?: number; unit?: ScheduleUnit }): Schedule {
  const { initial, steps } = options ?? ({} as never);
  const final = options?.final ?? 0;
  checkPositive('cosineDecay', 'initial', initial, true);
  checkPositive('cosineDecay', 'final', final, true);
  checkPositive('cosineDecay', 'steps', steps);
  return new FunctionSchedule('cosineDecay', checkUnit('cosineDecay', options.unit), (t) =>
    t >= steps ? final : final + ((initial - final) * (1 + Math.cos((Math.PI * t) / steps))) / 2);
}

/**
 * Linear warm-up in front of another schedule: for t < steps the rate rises linearly from
 * `from` (0 by default) towards `inner.value(0)`; from then on it is `inner.value(t − steps)`.
 *
 * @example
 * ```ts
 * const s = warmup(cosineDecay({ initial: 0.1, steps: 900 }), { steps: 100 });
 * s.value(50);   // 0.05
 * s.value(100);  // 0.1
 * ```
 */
export function warmup(inner: Schedule, options: { steps: number; from?: number }): Schedule {
  if (typeof inner !== 'object' || inner === null || typeof inner.value !== 'function') throw new TypeError('warmup: the first argument must be a schedule');
  const steps = options?.steps;
  if (!Number.isInteger(steps) || steps <= 0) throw new RangeError(`warmup: steps must be a positive integer, got ${String(steps)}`);
  const from = options.from ?? 0;
  checkPositive('warmup', 'from', from, true);
  return new FunctionSchedule('warmup', inner.unit, (t) => {
    if (t >= steps) return inner.value(t - steps);
    const peak = inner.value(0);
    return from + ((peak - from) * t) / steps;
  });
}

/**
 * Schedules one after another (Optax's join_schedules): `schedules[i]` runs from
 * `boundaries[i − 1]` and sees t counted from its own start.
 *
 * @example
 * ```ts
 * const s = joinSchedules([constantSchedule(0.1), cosineDecay({ initial: 0.1, steps: 90 })], [10]);
 * ```
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  if (!Array.isArray(schedules) || schedules.length === 0) throw new TypeError(`joinSchedules: needs a non-empty array of schedules, got ${Array.isArray(schedules) ? 'an empty array' : kindOf(schedules)}`);
  if (!Array.isArray(boundaries) || boundaries.length !== schedules.length - 1) {
    throw new RangeError(`joinSchedules: ${schedules.length} schedules need ${schedules.length - 1} boundaries, got ${Array.isArray(boundaries) ? boundaries.length : typeof boundaries}`);
  }
  boundaries.forEach((b, i) => {
    if (!Number.isFinite(b) || b <= 0 || (i > 0 && b <= boundaries[i - 1]!)) throw new RangeError(`joinSchedules: boundaries must be positive and increasing, got [${boundaries.join(', ')}]`);
  });
  const unit = schedules[0]!.unit;
  if (schedules.some((s) => s.unit !== unit)) throw new Error('joinSchedules: all schedules must count in the same unit (step or epoch)');
  return new FunctionSchedule('joinSchedules', unit, (t) => {
    let i = 0;
    while (i < boundaries.length && t >= boundaries[i]!) i++;
    return schedules[i]!.value(i === 0 ? t : t - boundaries[i - 1]!);
  });
}
