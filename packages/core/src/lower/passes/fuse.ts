import { sx, type ScalarExpr } from '../../codegen/scalar-expr.js';
import { kernelAliasingProblems, type ElementwiseKernel, type Kernel, type MatmulKernel, type ReduceKernel, type View } from '../program.js';
import { composeView } from './compose-view.js';
import { BufferUsers, isTemp, isWhole, reads, sameViewExact, untouchedBetween, usersOf, withinBufferLimit, writes, type ProgramDraft } from './draft.js';
import { InputList, substituteInputs } from './expr-subst.js';

/** The elementwise producer of a temp buffer that only consumer `j` reads, if fusing it into `j` is legal. */
function soleElementwiseProducer(d: ProgramDraft, users: BufferUsers, buffer: number, j: number): { i: number; p: ElementwiseKernel } | undefined {
  if (!isTemp(d, buffer)) return undefined;
  const { readers, writers } = users.of(buffer);
  if (writers.length !== 1 || readers.length !== 1 || readers[0] !== j) return undefined;
  const i = writers[0]!;
  const p = d.kernels[i]!;
  if (i >= j || p.kind !== 'elementwise' || p.outputs.length !== 1 || !isWhole(d, p.outputs[0]!)) return undefined;
  // The producer's computation moves from i to j: its inputs must hold the same values there.
  if (!users.untouchedBetween(p.inputs.map((v) => v.buffer), i, j)) return undefined;
  return { i, p };
}

/**
 * The elementwise producer of `buffer` when later kernels read its outputs too: it may move
 * into consumer `j` and write its outputs there, if nothing reads them before `j`, its
 * inputs hold the same values at `j`, and `j` does not overwrite them.
 */
function sharedElementwiseProducer(d: ProgramDraft, users: BufferUsers, buffer: number, j: number): number | undefined {
  if (!isTemp(d, buffer)) return undefined;
  const { writers } = users.of(buffer);
  if (writers.length !== 1) return undefined;
  const i = writers[0]!;
  const p = d.kernels[i]!;
  if (i >= j || p.kind !== 'elementwise') return undefined;
  for (const out of p.outputs) {
    if (!isTemp(d, out.buffer) || !isWhole(d, out)) return undefined;
    const u = users.of(out.buffer);
    if (u.writers.length !== 1 || u.readers.some((r) => r < j)) return undefined;
  }
  const inputs = p.inputs.map((v) => v.buffer);
  if (!users.untouchedBetween(inputs, i, j)) return undefined;
  const c = d.kernels[j]!;
  return writes(c).some((v) => inputs.includes(v.buffer)) ? undefined : i;
}

/** A producer moving into a consumer: its inputs' and outputs' views in the consumer's index space. */
interface SharedProducer {
  readonly i: number;
  readonly p: ElementwiseKernel;
  readonly inputs: readonly View[];
  readonly outputs: readonly View[];
}

/**
 * The producers that move into elementwise consumer `j` as extra outputs, by the buffers
 * they write: each one's every output that `j` reads must be read at the element `j`
 * computes (then the read becomes the producer's expression, evaluated once).
 */
function planSharedProducers(d: ProgramDraft, users: BufferUsers, j: number, inputs: readonly View[]): Map<number, { s: SharedProducer; o: number }> {
  const plan = new Map<number, SharedProducer>();
  const rejected = new Set<number>();
  for (const v of inputs) {
    if (soleElementwiseProducer(d, users, v.buffer, j)) continue;
    const i = sharedElementwiseProducer(d, users, v.buffer, j);
    if (i === undefined || rejected.has(i)) continue;
    const p = d.kernels[i] as ElementwiseKernel;
    let s = plan.get(i);
    if (!s) {
      const ins = p.inputs.map((inner) => composeView(v, p.shape, inner));
      const outs = p.outputs.map((out) => composeView(v, p.shape, out));
      if (ins.some((x) => !x) || outs.some((x) => !x)) { rejected.add(i); continue; }
      s = { i, p, inputs: ins as View[], outputs: outs as View[] };
      plan.set(i, s);
    }
    if (!s.outputs.some((out) => sameViewExact(out, v))) { rejected.add(i); plan.delete(i); }
  }
  const byBuffer = new Map<number, { s: SharedProducer; o: number }>();
  for (const s of plan.values()) s.p.outputs.forEach((out, o) => byBuffer.set(out.buffer, { s, o }));
  return byBuffer;
}

/**
 * Inlines elementwise producers into the consumer's inputs (with `keepShared`, also the ones
 * that later kernels read, which then write their outputs from the consumer). Returns the
 * consumer's new input views, a function that rewrites its expressions and the moved
 * producers' outputs and expressions, or undefined when nothing fused.
 */
function inlineProducers(d: ProgramDraft, users: BufferUsers, j: number, inputs: readonly View[], keepShared = false): { views: View[]; rewrite: (e: ScalarExpr) => ScalarExpr; fused: number[]; outputs: View[]; exprs: ScalarExpr[] } | undefined {
  const list = new InputList();
  const replacement = new Map<number, ScalarExpr>();
  const fused = new Set<number>();
  const shared = keepShared ? planSharedProducers(d, users, j, inputs) : new Map<number, { s: SharedProducer; o: number }>();
  // A moved producer's expressions over the consumer's inputs, built once for all its outputs.
  const movedExprs = new Map<SharedProducer, ScalarExpr[]>();
  const exprsOf = (s: SharedProducer): ScalarExpr[] => {
    let e = movedExprs.get(s);
    if (!e) {
      const idx = s.inputs.map((c) => list.add(c));
      const memo = new Map<ScalarExpr, ScalarExpr>();
      e = s.p.exprs.map((x) => substituteInputs(x, (m, dt) => sx.input(idx[m]!, dt), memo));
      movedExprs.set(s, e);
    }
    return e;
  };
  // A view read through several inputs (x + x) gets one expression, shared: inlined once per
  // input instead, a chain of such sums would grow exponentially.
  const byView: { view: View; expr: ScalarExpr }[] = [];
  inputs.forEach((v, k) => {
    const seen = byView.find((s) => sameViewExact(s.view, v));
    if (seen) {
      replacement.set(k, seen.expr);
      return;
    }
    const moved = shared.get(v.buffer);
    if (moved) {
      replacement.set(k, exprsOf(moved.s)[moved.o]!);
      byView.push({ view: v, expr: replacement.get(k)! });
      fused.add(moved.s.i);
      return;
    }
    const prod = soleElementwiseProducer(d, users, v.buffer, j);
    const composed = prod && prod.p.inputs.map((inner) => composeView(v, prod.p.shape, inner));
    if (!prod || !composed || composed.some((c) => c === undefined)) {
      const idx = list.add(v);
      replacement.set(k, sx.input(idx, d.buffers[v.buffer]!.dtype));
      byView.push({ view: v, expr: replacement.get(k)! });
      return;
    }
    const idx = composed.map((c) => list.add(c!));
    replacement.set(k, substituteInputs(prod.p.exprs[0]!, (m, dt) => sx.input(idx[m]!, dt)));
    byView.push({ view: v, expr: replacement.get(k)! });
    fused.add(prod.i);
  });
  if (!fused.size) return undefined;
  const movedList = [...movedExprs.keys()];
  const kept = (s: SharedProducer, o: number) => users.of(s.p.outputs[o]!.buffer).readers.some((r) => r !== j);
  // One memo for all of the consumer's expressions: subtrees its outputs share stay shared.
  const memo = new Map<ScalarExpr, ScalarExpr>();
  return {
    views: list.views, rewrite: (e) => substituteInputs(e, (k) => replacement.get(k)!, memo), fused: [...fused],
    // Outputs that only this consumer read are inlined and no longer written.
    outputs: movedList.flatMap((s) => s.outputs.filter((_, o) => kept(s, o))),
    exprs: movedList.flatMap((s) => movedExprs.get(s)!.filter((_, o) => kept(s, o))),
  };
}

/** Replaces consumer j by the fused kernel, unless it would bind more buffers than the backend allows. */
function absorb(d: ProgramDraft, users: BufferUsers, j: number, fused: number[], kernel: Kernel): boolean {
  if (!withinBufferLimit(d, kernel) || kernelAliasingProblems(kernel).length > 0) return false;
  for (const i of fused) {
    d.sources[j] = [...d.sources[i]!, ...d.sources[j]!];
    users.replace(i, d.kernels[i], undefined);
    d.kernels[i] = undefined;
  }
  users.replace(j, d.kernels[j], kernel);
  d.kernels[j] = kernel;
  return true;
}

/**
 * Elementwise chains and DAGs become one kernel: producers are evaluated inside their
 * consumer. A producer whose outputs later kernels read too moves into the consumer and
 * writes them there (a multi-output kernel): an LSTM step's gates, cell and state are one
 * kernel, though the next step and the backward pass read each of them.
 */
export function fuseElementwise(d: ProgramDraft): boolean {
  let any = false;
  const users = new BufferUsers(d);
  for (let j = 0; j < d.kernels.length; j++) {
    for (;;) {
      const c = d.kernels[j];
      if (c?.kind !== 'elementwise') break;
      const r = inlineProducers(d, users, j, c.inputs, true);
      if (!r) break;
      const next: ElementwiseKernel = { ...c, inputs: r.views, outputs: [...c.outputs, ...r.outputs], exprs: [...c.exprs.map(r.rewrite), ...r.exprs], label: `${labelsOf(d, r.fused)}+${c.label}` };
      if (!absorb(d, users, j, r.fused, next)) break;
      any = true;
    }
  }
  return any;
}

/** Elementwise producers of a reduce's inputs become its prologue. */
export function fuseReduce(d: ProgramDraft): boolean {
  let any = false;
  const users = new BufferUsers(d);
  for (let j = 0; j < d.kernels.length; j++) {
    for (;;) {
      const c = d.kernels[j];
      if (c?.kind !== 'reduce') break;
      const r = inlineProducers(d, users, j, c.inputs);
      if (!r) break;
      const next: ReduceKernel = { ...c, inputs: r.views, prologue: r.rewrite(c.prologue), label: `${labelsOf(d, r.fused)}+${c.label}` };
      if (!absorb(d, users, j, r.fused, next)) break;
      any = true;
    }
  }
  return any;
}

/**
 * An elementwise consumer that reads only a reduce's result (constants aside) becomes the
 * reduce's epilogue, e.g. the division of a mean.
 */
export function fuseReduceEpilogue(d: ProgramDraft): boolean {
  let any = false;
  for (let i = 0; i < d.kernels.length; i++) {
    const r = d.kernels[i];
    if (r?.kind !== 'reduce' || r.op === 'argmax' || !isTemp(d, r.output.buffer) || !isWhole(d, r.output)) continue;
    const { readers, writers } = usersOf(d, r.output.buffer);
    if (writers.length !== 1 || readers.length !== 1) continue;
    const j = readers[0]!;
    const c = d.kernels[j]!;
    if (c.kind !== 'elementwise' || c.outputs.length !== 1 || j <= i) continue;
    const out = c.outputs[0]!;
    // The same elements in the same order: whole, contiguous, equal shapes but for axes of 1 (a mean with keepdims divides [32, 40, 1]).
    const kept = squeezed(r.output.shape);
    const same = (shape: readonly number[]) => { const q = squeezed(shape); return q.length === kept.length && q.every((x, k) => x === kept[k]); };
    if (!c.inputs.every((v) => v.buffer === r.output.buffer && v.offset === 0 && isWhole(d, v) && same(v.shape))) continue;
    if (!same(out.shape) || !isWhole(d, out)) continue;
    if (!untouchedBetween(d, [out.buffer], i, j, true)) continue;
    const prev = r.epilogue ?? sx.input(0, r.prologue.dtype);
    const expr = substituteInputs(c.exprs[0]!, () => prev);
    d.kernels[i] = { ...r, output: { ...r.output, buffer: out.buffer }, epilogue: expr, label: `${r.label}+${c.label}` };
    d.sources[i] = [...d.sources[i]!, ...d.sources[j]!];
    d.kernels[j] = undefined;
    any = true;
  }
  return any;
}

const squeezed = (shape: readonly number[]): number[] => shape.filter((x) => x !== 1);

function labelsOf(d: ProgramDraft, ks: number[]): string {
  return ks.map((i) => d.kernels[i]!.label).join('+');
}

/**
 * An elementwise consumer of a matmul's result (bias, activation, mask) becomes the
 * matmul's epilogue, so the product is never written out before it.
 */
export function fuseMatmulEpilogue(d: ProgramDraft): boolean {
  let any = false;
  const users = new BufferUsers(d);
  for (let i = 0; i < d.kernels.length; i++) {
    const m = d.kernels[i];
    if (m?.kind !== 'matmul' || m.beta !== 0 || !isTemp(d, m.out.buffer) || !isWhole(d, m.out)) continue;
    const { readers, writers } = users.of(m.out.buffer);
    if (writers.length !== 1 || readers.length !== 1) continue;
    const j = readers[0]!;
    const c = d.kernels[j]!;
    if (c.kind !== 'elementwise' || c.outputs.length !== 1 || j <= i) continue;
    const out = c.outputs[0]!;
    if (!isWhole(d, out) || out.shape.length !== m.out.shape.length || out.shape.some((x, k) => x !== m.out.shape[k])) continue;
    if (!c.inputs.every((v) => v.buffer !== m.out.buffer || sameViewExact(v, m.out))) continue;
    const others = c.inputs.filter((v) => v.buffer !== m.out.buffer);
    // The matmul will write `out`: a GEMM reads its operands while it writes, and an epilogue
    // may read the output only as the element it writes (s ← relu(q·s) keeps its copy).
    if (m.a.buffer === out.buffer || m.b.buffer === out.buffer) continue;
    if (![...(m.epilogue?.inputs ?? []), ...others].every((v) => v.buffer !== out.buffer || sameViewExact(v, out))) continue;
    // The consumer's work moves from j to i: its other inputs and its output must be untouched in between.
    if (!users.untouchedBetween([...others.map((v) => v.buffer), out.buffer], i - 1, j, false)) continue;
    if (!users.untouchedBetween([out.buffer], i, j, true)) continue;
    const list = new InputList();
    const prevInputs = m.epilogue?.inputs ?? [];
    const prevIdx = prevInputs.map((v) => list.add(v));
    const acc = m.epilogue ? substituteInputs(m.epilogue.expr, (k, dt) => (k === 0 ? sx.input(0, dt) : sx.input(prevIdx[k - 1]! + 1, dt))) : sx.input(0, m.dtype);
    const expr = substituteInputs(c.exprs[0]!, (k, dt) => (c.inputs[k]!.buffer === m.out.buffer ? acc : sx.input(list.add(c.inputs[k]!) + 1, dt)));
    const next: MatmulKernel = { ...m, out, epilogue: { expr, inputs: list.views }, label: `${m.label}+${c.label}` };
    if (!withinBufferLimit(d, next)) continue;
    users.replace(i, m, next);
    users.replace(j, c, undefined);
    d.kernels[i] = next;
    d.sources[i] = [...d.sources[i]!, ...d.sources[j]!];
    d.kernels[j] = undefined;
    any = true;
  }
  return any;
}

/**
 * The SGD update `w ← w − c·g`, where g is a matmul result used nowhere else, becomes the
 * matmul itself accumulating into w (alpha = −c, beta = 1), run where the update was.
 */
export function foldUpdateIntoMatmul(d: ProgramDraft): boolean {
  let any = false;
  for (let j = 0; j < d.kernels.length; j++) {
    const u = d.kernels[j];
    if (u?.kind !== 'elementwise' || u.outputs.length !== 1 || u.inputs.length !== 2) continue;
    const w = u.outputs[0]!;
    if (d.buffers[w.buffer]!.role !== 'shared' || !isWhole(d, w)) continue;
    const pattern = matchScaledSubtract(u.exprs[0]!);
    if (!pattern) continue;
    const wIn = u.inputs[pattern.w]!;
    const gIn = u.inputs[pattern.g]!;
    if (!sameViewExact(wIn, w) || !isTemp(d, gIn.buffer)) continue;
    const { readers, writers } = usersOf(d, gIn.buffer);
    if (writers.length !== 1 || readers.length !== 1 || readers[0] !== j) continue;
    const i = writers[0]!;
    const m = d.kernels[i]!;
    if (m.kind !== 'matmul' || m.beta !== 0 || m.epilogue || !sameViewExact(m.out, gIn) || !isWhole(d, m.out)) continue;
    // Accumulating into w while reading w as an operand would race (w ← w − c·(wᵀ·g) keeps its update kernel).
    if (m.a.buffer === w.buffer || m.b.buffer === w.buffer) continue;
    if (!untouchedBetween(d, [m.a.buffer, m.b.buffer], i, j)) continue;
    d.kernels[j] = { ...m, out: w, alpha: -pattern.c * m.alpha, beta: 1, label: `${m.label}+sgd` };
    d.sources[j] = [...d.sources[i]!, ...d.sources[j]!];
    d.kernels[i] = undefined;
    any = true;
  }
  return any;
}

/** Matches sub(input(w), mul(input(g), const c)) in either mul order. */
function matchScaledSubtract(e: ScalarExpr): { w: number; g: number; c: number } | undefined {
  if (e.op !== 'sub') return undefined;
  const [a, b] = e.args;
  if (a.op !== 'input' || b.op !== 'mul') return undefined;
  const [x, y] = b.args;
  if (x.op === 'input' && y.op === 'const') return { w: a.index, g: x.index, c: y.value };
  if (y.op === 'input' && x.op === 'const') return { w: a.index, g: y.index, c: x.value };
  return undefined;
}

/** Removes kernels whose results nothing reads. */
export function deadCode(d: ProgramDraft): boolean {
  const needed = new Set<number>([...d.pinned].filter((b) => d.buffers[b]!.role !== 'input' && d.buffers[b]!.role !== 'constant'));
  let any = false;
  for (let i = d.kernels.length - 1; i >= 0; i--) {
    const k = d.kernels[i];
    if (!k) continue;
    if (writes(k).some((v) => needed.has(v.buffer))) {
      for (const v of reads(k)) needed.add(v.buffer);
    } else {
      d.kernels[i] = undefined;
      any = true;
    }
  }
  return any;
}
