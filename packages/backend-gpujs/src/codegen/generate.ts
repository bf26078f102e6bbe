import { KERNEL_KINDS, kernelViews, type DType, type Kernel, type KernelKind, type Program } from '@symgrad/core';
import { scatterAddLaunch, takeLaunch } from './indexing.js';
import { softmaxCrossEntropyLaunches } from './cross-entropy.js';
import { elementwiseLaunches, gatherLaunch, matmulLaunch, oneHotLaunch, reduceLaunch, type DTypeOf } from './kernels.js';
import { randomLaunch, type HostRandomLaunch } from './random.js';
import { packedMatmulLaunches, packsMatmul } from './packed-matmul.js';
import { softmaxLaunches } from './softmax.js';
import { sortedScatterAddLaunches, sortsScatter } from './sorted-scatter.js';
import type { KernelLaunch } from './source.js';

/** What a compiled Program runs, in order: gpu.js kernels, and host launches for `random` (see random.ts). */
export type Launch = KernelLaunch | HostRandomLaunch;

/**
 * Whether a launch runs on the host instead of as a gpu.js kernel (a `random` draw); the
 * type guard a runtime branches on.
 *
 * @example
 * ```ts
 * for (const l of generateProgram(program, GPUJS_MAX_BUFFER_ELEMENTS)) {
 *   console.log(isHostLaunch(l) ? `host: ${l.random.distribution} draw` : `gpu.js: ${l.source}`);
 * }
 * ```
 */
export function isHostLaunch(l: Launch): l is HostRandomLaunch {
  return 'host' in l;
}

/**
 * Launch indices grouped by IR kernel and stage, in order: the launches of one group read
 * what the kernel's earlier stages wrote and nothing its own group writes, so a runtime
 * computes a whole group before storing any of its results (a multi-output elementwise
 * kernel may write one output over an input another output still reads, in place).
 */
export function launchGroups(launches: readonly Launch[]): number[][] {
  const groups: number[][] = [];
  const stage = (l: Launch): number => (isHostLaunch(l) ? 0 : l.stage ?? 0);
  launches.forEach((l, i) => {
    const last = groups[groups.length - 1];
    const head = last && launches[last[0]!]!;
    if (head && l.kernel !== undefined && head.kernel === l.kernel && stage(head) === stage(l)) last.push(i);
    else groups.push([i]);
  });
  return groups;
}

/** The kernel kinds this backend generates: every required kind and the fused row softmax (softmax.ts). */
export const GPUJS_KERNEL_KINDS: readonly KernelKind[] = [...KERNEL_KINDS, 'softmax'];

/** The dtypes gpu.js kernels can hold exactly (float textures; int32/bool as exact floats). */
export const GPUJS_DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

/**
 * Every reason a Program cannot run on gpu.js, all at once (empty when it can): dtypes it
 * cannot hold exactly, buffers too large to index in float32, unknown kernel kinds.
 *
 * @example
 * ```ts
 * programProblems(program, GPUJS_MAX_BUFFER_ELEMENTS);
 * // [] or e.g. ['buffer 0 has dtype float64: gpu.js computes in float32 (use the cpu backend for float64)']
 * ```
 */
export function programProblems(program: Program, maxBufferElements: number): string[] {
  const problems: string[] = [];
  for (const b of program.buffers) {
    if (!GPUJS_DTYPES.includes(b.dtype)) problems.push(`buffer ${b.id} has dtype ${b.dtype}: gpu.js computes in float32 (use the cpu backend for float64)`);
    if (b.size > maxBufferElements) problems.push(`buffer ${b.id} has ${b.size} elements, more than the ${maxBufferElements} gpu.js kernels index exactly`);
  }
  program.kernels.forEach((k: Kernel, i) => {
    if (!GPUJS_KERNEL_KINDS.includes(k.kind)) problems.push(`kernel ${i} ('${String((k as { label?: unknown }).label)}') has unknown kind '${String((k as { kind: unknown }).kind)}' (supported: ${GPUJS_KERNEL_KINDS.join(', ')})`);
    if ((k.kind === 'matmul' || k.kind === 'oneHot' || k.kind === 'softmaxCrossEntropy' || k.kind === 'softmax') && !GPUJS_DTYPES.includes(k.dtype)) {
      problems.push(`kernel ${i} ('${k.label}') computes in ${k.dtype}: gpu.js computes in float32`);
    }
  });
  return problems;
}

/** How launches are generated. */
export interface GenerateOptions {
  /**
   * Launches that keep vec4 texels in scratch buffers (gpu.js's `Array(4)`), where a read is
   * a texel fetch: texture mode's matmuls through packed operands (packed-matmul.ts),
   * softmax's and softmaxCrossEntropy's row statistics a texel a row (softmax.ts,
   * cross-entropy.ts), and scatterAdds over many indices through a sorted list
   * (sorted-scatter.ts). Off by default (the host modes).
   */
  readonly packed?: boolean;
}

/**
 * The launches of one kernel (gpu.js kernels; one host launch for `random`). `scratch` gives
 * the id of a new scratch buffer (see `KernelLaunch.scratch`) where a kind needs one
 * (softmax, a packed matmul); by default ids past every buffer the kernel itself names.
 * Unlike `generateProgram`, it checks nothing: for inspecting one kernel's source.
 *
 * @example
 * ```ts
 * for (const l of generateKernel(program.kernels[0]!, (b) => program.buffers[b]!.dtype)) {
 *   if (!isHostLaunch(l)) console.log(l.params, l.source); // [0, 1] 'function (b0, b1) { … }'
 * }
 * ```
 */
export function generateKernel(k: Kernel, dtypeOf: DTypeOf, scratch: () => number = counterFrom(nextBufferId([k])), options: GenerateOptions = {}): Launch[] {
  switch (k.kind) {
    case 'elementwise': return elementwiseLaunches(k, dtypeOf);
    case 'reduce': return [reduceLaunch(k, dtypeOf)];
    case 'matmul': return options.packed && packsMatmul(k) ? packedMatmulLaunches(k, dtypeOf, scratch) : [matmulLaunch(k, dtypeOf)];
    case 'gather': return [gatherLaunch(k, dtypeOf)];
    case 'take': return [takeLaunch(k, dtypeOf)];
    case 'scatterAdd': return options.packed && sortsScatter(k) ? sortedScatterAddLaunches(k, dtypeOf, scratch) : [scatterAddLaunch(k, dtypeOf)];
    case 'oneHot': return [oneHotLaunch(k, dtypeOf)];
    case 'softmaxCrossEntropy': return softmaxCrossEntropyLaunches(k, dtypeOf, scratch, options.packed);
    case 'random': return [randomLaunch(k)];
    case 'softmax': return softmaxLaunches(k, dtypeOf, scratch(), options.packed);
  }
}

/**
 * Checks a Program and generates its launches, in order; throws listing every problem.
 *
 * @example
 * ```ts
 * const launches = generateProgram(program, 1 << 24);
 * launches[0].source; // 'function (b0, b1) { … }'
 * ```
 */
export function generateProgram(program: Program, maxBufferElements: number, options: GenerateOptions = {}): Launch[] {
  const problems = programProblems(program, maxBufferElements);
  if (problems.length) throw new Error(`gpujs backend cannot run this program:\n  ${problems.join('\n  ')}`);
  const dtypes = new Map(program.buffers.map((b) => [b.id, b.dtype]));
  const dtypeOf = (id: number): DType => dtypes.get(id) ?? 'float32';
  const scratch = counterFrom(Math.max(nextBufferId(program.kernels), ...program.buffers.map((b) => b.id + 1)));
  return program.kernels.flatMap((k, i) => generateKernel(k, dtypeOf, scratch, options).map((l) => ({ ...l, kernel: i })));
}

/** Fresh ids from `first` on. */
function counterFrom(first: number): () => number {
  let next = first;
  return () => next++;
}

/** The first buffer id past every buffer the kernels read or write. */
function nextBufferId(kernels: readonly Kernel[]): number {
  let next = 0;
  for (const k of kernels) {
    const { reads, writes } = kernelViews(k);
    for (const v of [...reads, ...writes]) next = Math.max(next, v.buffer + 1);
  }
  return next;
}
