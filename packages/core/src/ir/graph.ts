import { Apply, Variable } from './variable.js';
import { getOp, OpTypeError, type OpName, type OpProps } from './op.js';
import { atSite, captureCallSite } from './call-site.js';
import { formatType } from './type.js';
import { kindOf } from '../host/kind-of.js';

/**
 * A user mistake in building or running a graph; the message names ops, inputs, shapes and
 * call sites, so it can be shown as it is.
 *
 * @example
 * ```ts
 * try {
 *   T.add(tensor('float32', [2, 3], 'a'), tensor('float32', [4], 'b'));
 * } catch (e) {
 *   if (e instanceof GraphError) console.error(e.message); // "add: shapes [2, 3] and [4] cannot be broadcast (axis -1: 3 vs 4); inputs: 'a' (float32[2, 3]), 'b' (float32[4]) (built at …)"
 * }
 * ```
 */
export class GraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphError';
  }
}

/**
 * Applies an op to inputs: infers output types (throwing a GraphError that names the op,
 * its inputs and the user's call site) and returns the output variables. For ops with
 * several outputs; `apply1` is the single-output form.
 *
 * @example
 * ```ts
 * const [draw, next] = applyOp('random', { distribution: 'normal', dtype: 'float32', shape: [2, 3] }, [T.random.state(42)]);
 * // draw: float32[2, 3]; next: the int32[4] state after the draw
 * ```
 */
export function applyOp<N extends OpName>(op: N, props: OpProps[N], inputs: readonly Variable[], site: string | undefined = captureCallSite()): Variable[] {
  const def = getOp(op);
  const arity = def.arity;
  const okArity = typeof arity === 'number' ? inputs.length === arity : inputs.length >= arity.min;
  if (!okArity) {
    const want = typeof arity === 'number' ? `${arity}` : `at least ${arity.min}`;
    throw new GraphError(`${op}: expected ${want} inputs, got ${inputs.length}${atSite(site)}`);
  }
  inputs.forEach((x, i) => {
    if (!(x instanceof Variable)) throw new GraphError(`${op}: input ${i} is not a symbolic variable (got ${kindOf(x)})${atSite(site)}`);
  });
  let types;
  try {
    types = def.inferType(inputs.map((v) => v.type), props);
  } catch (err) {
    if (err instanceof OpTypeError) {
      throw new GraphError(`${op}: ${err.message}; inputs: ${inputs.map((v) => v.describe()).join(', ')}${atSite(site)}`);
    }
    throw err;
  }
  const node = new Apply(op, props, inputs, site);
  node.outputs = types.map((t, i) => new Variable(t, 'result', { owner: node, outputIndex: i, ...(site === undefined ? {} : { callSite: site }) }));
  return node.outputs;
}

/**
 * Applies a single-output op: how every `T` function and rewrite builds its node.
 *
 * @example
 * ```ts
 * const xwT = apply1('matmul', { transA: false, transB: true }, [x, w]); // x · wᵀ with no transpose node
 * ```
 */
export function apply1<N extends OpName>(op: N, props: OpProps[N], inputs: readonly Variable[], site?: string): Variable {
  return applyOp(op, props, inputs, site ?? captureCallSite())[0]!;
}

/**
 * Apply nodes needed to compute `outputs`, inputs before users (a topological order).
 * Iterative, so deep graphs do not overflow the stack.
 *
 * @example
 * ```ts
 * const loss = T.relu(T.dot(x, w)).sum();
 * topoSort([loss]).map((node) => node.op); // ['matmul', 'relu', 'sum']
 * ```
 */
export function topoSort(outputs: readonly Variable[]): Apply[] {
  const order: Apply[] = [];
  const state = new Map<Apply, 1 | 2>();
  for (const root of outputs) {
    if (!root.owner) continue;
    const stack: [Apply, number][] = [[root.owner, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      if (i === 0) {
        if (state.get(node) === 2) { stack.pop(); continue; }
        state.set(node, 1);
      }
      if (i < node.inputs.length) {
        top[1]++;
        const owner = node.inputs[i]!.owner;
        if (owner && state.get(owner) !== 2) {
          if (state.get(owner) === 1) throw new GraphError(`topoSort: the graph has a cycle through a '${owner.op}' node${atSite(owner.callSite)}`);
          stack.push([owner, 0]);
        }
      } else {
        state.set(node, 2);
        order.push(node);
        stack.pop();
      }
    }
  }
  return order;
}

/**
 * Variables without an owner (inputs, constants, shared variables) that `outputs` depend
 * on: what a function must be given or holds, e.g. the parameters to differentiate.
 *
 * @example
 * ```ts
 * const params = graphLeaves([loss]).filter((v) => v instanceof SharedVariable);
 * ```
 */
export function graphLeaves(outputs: readonly Variable[]): Variable[] {
  const seen = new Set<Variable>();
  const leaves: Variable[] = [];
  const add = (v: Variable): void => {
    if (!v.owner && !seen.has(v)) {
      seen.add(v);
      leaves.push(v);
    }
  };
  outputs.forEach(add);
  for (const node of topoSort(outputs)) node.inputs.forEach(add);
  return leaves;
}

/**
 * Rebuilds the graph of `outputs` with some variables replaced (Theano's `clone` with
 * `replace`/`givens`). Replacements must have the same dtype and rank; nodes that do not
 * depend on a replaced variable are kept as they are.
 *
 * @example
 * ```ts
 * const xTest = T.matrix('xTest');
 * const [lossTest] = cloneReplace([loss], new Map([[x, xTest]])); // `loss` itself is unchanged
 * ```
 */
export function cloneReplace(outputs: readonly Variable[], replace: ReadonlyMap<Variable, Variable>): Variable[] {
  for (const [from, to] of replace) {
    if (from.dtype !== to.dtype || from.ndim !== to.ndim) {
      throw new GraphError(`replace: ${from.describe()} cannot be replaced by ${to.describe()}: dtype and rank must match`);
    }
  }
  const map = new Map<Variable, Variable>(replace);
  for (const node of topoSort(outputs)) {
    if (node.outputs.some((o) => map.has(o))) continue;
    const inputs = node.inputs.map((x) => map.get(x) ?? x);
    if (inputs.every((x, i) => x === node.inputs[i])) continue;
    const outs = applyOp(node.op, node.props, inputs, node.callSite);
    node.outputs.forEach((o, i) => {
      const n = outs[i]!;
      n.name = o.name;
      map.set(o, n);
    });
  }
  return outputs.map((o) => map.get(o) ?? o);
}

export { formatType };
