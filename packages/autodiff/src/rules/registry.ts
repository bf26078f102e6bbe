import type { OpName } from '@symgrad/core';
import { elementwiseGradients } from './elementwise.js';
import { indexingGradients } from './indexing.js';
import { linalgGradients } from './linalg.js';
import { movementGradients } from './movement.js';
import { nnetGradients } from './nnet.js';
import { randomGradients } from './random.js';
import { reduceGradients } from './reduce.js';
import type { GradientRule, GradientTable } from './types.js';

/** The built-in rules of every core op, by family. */
const BUILTIN: GradientTable = {
  ...elementwiseGradients,
  ...reduceGradients,
  ...linalgGradients,
  ...movementGradients,
  ...indexingGradients,
  ...nnetGradients,
  ...randomGradients,
};

const overrides = new Map<string, GradientRule>();

/**
 * Registers the gradient rule of an op: a custom op (declared with `defineOp`) or an
 * override of a built-in rule. Returns a function that restores the previous rule.
 *
 * @example
 * ```ts
 * import { T } from '@symgrad/core';
 * import { registerGradient, notDifferentiable } from '@symgrad/autodiff';
 * // A straight-through estimator for sign:
 * const restore = registerGradient('sign', (_node, [g]) => [g!]);
 * // …
 * restore();
 * registerGradient('myRound', notDifferentiable);
 * ```
 */
export function registerGradient<N extends OpName>(opName: N, rule: GradientRule<N>): () => void;
export function registerGradient(opName: string, rule: GradientRule): () => void;
export function registerGradient(opName: string, rule: GradientRule): () => void {
  const had = overrides.has(opName);
  const previous = overrides.get(opName);
  overrides.set(opName, rule);
  return () => {
    if (overrides.get(opName) !== rule) return;
    if (had) overrides.set(opName, previous!);
    else overrides.delete(opName);
  };
}

/**
 * The gradient rule of an op: a registered one, else the built-in one, else `undefined`.
 *
 * @example
 * ```ts
 * getGradientRule('exp');    // a pullback
 * getGradientRule('argmax'); // notDifferentiable
 * ```
 */
export function getGradientRule(opName: string): GradientRule | undefined {
  return overrides.get(opName) ?? (BUILTIN as Record<string, GradientRule | undefined>)[opName];
}

/** Whether a registered rule replaces the built-in one of `opName`. @internal */
export function hasOverride(opName: string): boolean {
  return overrides.has(opName);
}
