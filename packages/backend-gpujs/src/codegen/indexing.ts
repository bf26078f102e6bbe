import type { ScatterAddKernel, TakeKernel, View } from '@symgrad/core';
import { floatLiteral as num } from './expr.js';
import type { DTypeOf } from './kernels.js';
import { threadBuilder, type KernelLaunch, type KernelSourceBuilder } from './source.js';

/**
 * The indexing kinds `take` and `scatterAdd` along one axis of an [outer, size, inner] view,
 * each one launch with one thread per output element. Indices are int32 stored as floats
 * (exact below 2^24, this backend's buffer limit, so every in-range index is exact; one
 * beyond 2^24 may round but stays out of range either way).
 */

/** Checks the [outer, size, inner] / [n] / [outer, n, inner] geometry both kinds share. */
export function checkGeometry(kind: string, label: string, table: View, indices: View, slices: View): void {
  const [outer, , inner] = table.shape;
  const n = indices.shape[0];
  const ok = table.shape.length === 3 && indices.shape.length === 1 && slices.shape.length === 3
    && slices.shape[0] === outer && slices.shape[1] === n && slices.shape[2] === inner;
  if (!ok) {
    const shape = (v: View): string => `[${v.shape.join(', ')}]`;
    throw new Error(`gpujs codegen: ${kind} kernel '${label}': expected [outer, size, inner], [n] indices and [outer, n, inner] slices (got ${shape(table)}, ${shape(indices)}, ${shape(slices)})`);
  }
}

/**
 * The index of slice `j` resolved against the axis as core's `takeIndex` does: a negative one
 * counts from the end. Returns the variable holding it; it may still lie outside [0, size).
 */
export function resolvedIndex(b: KernelSourceBuilder, indices: View, j: string, size: number): string {
  const y = b.let('y', b.read(indices, [j]));
  return b.let('y', `(${y} < 0.0 ? ${y} + ${num(size)} : ${y})`);
}

/**
 * output[o, j, i] = input[o, y, i] with y = indices[j] (negative from the end), or `fill` where
 * y is out of range. The read is clamped into the axis so that no thread fetches outside the
 * input (a texture read out of bounds is undefined in GLSL), and the fill chosen afterwards.
 *
 * @example
 * ```ts
 * // k.input a [2, 7, 3] view of buffer 0, k.indices of buffer 1, k.fill NaN:
 * takeLaunch(k, () => 'float32').source; // 'function (b0, b1) { … return (y7 >= 0.0 && y7 < 7.0 ? v9 : (0.0 / 0.0)); }'
 * ```
 */
export function takeLaunch(k: TakeKernel, dtypeOf: DTypeOf): KernelLaunch {
  checkGeometry('take', k.label, k.input, k.indices, k.output);
  const size = k.input.shape[1]!;
  const { b, flat } = threadBuilder();
  const [o, j, i] = b.decompose(flat, k.output.shape) as [string, string, string];
  const y = resolvedIndex(b, k.indices, j, size);
  const yc = b.let('y', `Math.min(Math.max(${y}, 0.0), ${num(Math.max(0, size - 1))})`);
  const v = b.let('v', b.read(k.input, [o, yc, i]));
  return b.finish(k.label, `(${y} >= 0.0 && ${y} < ${num(size)} ? ${v} : ${num(k.fill)})`, k.output, dtypeOf(k.output.buffer));
}

/**
 * output[o, v, i] += Σ_j [indices[j] resolves to v] · updates[o, j, i], written as a gather:
 * one thread per output element reads its old value and loops over all n indices, adding
 * the updates whose index resolves to its row, in index order (deterministic; the same
 * order as core's reference, so repeated indices sum alike run after run).
 *
 * Why a gather: a scatter needs atomic adds (two slices j ≠ j' with one index write the same
 * element), and WebGL, gpu.js's target, has neither atomics nor scattered writes: a thread
 * can only return its own element. Without atomics, every output element must look at every
 * index, so the work is O(outer · size · n · inner) index tests (O(size · n · inner) per outer
 * slice) rather than the scatter's O(n · inner): the only form that exists here, fine for the
 * gradients of embeddings and takes of moderate size and n.
 *
 * In place: `output` is both read (old values) and written. Both runtimes store a launch's
 * results only after it ran (host arrays copy them in afterwards; texture mode reads the
 * buffer's previous texture and returns a fresh one), so each thread reads the old value.
 * The loop's trip count n is a constant, so gpu.js emits a plain GLSL loop with no
 * `loopMaxIterations` cap.
 *
 * @example
 * ```ts
 * scatterAddLaunch(k, () => 'float32').size; // outer · size · inner threads
 * ```
 */
export function scatterAddLaunch(k: ScatterAddKernel, dtypeOf: DTypeOf): KernelLaunch {
  checkGeometry('scatterAdd', k.label, k.output, k.indices, k.updates);
  const size = k.output.shape[1]!;
  const n = k.indices.shape[0]!;
  const { b, flat } = threadBuilder();
  const idx = b.decompose(flat, k.output.shape);
  const [o, row, i] = idx as [string, string, string];
  const acc = b.let('a', b.read(k.output, idx));
  b.loop(n, (j) => {
    const y = resolvedIndex(b, k.indices, j, size);
    // An index out of range never equals a row in [0, size): it is dropped. The update is
    // read only where it is added, so a NaN in a slice that is not added cannot leak in.
    b.lines.push(`if (${y} == ${row}) {`, `  ${acc} = ${acc} + ${b.read(k.updates, [o, j, i])};`, '}');
  });
  return b.finish(k.label, acc, k.output, dtypeOf(k.output.buffer));
}
