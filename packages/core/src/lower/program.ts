import type { DType } from '../ir/dtype.js';
import type { ScalarExpr } from '../codegen/scalar-expr.js';
import type { RandomDistribution } from '../random/philox.js';
import { sameView } from './view.js';

/**
 * The Program IR: the contract between core and every backend. A Program is a flat,
 * topologically ordered list of kernels over numbered buffers. Views (transposes,
 * broadcasts, slices, reshapes) are offsets and strides, never kernels.
 */

/** Why a buffer exists; the runtime binds input, shared, constant and output buffers. */
export type BufferRole = 'input' | 'shared' | 'constant' | 'temp' | 'output';

export interface BufferSpec {
  readonly id: number;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  readonly role: BufferRole;
}

/**
 * A strided view of a buffer. Element i (a multi-index over `shape`) lives at
 * `offset + Σ i[d]·strides[d]`; a stride of 0 broadcasts.
 */
export interface View {
  readonly buffer: number;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
}

/** outputs[j][i] = exprs[j](inputs[0][i], inputs[1][i], …) for every multi-index i of `shape`. */
export interface ElementwiseKernel {
  readonly kind: 'elementwise';
  readonly shape: readonly number[];
  /** Views with the kernel's shape (broadcast by zero strides). */
  readonly inputs: readonly View[];
  readonly outputs: readonly View[];
  /** One expression per output, over input(k) = inputs[k]. */
  readonly exprs: readonly ScalarExpr[];
  /** The source ops this kernel computes, for printing and profiles. */
  readonly label: string;
}

export type ReduceKind = 'sum' | 'max' | 'min' | 'argmax';

/**
 * output[kept] = epilogue(reduce over `axes` of prologue(inputs[0][i], …)).
 * For argmax, `axes` has one axis, the output dtype is int32 and ties take the first index;
 * NaN counts as the maximum. An empty max/min is -Infinity/+Infinity, an empty sum 0.
 */
export interface ReduceKernel {
  readonly kind: 'reduce';
  readonly op: ReduceKind;
  /** The iteration shape (the input's full shape). */
  readonly shape: readonly number[];
  readonly axes: readonly number[];
  /** Views with the iteration shape. */
  readonly inputs: readonly View[];
  /** Evaluated per element over input(k); its dtype is the accumulation dtype. */
  readonly prologue: ScalarExpr;
  /** Applied to the reduced value, input(0); its dtype is the output's. */
  readonly epilogue?: ScalarExpr;
  /** The kept dims only, in order. */
  readonly output: View;
  readonly label: string;
}

/**
 * out = alpha · op(A) · op(B) + beta · out, batched over leading dims, then `epilogue`.
 * `a` is the stored matrix [...batch, M, K] (or [...batch, K, M] when transA), last stride 1;
 * likewise `b`. Batch strides may be 0 (broadcast). `out` is [...batch, M, N], last stride 1.
 */
export interface MatmulKernel {
  readonly kind: 'matmul';
  readonly batch: readonly number[];
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly a: View;
  readonly b: View;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly alpha: number;
  readonly beta: number;
  readonly out: View;
  /** Applied to every result element: input(0) is the accumulated value, input(k) = epilogueInputs[k-1]. */
  readonly epilogue?: { readonly expr: ScalarExpr; readonly inputs: readonly View[] };
  readonly dtype: DType;
  readonly label: string;
}

/** output[r] = input[r, indices[r]] over a [rows, classes] view; an index out of range gives NaN. */
export interface GatherKernel {
  readonly kind: 'gather';
  readonly input: View;
  readonly indices: View;
  readonly output: View;
  readonly label: string;
}

/**
 * Slices picked by index along one axis (JAX's `take`, Theano's advanced subtensor): with
 * `input` a [outer, size, inner] view, `indices` a [n] int32 view and `output` a
 * [outer, n, inner] view, output[o, j, i] = input[o, indices[j], i]. An index in [-size, 0)
 * counts from the end; one outside [-size, size) gives `fill` (NaN by default, int32 −2³¹,
 * as JAX's `fill` mode; 0 in the gradient of scatterAdd, whose dropped updates get none).
 */
export interface TakeKernel {
  readonly kind: 'take';
  readonly input: View;
  readonly indices: View;
  readonly output: View;
  /** The value at an index out of range, representable in the output's dtype (NaN only for floats). */
  readonly fill: number;
  readonly label: string;
}

/**
 * Slices added at indices along one axis, in place (the transpose of take; JAX's
 * `x.at[indices].add(updates)`): with `output` a [outer, size, inner] view, `indices` a [n]
 * int32 view and `updates` a [outer, n, inner] view, output[o, indices[j], i] += updates[o, j, i]
 * for every j. Repeated indices add up, in an order the backend chooses (GPUs add with
 * atomics, so float sums may differ in the last bits from run to run). An index in
 * [-size, 0) counts from the end; one outside [-size, size) is dropped. `output` is read
 * and written through the same view.
 */
export interface ScatterAddKernel {
  readonly kind: 'scatterAdd';
  readonly updates: View;
  readonly indices: View;
  readonly output: View;
  readonly label: string;
}

/** output[..., c] = (indices[...] == c) ? 1 : 0 in the output's dtype. */
export interface OneHotKernel {
  readonly kind: 'oneHot';
  readonly indices: View;
  readonly depth: number;
  readonly output: View;
  readonly dtype: DType;
  readonly label: string;
}

/**
 * Fused softmax cross-entropy on [rows, classes] logits against int labels:
 * loss[r] = logsumexp(z[r]) − z[r, y[r]]; when `grad` is present also
 * grad.output[r, c] = (softmax(z[r])[c] − [c = y[r]]) · grad.scale[r].
 */
export interface SoftmaxCrossEntropyKernel {
  readonly kind: 'softmaxCrossEntropy';
  readonly logits: View;
  readonly labels: View;
  readonly loss: View;
  readonly grad?: { readonly output: View; readonly scale: View };
  readonly dtype: DType;
  readonly label: string;
}

/**
 * Counter-based random numbers (Philox-4x32-10), the reference being `fillRandom`.
 * `state` is 4 contiguous int32 (stride 1): key words k0, k1 and the 64-bit block offset
 * (lo, hi), all uint32 bit patterns. Output element i (row-major, `output` contiguous, n
 * elements) comes from word i mod 4 of the block at counter (offset + ⌊i/4⌋ mod 2⁶⁴, 0, 0):
 * `bits` stores the word as int32; `uniform` stores (w≫9 + 0.5)·2⁻²³ in float32 or
 * (w + 0.5)·2⁻³² in float64 (exact, in the open interval (0, 1)); `normal` applies
 * Box–Muller to the word pairs (0, 1) and (2, 3): r = √(−2 ln u₁), θ = 2π·u₂, the even lane
 * r·cos θ and the odd lane r·sin θ, in the output dtype's precision. When present, `next`
 * (4 contiguous int32, never overlapping `state`) receives (k0, k1, offset + ⌈n/4⌉).
 */
export interface RandomKernel {
  readonly kind: 'random';
  readonly distribution: RandomDistribution;
  readonly state: View;
  readonly output: View;
  readonly next?: View;
  /** float32 or float64 for uniform and normal; int32 for bits. */
  readonly dtype: DType;
  readonly label: string;
}

/**
 * Row softmax over the last axis of a [rows, cols] view: with m the row's maximum and
 * s = Σ exp(x − m), output = exp(x − m) / s, or with `log`, x − m − ln s. A NaN in a row
 * makes the row NaN. Optional: the lowering emits it only for a backend that lists it in
 * `capabilities.kernels` (a fused row kernel that reads its input once); for the others a
 * softmax stays a max-reduce, a sum-reduce and an elementwise kernel.
 */
export interface SoftmaxKernel {
  readonly kind: 'softmax';
  readonly input: View;
  readonly output: View;
  readonly log: boolean;
  readonly dtype: DType;
  readonly label: string;
}

export type Kernel = ElementwiseKernel | ReduceKernel | MatmulKernel | GatherKernel | TakeKernel | ScatterAddKernel | OneHotKernel | SoftmaxCrossEntropyKernel | RandomKernel | SoftmaxKernel;
export type KernelKind = Kernel['kind'];
/** The kernel kinds every backend runs. */
export const KERNEL_KINDS: readonly KernelKind[] = ['elementwise', 'reduce', 'matmul', 'gather', 'take', 'scatterAdd', 'oneHot', 'softmaxCrossEntropy', 'random'];
/** Kinds a backend may add to `capabilities.kernels`; the lowering uses them only where listed. */
export const OPTIONAL_KERNEL_KINDS: readonly KernelKind[] = ['softmax'];

/**
 * Aliasing: a kernel may write a buffer it also reads only through the identical view
 * (an in-place elementwise kernel, where each element is read before it is written, or a
 * matmul whose `beta` or epilogue reads `out` itself); no other overlap between a kernel's
 * reads and writes occurs. Different kernels share buffers only over disjoint lifetimes
 * (the memory plan), so kernels run in order need no other synchronization.
 */
export interface Program {
  readonly buffers: readonly BufferSpec[];
  readonly kernels: readonly Kernel[];
}

/**
 * The buffers that some kernel of the Program writes (in place or not): an input may be
 * read in place from the caller's array only when no kernel writes it.
 *
 * @example
 * ```ts
 * const written = buffersWritten(program);
 * const adoptable = lowered.inputBuffers.filter((id) => !written.has(id));
 * ```
 */
export function buffersWritten(program: Program): Set<number> {
  return new Set(program.kernels.flatMap((k) => kernelViews(k).writes.map((v) => v.buffer)));
}

/**
 * Every view a kernel reads, then every view it writes, whatever its kind: for passes and
 * backends that track buffer use without a switch over kernel kinds.
 *
 * @example
 * ```ts
 * const { reads, writes } = kernelViews(k);
 * const buffers = new Set([...reads, ...writes].map((v) => v.buffer)); // bindings the kernel needs
 * ```
 */
export function kernelViews(k: Kernel): { reads: View[]; writes: View[] } {
  switch (k.kind) {
    case 'elementwise': return { reads: [...k.inputs], writes: [...k.outputs] };
    case 'reduce': return { reads: [...k.inputs], writes: [k.output] };
    case 'matmul': return { reads: [k.a, k.b, ...(k.beta !== 0 ? [k.out] : []), ...(k.epilogue?.inputs ?? [])], writes: [k.out] };
    case 'gather': return { reads: [k.input, k.indices], writes: [k.output] };
    case 'take': return { reads: [k.input, k.indices], writes: [k.output] };
    case 'scatterAdd': return { reads: [k.updates, k.indices, k.output], writes: [k.output] };
    case 'oneHot': return { reads: [k.indices], writes: [k.output] };
    case 'softmaxCrossEntropy': return { reads: [k.logits, k.labels, ...(k.grad ? [k.grad.scale] : [])], writes: [k.loss, ...(k.grad ? [k.grad.output] : [])] };
    case 'random': return { reads: [k.state], writes: [k.output, ...(k.next ? [k.next] : [])] };
    case 'softmax': return { reads: [k.input], writes: [k.output] };
    default: {
      const bad = k as { kind?: unknown; label?: unknown };
      throw new Error(`kernelViews: kernel '${String(bad.label)}' has unknown kind '${String(bad.kind)}' (the Program IR's kinds: ${[...KERNEL_KINDS, ...OPTIONAL_KERNEL_KINDS].join(', ')})`);
    }
  }
}

/**
 * Where a kernel breaks the aliasing rule above, in words (empty when it keeps it): a view
 * it reads shares a buffer with a view it writes without being that same view, or a
 * matmul writes the buffer of its operand A or B (a GEMM reads operands while it writes).
 * Passes keep every Program free of these; tests check it.
 *
 * @example
 * ```ts
 * // k: a matmul kernel whose B operand is buffer 1
 * kernelAliasingProblems({ ...k, out: k.b }); // ['matmul reads b1 as operand B and writes it']
 * ```
 */
export function kernelAliasingProblems(k: Kernel): string[] {
  const out: string[] = [];
  const { reads, writes } = kernelViews(k);
  // Operands read at other positions than the ones written (a GEMM's, or the slices of an
  // indexing kernel) must not share the output's buffer, even through the same view.
  const operands: (readonly [string, View])[] = k.kind === 'matmul' ? [['operand A', k.a], ['operand B', k.b]]
    : k.kind === 'take' ? [['input', k.input], ['indices', k.indices]]
      : k.kind === 'scatterAdd' ? [['updates', k.updates], ['indices', k.indices]] : [];
  const out0 = k.kind === 'matmul' ? k.out : k.kind === 'take' || k.kind === 'scatterAdd' ? k.output : undefined;
  for (const [name, v] of operands) if (v.buffer === out0!.buffer) out.push(`${k.kind} reads b${v.buffer} as ${name} and writes it`);
  for (const w of writes) {
    for (const r of reads) {
      if (r.buffer !== w.buffer || sameView(r, w)) continue;
      if (operands.some(([, v]) => v === r)) continue; // reported above
      out.push(`${k.kind} reads b${r.buffer} through another view than the one it writes`);
    }
  }
  return out;
}

/**
 * The aliasing problems of every kernel of a Program, each prefixed by the kernel's index
 * and label: a backend whose kernels would race with their own outputs checks it in
 * `compile`. It throws, naming the kind, for a kernel kind the Program IR does not have.
 *
 * @example
 * ```ts
 * const bad = programAliasingProblems(program);
 * if (bad.length) throw new Error(`this backend cannot run this Program:\n  ${bad.join('\n  ')}`);
 * ```
 */
export function programAliasingProblems(p: Program): string[] {
  return p.kernels.flatMap((k, i) => kernelAliasingProblems(k).map((m) => `kernel ${i} (${k.label}): ${m}`));
}

/**
 * The same kernel with every view passed through `f` (for renumbering buffers), without
 * a switch over kernel kinds in the caller.
 *
 * @example
 * ```ts
 * // Append Program p's kernels after `base` buffers of another Program.
 * const moved = p.kernels.map((k) => mapKernelViews(k, (v) => ({ ...v, buffer: base + v.buffer })));
 * ```
 */
export function mapKernelViews(k: Kernel, f: (v: View) => View): Kernel {
  switch (k.kind) {
    case 'elementwise': return { ...k, inputs: k.inputs.map(f), outputs: k.outputs.map(f) };
    case 'reduce': return { ...k, inputs: k.inputs.map(f), output: f(k.output) };
    case 'matmul': return { ...k, a: f(k.a), b: f(k.b), out: f(k.out), ...(k.epilogue ? { epilogue: { expr: k.epilogue.expr, inputs: k.epilogue.inputs.map(f) } } : {}) };
    case 'gather': return { ...k, input: f(k.input), indices: f(k.indices), output: f(k.output) };
    case 'take': return { ...k, input: f(k.input), indices: f(k.indices), output: f(k.output) };
    case 'scatterAdd': return { ...k, updates: f(k.updates), indices: f(k.indices), output: f(k.output) };
    case 'oneHot': return { ...k, indices: f(k.indices), output: f(k.output) };
    case 'softmaxCrossEntropy': return { ...k, logits: f(k.logits), labels: f(k.labels), loss: f(k.loss), ...(k.grad ? { grad: { output: f(k.grad.output), scale: f(k.grad.scale) } } : {}) };
    case 'random': return { ...k, state: f(k.state), output: f(k.output), ...(k.next ? { next: f(k.next) } : {}) };
    case 'softmax': return { ...k, input: f(k.input), output: f(k.output) };
  }
}
