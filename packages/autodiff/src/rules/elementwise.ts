/**
 * Gradients of elementwise ops. Binary ops broadcast (Theano-style: only static size-1
 * dims), so each operand's gradient is reduced back to its static shape with `sumToShape`.
 *
 * Subgradients at kinks: `relu'(0) = 0`, `abs'(0) = 0` (via `sign(0) = 0`), and for
 * `maximum`/`minimum` a tie splits the cotangent half/half between the operands (as
 * PyTorch). `sign` and the comparisons are piecewise constant: not differentiable.
 */
import { isFloat, T, type Apply, type Variable } from '@symgrad/core';
import { castLike, reduceLike } from './helpers.js';
import { notDifferentiable, type GradientTable, type InputGradient } from './types.js';

type Unary = (x: Variable, z: Variable, g: Variable) => Variable;

function unary(f: Unary) {
  return (node: Apply, [g]: readonly (Variable | undefined)[]): InputGradient[] => {
    const x = node.inputs[0]!;
    return [castLike(f(x, node.outputs[0]!, g!), x)];
  };
}

type Binary = (a: Variable, b: Variable, z: Variable, g: Variable) => [Variable, Variable];

function binary(f: Binary) {
  return (node: Apply, [g]: readonly (Variable | undefined)[]): InputGradient[] => {
    const [a, b] = node.inputs as [Variable, Variable];
    const [ga, gb] = f(a, b, node.outputs[0]!, g!);
    return [reduceLike(ga, a), reduceLike(gb, b)];
  };
}

/** The share of a tie-broken extremum: 1 where `a` wins, ½ on ties, 0 where it loses. */
function winShare(a: Variable, b: Variable, wins: 'gt' | 'lt', dtype: Variable['dtype']): Variable {
  return T.add(T.cast(T[wins](a, b), dtype), T.mul(T.cast(T.eq(a, b), dtype), 0.5));
}

/** Built-in gradient rules and markers of the elementwise ops (unary, binary, comparisons, where, cast). */
export const elementwiseGradients: GradientTable = {
  neg: unary((_x, _z, g) => T.neg(g)),
  exp: unary((_x, z, g) => T.mul(g, z)),
  log: unary((x, _z, g) => T.div(g, x)),
  log1p: unary((x, _z, g) => T.div(g, T.add(x, 1))),
  expm1: unary((_x, z, g) => T.mul(g, T.add(z, 1))),
  sqrt: unary((_x, z, g) => T.div(T.mul(g, 0.5), z)),
  /** z = x^(−½): dz/dx = −½·z/x. */
  rsqrt: unary((x, z, g) => T.mul(T.mul(g, -0.5), T.div(z, x))),
  square: unary((x, _z, g) => T.mul(T.mul(g, 2), x)),
  /** Subgradient 0 at x = 0 (sign(0) = 0). */
  abs: unary((x, _z, g) => T.mul(g, T.sign(x))),
  sign: () => [notDifferentiable],
  tanh: unary((_x, z, g) => T.mul(g, T.sub(1, T.square(z)))),
  sigmoid: unary((_x, z, g) => T.mul(g, T.mul(z, T.sub(1, z)))),
  /**
   * Subgradient 0 at x = 0. The mask reads the output (relu(x) > 0 ⇔ x > 0), so the
   * pre-activation need not stay alive for the backward pass (it can live only inside a
   * matmul epilogue).
   */
  relu: unary((_x, z, g) => T.where(T.gt(z, 0), g, 0)),

  add: binary((_a, _b, _z, g) => [g, g]),
  sub: binary((_a, _b, _z, g) => [g, T.neg(g)]),
  mul: binary((a, b, _z, g) => [T.mul(g, b), T.mul(g, a)]),
  div: binary((_a, b, z, g) => [T.div(g, b), T.neg(T.div(T.mul(g, z), b))]),
  /** d/da = b·a^(b−1); d/db = log(a)·a^b (NaN for a < 0, where a^b is not differentiable in b). */
  pow: binary((a, b, z, g) => [T.mul(T.mul(g, b), T.pow(a, T.sub(b, 1))), T.mul(T.mul(g, z), T.log(a))]),
  /** Ties split the cotangent half/half (as PyTorch). */
  maximum: binary((a, b, z, g) => [T.mul(g, winShare(a, b, 'gt', z.dtype)), T.mul(g, winShare(b, a, 'gt', z.dtype))]),
  /** Ties split the cotangent half/half (as PyTorch). */
  minimum: binary((a, b, z, g) => [T.mul(g, winShare(a, b, 'lt', z.dtype)), T.mul(g, winShare(b, a, 'lt', z.dtype))]),

  lt: notDifferentiable, le: notDifferentiable, gt: notDifferentiable,
  ge: notDifferentiable, eq: notDifferentiable, ne: notDifferentiable,

  /** The condition gets none; each branch gets the cotangent where it was chosen. */
  where: (node, [g]) => {
    const [c, a, b] = node.inputs as [Variable, Variable, Variable];
    return [notDifferentiable, reduceLike(T.where(c, g!, 0), a), reduceLike(T.where(c, 0, g!), b)];
  },
  /** float → float casts back; casts to or from an integer dtype carry no gradient. */
  cast: (node, [g]) => {
    const x = node.inputs[0]!;
    if (!isFloat(x.dtype) || !isFloat(node.props.dtype)) return [notDifferentiable];
    return [T.cast(g!, x.dtype)];
  },
};
