import type { Apply, OpName, Variable } from '@symgrad/core';

/**
 * Marker a pullback returns for an input that does not influence the output's values at
 * all (only its shape is read, e.g. the `like` input of `broadcastLike`). No gradient
 * flows, and a `wrt` reached only through such inputs is disconnected from the cost.
 */
export interface Disconnected {
  readonly marker: 'disconnected';
}

/**
 * Marker for an input (or, used as a whole rule, every input of an op) through which no
 * gradient is defined: comparisons, `argmax`, `oneHot`, `sizeOf`, a cast to an integer
 * dtype, integer labels. The function is piecewise constant there, so a `wrt` reached
 * only through such inputs gets a zero gradient (as Theano and JAX do).
 */
export interface NotDifferentiable {
  readonly marker: 'notDifferentiable';
}

/**
 * The `Disconnected` marker, for an input read only for its shape.
 *
 * @example
 * ```ts
 * registerGradient('myPadLike', (node, [g]) => [unpad(g!), disconnected]);
 * ```
 */
export const disconnected: Disconnected = Object.freeze({ marker: 'disconnected' as const });

/**
 * The `NotDifferentiable` marker: a whole rule (`registerGradient('myRound', notDifferentiable)`)
 * or one input's entry in a pullback's result.
 *
 * @example
 * ```ts
 * registerGradient('myGather', (node, [g]) => [scatterBack(g!, node), notDifferentiable]);
 * ```
 */
export const notDifferentiable: NotDifferentiable = Object.freeze({ marker: 'notDifferentiable' as const });

/** What a pullback returns for one input. */
export type InputGradient = Variable | Disconnected | NotDifferentiable;

/**
 * A reverse-mode rule (a vector–Jacobian product): given the node and one cotangent per
 * output (`undefined` where that output does not reach the cost; at least one is defined),
 * returns one entry per input. Gradients must be built from core ops (so they are
 * optimized and compiled like any graph) and must work with unknown (`null`) dimensions.
 * A returned gradient may have a different float dtype than its input (it is cast), but
 * must already be reduced to the input's shape (see `sumToShape`).
 */
export type Pullback<N extends OpName = OpName> = (node: Apply<N>, cotangents: readonly (Variable | undefined)[]) => readonly InputGradient[];

/** A registered rule: a pullback, or `notDifferentiable` for an op with no gradient at all. */
export type GradientRule<N extends OpName = OpName> = Pullback<N> | NotDifferentiable;

/** A family's rules, typed by op name so each pullback sees its op's props. */
export type GradientTable = { [N in OpName]?: GradientRule<N> };

export function isMarker(x: unknown): x is Disconnected | NotDifferentiable {
  return typeof x === 'object' && x !== null && 'marker' in x;
}
