import { sx, type ScalarExpr } from '../../codegen/scalar-expr.js';
import type { ElementwiseKernel, Kernel, View } from '../program.js';
import { BufferUsers, isTemp, isWhole, type ProgramDraft } from './draft.js';
import { substituteInputs } from './expr-subst.js';

/**
 * The sums of an expression DAG (regions of `add` nodes joined through adds that nothing
 * else reads), each with its terms, and how many references each input index has. Nodes are
 * visited once, so shared subexpressions cost nothing extra.
 */
function sumsOf(root: ScalarExpr): { sums: { root: ScalarExpr; terms: ScalarExpr[] }[]; inputRefs: Map<number, number> } {
  const refs = new Map<ScalarExpr, number>();
  const nodes: ScalarExpr[] = [];
  const visit = (e: ScalarExpr): void => {
    nodes.push(e);
    if (!('args' in e)) return;
    for (const a of e.args) {
      const n = refs.get(a);
      refs.set(a, (n ?? 0) + 1);
      if (n === undefined) visit(a);
    }
  };
  visit(root);
  const inputRefs = new Map<number, number>();
  for (const e of nodes) if (e.op === 'input') inputRefs.set(e.index, (inputRefs.get(e.index) ?? 0) + (refs.get(e) ?? 0));
  // An add read only by another add belongs to that add's sum.
  const inner = (e: ScalarExpr): boolean => e.op === 'add' && refs.get(e) === 1;
  const termsOf = (e: ScalarExpr): ScalarExpr[] => (e.op === 'add' ? e.args.flatMap((a) => (inner(a) ? termsOf(a) : [a])) : [e]);
  const innerAdds = new Set(nodes.filter((e) => e.op === 'add').flatMap((e) => ('args' in e ? e.args.filter(inner) : [])));
  const sums = nodes.filter((e) => e.op === 'add' && !innerAdds.has(e)).map((e) => ({ root: e, terms: termsOf(e) }));
  return { sums, inputRefs };
}

const isElementwise = (k: Kernel | undefined): k is ElementwiseKernel => k?.kind === 'elementwise';

/**
 * A slice padded with zeros: a temp buffer that one kernel fills with 0 and a later one
 * copies a tensor into a view of (core's lowering of padSlice, a slice's gradient), read by
 * nothing but `reader`.
 */
interface PaddedSlice {
  readonly buffer: number;
  readonly zeros: number;
  readonly copy: number;
  /** Where the copy writes, and what it reads. */
  readonly view: View;
  readonly source: View;
}

function paddedSlice(d: ProgramDraft, users: BufferUsers, input: View, reader: number): PaddedSlice | undefined {
  const b = input.buffer;
  if (!isTemp(d, b) || !isWhole(d, input)) return undefined;
  const { readers, writers } = users.of(b);
  if (readers.length !== 1 || readers[0] !== reader || writers.length !== 2) return undefined;
  const [zeros, copy] = writers as [number, number];
  const z = d.kernels[zeros];
  const c = d.kernels[copy];
  if (!isElementwise(z) || !isElementwise(c) || z.inputs.length !== 0 || z.outputs.length !== 1 || c.inputs.length !== 1 || c.outputs.length !== 1) return undefined;
  const [ze, ce] = [z.exprs[0]!, c.exprs[0]!];
  if (ze.op !== 'const' || ze.value !== 0 || !isWhole(d, z.outputs[0]!)) return undefined;
  if (ce.op !== 'input' || ce.dtype !== d.buffers[b]!.dtype || c.inputs[0]!.buffer === b) return undefined;
  return { buffer: b, zeros, copy, view: c.outputs[0]!, source: c.inputs[0]! };
}

/**
 * Sums of zero-padded slices accumulate into one buffer. The gradient of a tensor read
 * through several slices (a convolution's im2col windows) is the sum of each slice's
 * gradient padded with zeros to the tensor's shape: one buffer filled with zeros and one
 * copy per slice, then a kernel adding them all. Here the first padded slice's buffer takes
 * the others: each later copy becomes `acc[view] = acc[view] + g`, their zero fills and
 * buffers go, and the sum (fused into any kernel, beside other terms) reads the one buffer. For a
 * 3×3 convolution that is one zero fill and nine slice-sized kernels instead of nine buffers
 * the size of the input, nine fills and a nine-way sum.
 */
export function accumulateSlices(d: ProgramDraft): boolean {
  const users = new BufferUsers(d);
  let any = false;
  kernels: for (let i = 0; i < d.kernels.length; i++) {
    const k = d.kernels[i];
    if (!isElementwise(k) || k.outputs.length !== 1) continue;
    const root = k.exprs[0]!;
    const { sums, inputRefs } = sumsOf(root);
    for (const { root: sum, terms } of sums) {
      const dtype = sum.dtype;
      // The sum's terms that are padded slices (each input read here only), of one buffer size.
      const slices = terms.flatMap((e) => {
        if (e.op !== 'input' || inputRefs.get(e.index) !== 1) return [];
        const p = paddedSlice(d, users, k.inputs[e.index]!, i);
        return p && d.buffers[p.buffer]!.dtype === dtype ? [{ ...p, term: e }] : [];
      });
      const size = slices.length > 0 ? d.buffers[slices[0]!.buffer]!.size : 0;
      const same = slices.filter((p) => d.buffers[p.buffer]!.size === size).sort((a, b) => a.copy - b.copy);
      if (same.length < 2) continue;
      // The accumulator is the slice copied first; every other copy comes after it.
      const acc = same[0]!;
      const rest = same.slice(1);
      for (const p of rest) {
        const view: View = { ...p.view, buffer: acc.buffer };
        users.replace(p.zeros, d.kernels[p.zeros], undefined);
        d.kernels[p.zeros] = undefined;
        const copy: ElementwiseKernel = {
          kind: 'elementwise', shape: [...view.shape], inputs: [view, p.source], outputs: [view],
          exprs: [sx.binary('add', sx.input(0, dtype), sx.input(1, dtype), dtype)], label: `${(d.kernels[p.copy] as ElementwiseKernel).label}+accumulate`,
        };
        users.replace(p.copy, d.kernels[p.copy], copy);
        d.kernels[p.copy] = copy;
      }
      const gone = new Set<ScalarExpr>(rest.map((p) => p.term));
      const kept = terms.filter((e) => !gone.has(e)).reduce((a, b) => sx.binary('add', a, b, dtype));
      const dropped = new Set(rest.map((p) => (p.term as { index: number }).index));
      const index = new Map(k.inputs.map((_, t) => t).filter((t) => !dropped.has(t)).map((t, n) => [t, n]));
      const memo = new Map<ScalarExpr, ScalarExpr>();
      const rebuild = (e: ScalarExpr): ScalarExpr => {
        if (e === sum) return kept;
        const hit = memo.get(e);
        if (hit) return hit;
        const r = 'args' in e ? ({ ...e, args: e.args.map(rebuild) } as unknown as ScalarExpr) : e;
        memo.set(e, r);
        return r;
      };
      const expr = substituteInputs(rebuild(root), (t, dt) => sx.input(index.get(t)!, dt));
      const next: ElementwiseKernel = { ...k, inputs: k.inputs.filter((_, t) => !dropped.has(t)), exprs: [expr] };
      users.replace(i, k, next);
      d.kernels[i] = next;
      any = true;
      // The same kernel again: its other sums, with the index up to date.
      i--;
      continue kernels;
    }
  }
  return any;
}
