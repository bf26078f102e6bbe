import type { TypedArray } from '../ir/dtype.js';
import { atSite } from '../ir/call-site.js';
import { GraphError, topoSort } from '../ir/graph.js';
import { getOp, OpTypeError, type OpName } from '../ir/op.js';
import { SharedVariable } from '../ir/shared.js';
import { formatShape, isConcrete, sizeOf } from '../ir/type.js';
import { ConstantVariable, Variable, type Apply } from '../ir/variable.js';
import { LoweringContext } from './context.js';
import { OPTIONAL_KERNEL_KINDS, type KernelKind, type Program, type View } from './program.js';
import { elementwiseRules } from './rules/elementwise.js';
import { indexingRules } from './rules/indexing.js';
import { linalgRules } from './rules/linalg.js';
import { movementRules } from './rules/movement.js';
import { nnetRules } from './rules/nnet.js';
import { randomRules } from './rules/random.js';
import { reduceRules } from './rules/reduce.js';
import type { ConcreteType, LowerRule, LowerTable } from './rules/types.js';
import { contiguousView, isContiguous } from './view.js';
import type { KernelSource } from './passes/draft.js';

const RULES: LowerTable = { ...elementwiseRules, ...reduceRules, ...linalgRules, ...movementRules, ...indexingRules, ...nnetRules, ...randomRules };

/** A graph lowered for concrete input shapes, with how the runtime binds its buffers. */
export interface LoweredProgram {
  readonly program: Program;
  /** Buffer of each function input, in order. */
  readonly inputBuffers: readonly number[];
  /** Buffer of each shared variable the program reads or updates. */
  readonly sharedBuffers: ReadonlyMap<SharedVariable, number>;
  /** Data of constant buffers, uploaded once. */
  readonly constants: ReadonlyMap<number, TypedArray>;
  /** Each output: a whole contiguous buffer and its shape. */
  readonly outputs: readonly { buffer: number; shape: readonly number[] }[];
  /** Shared variables whose buffers the program overwrites. */
  readonly updated: readonly SharedVariable[];
  /** Per kernel: the ops it computes and where the user built them. */
  readonly sources: readonly (readonly KernelSource[])[];
}

export interface LowerRequest {
  readonly inputs: readonly Variable[];
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputs: readonly Variable[];
  readonly updates: readonly (readonly [SharedVariable, Variable])[];
  /** The backend's kernel kinds: optional kinds among them may be emitted. Required kinds only when absent. */
  readonly kernels?: readonly KernelKind[];
}

/**
 * Lowers a graph for concrete input shapes into a Program: each op becomes zero or more
 * kernels (views cost nothing), outputs land in their own buffers, and updates are written
 * into the shared variables' buffers after everything else, so every right-hand side
 * sees the old values. The Program is unoptimized (`fn` fuses and plans memory after
 * this): backend tests use it to get kernels of each kind.
 *
 * @example
 * ```ts
 * const x = T.vector('x');
 * const y = T.vector('y');
 * const { program } = lowerGraph({ inputs: [x, y], inputShapes: [[4], [4]], outputs: [x.mul(y).sum()], updates: [] });
 * program.kernels.map((k) => k.kind); // ['elementwise', 'reduce']
 * ```
 */
export function lowerGraph(req: LowerRequest): LoweredProgram {
  const ctx = new LoweringContext(new Set((req.kernels ?? []).filter((k) => OPTIONAL_KERNEL_KINDS.includes(k))));
  const types = new Map<Variable, ConcreteType>();
  const values = new Map<Variable, View>();
  const sharedBuffers = new Map<SharedVariable, number>();
  const sources: KernelSource[][] = [];

  const inputBuffers = req.inputs.map((v, i) => {
    const shape = req.inputShapes[i]!;
    types.set(v, { dtype: v.dtype, shape });
    const view = contiguousView(ctx.newBuffer(v.dtype, sizeOf(shape), 'input'), shape);
    values.set(v, view);
    return view.buffer;
  });
  const sharedView = (s: SharedVariable): View => {
    let b = sharedBuffers.get(s);
    if (b === undefined) {
      b = ctx.newBuffer(s.dtype, sizeOf(s.shape as number[]), 'shared');
      sharedBuffers.set(s, b);
    }
    return contiguousView(b, s.shape as number[]);
  };
  const leaf = (v: Variable): View => {
    const have = values.get(v);
    if (have) return have;
    let view: View;
    if (v instanceof SharedVariable) view = sharedView(v);
    else if (v instanceof ConstantVariable) view = ctx.constant(v.value.data, v.dtype, v.value.shape);
    else throw new GraphError(`lowerGraph: input ${v.describe()} is needed to compute the outputs but is not among the function's inputs${atSite(v.callSite)}`);
    types.set(v, { dtype: v.dtype, shape: view.shape });
    values.set(v, view);
    return view;
  };

  const roots = [...req.outputs, ...req.updates.map(([, rhs]) => rhs)];
  for (const node of topoSort(roots)) {
    const inputs = node.inputs.map((x) => (x.owner ? values.get(x)! : leaf(x)));
    const inTypes = node.inputs.map((x) => types.get(x)!);
    const outTypes = concreteTypes(node, inTypes);
    const rule = RULES[node.op] as LowerRule<OpName> | undefined;
    if (!rule) throw new GraphError(`${node.op}: no lowering rule (internal error)`);
    const before = ctx.kernels.length;
    const outs = rule(ctx, { op: node.op, props: node.props, inputs, inTypes, outTypes, label: node.op });
    for (let k = before; k < ctx.kernels.length; k++) sources[k] = [{ op: node.op, site: node.callSite }];
    node.outputs.forEach((o, i) => {
      types.set(o, outTypes[i]!);
      values.set(o, outs[i]!);
    });
  }

  const tempUsers = new Set<number>();
  const outputs = req.outputs.map((o) => {
    const view = o.owner ? values.get(o)! : leaf(o);
    const spec = ctx.buffers[view.buffer]!;
    const whole = spec.role === 'temp' && view.offset === 0 && isContiguous(view) && sizeOf(view.shape) === spec.size && !tempUsers.has(view.buffer);
    if (whole) {
      tempUsers.add(view.buffer);
      (ctx.buffers as { role: string }[])[view.buffer]!.role = 'output';
      return { buffer: view.buffer, shape: view.shape };
    }
    const dst = contiguousView(ctx.newBuffer(o.dtype, sizeOf(view.shape), 'output'), view.shape);
    ctx.copy(view, dst, 'output');
    return { buffer: dst.buffer, shape: view.shape };
  });

  // A right-hand side that reads a buffer some other update overwrites is staged first.
  const targets = new Set(req.updates.map(([s]) => sharedView(s).buffer));
  const staged = req.updates.map(([s, rhs]) => {
    const view = rhs.owner ? values.get(rhs)! : leaf(rhs);
    const t = sharedView(s);
    checkUpdateShape(s, rhs, view.shape);
    if (targets.has(view.buffer) && view.buffer !== t.buffer) {
      const tmp = ctx.temp(s.dtype, view.shape);
      ctx.copy(view, tmp, 'update.stage');
      return [t, tmp] as const;
    }
    return [t, view] as const;
  });
  for (const [t, view] of staged) {
    if (view.buffer === t.buffer && view.offset === 0 && isContiguous(view)) continue;
    ctx.copy(view, t, 'update');
  }

  for (let k = sources.length; k < ctx.kernels.length; k++) sources[k] = [{ op: 'copy', site: undefined }];
  return {
    program: { buffers: ctx.buffers, kernels: ctx.kernels },
    sources,
    inputBuffers,
    sharedBuffers,
    constants: ctx.constants,
    outputs,
    updated: req.updates.map(([s]) => s),
  };
}

function checkUpdateShape(s: SharedVariable, rhs: Variable, shape: readonly number[]): void {
  const want = s.shape as number[];
  if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
    throw new GraphError(`update of shared variable ${s.label()}: the new value ${rhs.label()} has shape ${formatShape(shape)} at call time, but the variable has shape ${formatShape(want)}${atSite(rhs.callSite)}`);
  }
}

/**
 * Output types of a node for concrete input shapes, enforcing Theano's rule that only
 * axes of static size 1 broadcast: an axis that is 1 only at call time must match.
 */
function concreteTypes(node: Apply, inTypes: readonly ConcreteType[]): ConcreteType[] {
  let outs;
  try {
    outs = getOp(node.op).inferType(inTypes, node.props as never);
  } catch (err) {
    if (err instanceof OpTypeError) {
      const args = node.inputs.map((x, i) => `${x.label()} (${inTypes[i]!.dtype}${formatShape(inTypes[i]!.shape)})`).join(', ');
      throw new GraphError(`${node.op}: ${err.message} at call time; inputs: ${args}${atSite(node.callSite)}`);
    }
    throw err;
  }
  const family = getOp(node.op).family;
  // broadcastLike stays permissive: gradients use it to expand reduced axes whose static size was lost.
  const broadcasting = family === 'elementwise' || node.op === 'broadcastTo';
  if (broadcasting) {
    const out = outs[0]!.shape;
    (family === 'elementwise' ? node.inputs : node.inputs.slice(0, 1)).forEach((x, i) => {
      const shape = inTypes[i]!.shape;
      const off = out.length - shape.length;
      shape.forEach((d, ax) => {
        if (d === 1 && out[off + ax] !== 1 && x.shape[ax] === null) {
          throw new GraphError(
            `${node.op}: input ${x.label()} has size 1 on axis ${ax} at call time and would broadcast to ${out[off + ax]}, ` +
            `but its static shape ${formatShape(x.shape)} does not mark that axis broadcastable; declare it with size 1 (e.g. T.row, or a shape option)${atSite(node.callSite)}`,
          );
        }
      });
    });
  }
  for (const t of outs) {
    if (!isConcrete(t.shape)) throw new GraphError(`${node.op}: output shape ${formatShape(t.shape)} is not concrete (internal error)`);
  }
  return outs as ConcreteType[];
}
