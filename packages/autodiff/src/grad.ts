import { apply1, atSite, constant, formatShape, GraphError, isFloat, kindOf, T, topoSort, Variable, type Apply } from '@symgrad/core';
import { castLike, withStaticShape, zerosLike } from './rules/helpers.js';
import { getGradientRule, hasOverride } from './rules/registry.js';
import { isMarker, type InputGradient } from './rules/types.js';

/**
 * What `grad` does with a `wrt` the cost does not depend on: `'raise'` (the default, as
 * Theano) throws naming it, `'zero'` returns zeros shaped like it, `'ignore'` returns
 * `undefined` in its place (as PyTorch's `allow_unused`).
 */
export type DisconnectedPolicy = 'raise' | 'zero' | 'ignore';

export interface GradOptions {
  readonly disconnected?: DisconnectedPolicy;
}

/**
 * The symbolic gradient of a scalar float `cost` with respect to one or several float
 * variables (inputs, shared variables or intermediate results), by reverse-mode
 * accumulation over the graph: cotangents that meet at a variable are summed, and each op's
 * pullback (see `registerGradient`) maps its outputs' cotangents to its inputs'. The result
 * is an ordinary graph of core ops, compiled with `fn` like any other, and it works with
 * unknown (`null`) dimensions. Gradients of gradients work too (every op a rule emits has a
 * rule).
 *
 * Integer and bool paths carry no gradient (e.g. `where`'s condition, labels); a `wrt`
 * reached only through such paths or through non-differentiable ops (comparisons, argmax,
 * a cast to int) gets zeros, the gradient of a piecewise constant function. A `wrt` the
 * cost does not depend on at all (or reads only for its shape) is disconnected: see
 * `GradOptions.disconnected`.
 *
 * `categoricalCrossentropy(softmax(z), labels)` with int labels (softmax on the last axis)
 * sends its cotangent straight to the logits as `softmaxCrossEntropyGrad(z, labels, g)`,
 * i.e. (softmax(z) − onehot(labels))·g: stable when a probability underflows, and fused by
 * the compiler with the forward loss (which core's stabilize rewrite turns into
 * `softmaxCrossEntropy`). Other uses of the softmax output still get their own gradients.
 *
 * Subgradients at kinks: relu'(0) = 0, abs'(0) = 0; max/min reductions split the cotangent
 * evenly among tied extrema (as TensorFlow); maximum/minimum ties split it half/half
 * (as PyTorch); argmax has none.
 *
 * @example
 * ```ts
 * import { T, fn, shared } from '@symgrad/core';
 * import { grad } from '@symgrad/autodiff';
 * const x = T.matrix('x');
 * const y = T.ivector('y');
 * const w = shared(NDArray.zeros([784, 10]), 'w');
 * const loss = T.mean(T.categoricalCrossentropy(T.softmax(T.dot(x, w)), y));
 * const gw = grad(loss, w);                     // a Variable shaped like w
 * const train = fn([x, y], loss, { updates: [[w, w.sub(gw.mul(0.1))]] });
 * const [ga, gb] = grad(cost, [a, b]);          // the input form is mirrored
 * ```
 */
export function grad(cost: Variable, wrt: Variable, opts?: { disconnected?: 'raise' | 'zero' }): Variable;
export function grad(cost: Variable, wrt: readonly Variable[], opts?: { disconnected?: 'raise' | 'zero' }): Variable[];
export function grad(cost: Variable, wrt: Variable, opts: GradOptions): Variable | undefined;
export function grad(cost: Variable, wrt: readonly Variable[], opts: GradOptions): (Variable | undefined)[];
export function grad(cost: Variable, wrt: Variable | readonly Variable[], opts: GradOptions = {}): Variable | undefined | (Variable | undefined)[] {
  const single = !Array.isArray(wrt);
  const list: readonly Variable[] = single ? [wrt as Variable] : (wrt as readonly Variable[]);
  const policy = opts.disconnected ?? 'raise';
  if (!['raise', 'zero', 'ignore'].includes(policy)) {
    throw new GraphError(`grad: unknown disconnected policy '${String(policy)}' (use 'raise', 'zero' or 'ignore')`);
  }
  checkCost(cost);
  list.forEach((w, i) => checkWrt(w, i, single));
  const out = gradients(cost, list, policy, single);
  return single ? out[0] : out;
}

function checkCost(cost: Variable): void {
  if (!(cost instanceof Variable)) {
    throw new GraphError(`grad: the cost must be a symbolic variable, got ${kindOf(cost)}`);
  }
  if (cost.ndim !== 0) {
    throw new GraphError(
      `grad: the cost must be a scalar (0-d), got ${cost.describe()} with ${cost.ndim} dimension${cost.ndim === 1 ? '' : 's'}; ` +
      `reduce it first (e.g. T.sum or T.mean), or use jacobian for a non-scalar output${atSite(cost.callSite)}`,
    );
  }
  if (!isFloat(cost.dtype)) {
    throw new GraphError(`grad: the cost must be a float scalar, got ${cost.describe()}; cast it with T.cast(…, 'float32')${atSite(cost.callSite)}`);
  }
}

function checkWrt(w: Variable, i: number, single: boolean): void {
  const which = single ? 'wrt' : `wrt[${i}]`;
  if (!(w instanceof Variable)) throw new GraphError(`grad: ${which} must be a symbolic variable, got ${kindOf(w)}`);
  if (!isFloat(w.dtype)) {
    throw new GraphError(
      `grad: cannot differentiate with respect to ${which} ${w.describe()}: its dtype is ${w.dtype}, and gradients exist only for float variables (float32, float64)${atSite(w.callSite)}`,
    );
  }
}

function gradients(cost: Variable, wrt: readonly Variable[], policy: DisconnectedPolicy, single: boolean): (Variable | undefined)[] {
  const nodes = topoSort([cost]);
  // `dep`: variables that depend on some wrt at all; `live`: that depend differentiably (float, through rules).
  const dep = new Set<Variable>(wrt);
  const live = new Set<Variable>(wrt);
  for (const node of nodes) {
    if (!node.inputs.some((x) => dep.has(x))) continue;
    node.outputs.forEach((o) => dep.add(o));
    const rule = getGradientRule(node.op);
    if ((rule !== undefined && typeof rule !== 'function') || !node.inputs.some((x) => live.has(x))) continue;
    node.outputs.forEach((o) => { if (isFloat(o.dtype)) live.add(o); });
  }

  const parts = new Map<Variable, Variable[]>();
  const totals = new Map<Variable, Variable>();
  const reached = new Set<Variable>([cost]);
  const total = (v: Variable): Variable | undefined => {
    const have = totals.get(v);
    if (have) return have;
    const list = parts.get(v);
    if (!list) return undefined;
    const sum = withStaticShape(list.reduce((a, b) => T.add(a, b)), v);
    totals.set(v, sum);
    return sum;
  };
  if (live.has(cost)) parts.set(cost, [constant(1, cost.dtype)]);

  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    if (!node.inputs.some((x) => dep.has(x)) || !node.outputs.some((o) => reached.has(o))) continue;
    const cotangents = node.outputs.map(total);
    const fused = softmaxCrossEntropyShortcut(node, cotangents[0], wrt);
    if (fused) {
      node.inputs.forEach((x) => { if (dep.has(x)) reached.add(x); });
      if (live.has(fused.z)) {
        reached.add(fused.z);
        parts.set(fused.z, [...(parts.get(fused.z) ?? []), fused.grad]);
      }
      continue;
    }
    const rule = getGradientRule(node.op);
    if (!cotangents.some((g) => g !== undefined) || (rule !== undefined && typeof rule !== 'function')) {
      node.inputs.forEach((x) => { if (dep.has(x)) reached.add(x); });
      continue;
    }
    if (!rule) throw noRule(node);
    const results = rule(node as never, cotangents);
    if (!Array.isArray(results) || results.length !== node.inputs.length) {
      throw new GraphError(`grad: the gradient rule of '${node.op}' returned ${Array.isArray(results) ? results.length : typeof results} entries for ${node.inputs.length} inputs${atSite(node.callSite)}`);
    }
    node.inputs.forEach((x, i) => {
      if (!dep.has(x)) return;
      const r = results[i] as InputGradient;
      if (isMarker(r)) {
        if (r.marker === 'notDifferentiable') reached.add(x);
        return;
      }
      reached.add(x);
      if (!live.has(x)) return;
      checkResult(node, i, x, r);
      const list = parts.get(x) ?? [];
      list.push(castLike(r, x));
      parts.set(x, list);
    });
  }

  return wrt.map((w, i) => {
    const g = total(w);
    if (g) return g;
    if (reached.has(w)) return zerosLike(w);
    if (policy === 'zero') return zerosLike(w);
    if (policy === 'ignore') return undefined;
    throw new GraphError(
      `grad: the cost ${cost.describe()} does not depend on ${single ? 'wrt' : `wrt[${i}]`} ${w.describe()}; ` +
      `pass { disconnected: 'zero' } for a zero gradient or { disconnected: 'ignore' } for undefined${atSite(w.callSite)}`,
    );
  });
}

/**
 * For categoricalCrossentropy(softmax(z, last axis), int labels): the cotangent of z as
 * softmaxCrossEntropyGrad(z, labels, g), skipping the softmax output (unless it is a `wrt`
 * or a rule involved was overridden).
 */
function softmaxCrossEntropyShortcut(node: Apply, g: Variable | undefined, wrt: readonly Variable[]): { z: Variable; grad: Variable } | undefined {
  if (node.op !== 'categoricalCrossentropy' || !g) return undefined;
  const [p, labels] = node.inputs as [Variable, Variable];
  const sm = p.owner;
  if (!sm || sm.op !== 'softmax' || labels.dtype !== 'int32' || wrt.includes(p)) return undefined;
  if ((sm.props as { axis: number }).axis !== p.ndim - 1) return undefined;
  if (['categoricalCrossentropy', 'softmax', 'softmaxCrossEntropy', 'softmaxCrossEntropyGrad'].some(hasOverride)) return undefined;
  const z = sm.inputs[0]!;
  return { z, grad: castLike(apply1('softmaxCrossEntropyGrad', {}, [z, labels, castLike(g, z)]), z) };
}

function noRule(node: Apply): GraphError {
  const out = node.outputs.map((o) => o.describe()).join(', ');
  return new GraphError(
    `grad: op '${node.op}' has no gradient rule, and the cost depends on its output ${out} through a differentiable path; ` +
    `register one with registerGradient('${node.op}', …) or mark it with notDifferentiable${atSite(node.callSite)}`,
  );
}

function checkResult(node: Apply, i: number, x: Variable, r: unknown): asserts r is Variable {
  if (!(r instanceof Variable)) {
    throw new GraphError(`grad: the gradient rule of '${node.op}' returned ${kindOf(r)} for input ${i} ${x.describe()} (expected a Variable, disconnected or notDifferentiable)${atSite(node.callSite)}`);
  }
  if (!isFloat(r.dtype) || r.ndim !== x.ndim || r.shape.some((d, k) => d !== null && x.shape[k] !== null && d !== x.shape[k])) {
    throw new GraphError(
      `grad: the gradient rule of '${node.op}' returned ${r.describe()} for input ${i} ${x.describe()}; ` +
      `a gradient must be a float tensor with the input's shape ${formatShape(x.shape)} (reduce broadcast cotangents with sumToShape)${atSite(node.callSite)}`,
    );
  }
}
