import type { DType } from '../ir/dtype.js';
import { applyOp, GraphError } from '../ir/graph.js';
import type { SharedVariable } from '../ir/shared.js';
import { Variable } from '../ir/variable.js';
import { NDArray } from '../host/ndarray.js';
import { kindOf } from '../host/kind-of.js';
import { initialRandomState, type RandomDistribution } from '../random/philox.js';
import { shared } from './constructors.js';
import { asVariable, type Operand } from './operand.js';

/** A draw and the state to draw from next (pass it to the next draw or into `updates`). */
export interface RandomDraw {
  readonly values: Variable;
  readonly next: Variable;
}

/** A static shape, or a tensor whose (possibly symbolic) shape the draw takes. */
export type RandomShape = readonly number[] | Variable;

function draw(distribution: RandomDistribution, state: Operand, shape: RandomShape, dtype: DType): RandomDraw {
  const s = asVariable(`random.${distribution}`, state);
  let outs: Variable[];
  if (shape instanceof Variable) outs = applyOp('random', { distribution, dtype, shape: null }, [s, shape]);
  else if (Array.isArray(shape)) outs = applyOp('random', { distribution, dtype, shape: [...shape] }, [s]);
  else throw new GraphError(`random.${distribution}: shape must be an array of sizes or a tensor to take the shape of, got ${kindOf(shape)}`);
  return { values: outs[0]!, next: outs[1]! };
}

/**
 * Counter-based random numbers (Philox-4x32-10) drawn on the backend, as pure functions of
 * an int32[4] state, like JAX's keys: the same state gives the same numbers on every
 * backend. Each draw returns the values and the state after them; keep the state in a
 * shared variable and update it, or use `RandomStreams`, which does this for you.
 *
 * @example
 * ```ts
 * const rng = T.random.state(42, 'rng');           // shared int32[4]
 * const { values: u, next } = T.random.uniform(rng, x); // shaped like x, in (0, 1)
 * const step = fn([x], T.mul(x, T.lt(u, 0.5)), { updates: [[rng, next]] });
 * ```
 */
export const random = {
  /** A shared int32[4] state for a seed (any safe integer): key from the seed, counter 0. */
  state(seed: number, name?: string): SharedVariable {
    return shared(new NDArray('int32', [4], initialRandomState(seed)), name ?? 'rng');
  },
  /** Uniform numbers in the open interval (0, 1). */
  uniform(state: Operand, shape: RandomShape, dtype: DType = 'float32'): RandomDraw {
    return draw('uniform', state, shape, dtype);
  },
  /** Standard normal numbers (Box–Muller). */
  normal(state: Operand, shape: RandomShape, dtype: DType = 'float32'): RandomDraw {
    return draw('normal', state, shape, dtype);
  },
  /** Raw 32-bit words as int32. */
  bits(state: Operand, shape: RandomShape): RandomDraw {
    return draw('bits', state, shape, 'int32');
  },
};

/**
 * Theano's `RandomStreams`: a seeded source of random tensors whose state advances by
 * itself. Each draw chains from the previous one, so draws differ; `updates()` gives the
 * state update to pass to `fn`, after which every call of the function sees new numbers.
 *
 * @example
 * ```ts
 * const srng = new RandomStreams(1234);
 * const noise = srng.normal([3, 4]);
 * const mask = T.lt(srng.uniform(x), 0.8);
 * const f = fn([x], T.add(T.mul(x, mask), noise), { updates: srng.updates() });
 * ```
 */
export class RandomStreams {
  /** The shared int32[4] state the compiled functions read and advance. */
  readonly state: SharedVariable;
  private latest: Variable;

  constructor(seed: number, name = 'rng') {
    this.state = random.state(seed, name);
    this.latest = this.state;
  }

  uniform(shape: RandomShape, dtype: DType = 'float32'): Variable {
    return this.take(random.uniform(this.latest, shape, dtype));
  }

  normal(shape: RandomShape, dtype: DType = 'float32'): Variable {
    return this.take(random.normal(this.latest, shape, dtype));
  }

  bits(shape: RandomShape): Variable {
    return this.take(random.bits(this.latest, shape));
  }

  /** The update that moves the state past every draw so far: `[[state, next]]`, or none before the first draw. */
  updates(): [SharedVariable, Variable][] {
    return this.latest === this.state ? [] : [[this.state, this.latest]];
  }

  private take(d: RandomDraw): Variable {
    this.latest = d.next;
    return d.values;
  }
}
