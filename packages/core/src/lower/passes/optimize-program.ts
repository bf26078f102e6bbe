import type { PassName } from '../../rewrite/pipeline.js';
import type { LoweredProgram } from '../lower-graph.js';
import { mapKernelViews, type Kernel } from '../program.js';
import { reads, writes, type ProgramDraft } from './draft.js';
import { deadCode, foldUpdateIntoMatmul, fuseElementwise, fuseMatmulEpilogue, fuseReduce, fuseReduceEpilogue } from './fuse.js';
import { accumulateSlices } from './accumulate-slices.js';
import { scatterInPlace } from './scatter-in-place.js';
import { concatInPlace } from './concat-in-place.js';
import { permuteInPlace } from './permute-in-place.js';
import { inlineConstants } from './inline-constants.js';
import { fuseSiblings } from './fuse-siblings.js';
import { foldConstantKernels } from './fold-constant-kernels.js';
import { mergeSoftmaxCrossEntropy } from './merge-softmax-cross-entropy.js';
import { specializeMatmul } from './specialize-matmul.js';
import { planMemory, type MemoryReport } from './memory-plan.js';
import { sameView } from '../view.js';

export interface ProgramPassReport {
  readonly pass: string;
  readonly ms: number;
  readonly kernels: number;
}

const ORDER: [PassName, (d: ProgramDraft) => boolean][] = [
  ['inlineConstants', inlineConstants],
  ['foldConstantKernels', foldConstantKernels],
  ['mergeSoftmaxCrossEntropy', mergeSoftmaxCrossEntropy],
  ['fuseElementwise', fuseElementwise],
  ['accumulateSlices', accumulateSlices],
  ['scatterInPlace', scatterInPlace],
  ['foldUpdateIntoMatmul', foldUpdateIntoMatmul],
  ['fuseMatmulEpilogue', fuseMatmulEpilogue],
  ['specializeMatmul', specializeMatmul],
  ['concatInPlace', concatInPlace],
  ['permuteInPlace', permuteInPlace],
  ['fuseReduce', fuseReduce],
  ['fuseReduce', fuseReduceEpilogue],
  ['fuseSiblings', fuseSiblings],
  ['deadCode', deadCode],
];

/**
 * Runs the Program passes (constant inlining, fusion, the SGD fold, dead-kernel removal,
 * memory planning) and renumbers buffers so that only the ones still used are allocated.
 */
export function optimizeProgram(lowered: LoweredProgram, enabled: ReadonlySet<PassName>, maxKernelBuffers = Infinity): { lowered: LoweredProgram; report: ProgramPassReport[]; memory: MemoryReport } {
  const pinned = new Set<number>([...lowered.inputBuffers, ...lowered.sharedBuffers.values(), ...lowered.outputs.map((o) => o.buffer)]);
  const d: ProgramDraft = {
    buffers: [...lowered.program.buffers],
    kernels: [...lowered.program.kernels],
    sources: lowered.sources.map((s) => [...s]),
    constants: new Map(lowered.constants),
    pinned,
    maxKernelBuffers,
  };
  const report: ProgramPassReport[] = [];
  const count = () => d.kernels.filter(Boolean).length;
  for (const [name, pass] of ORDER) {
    if (!enabled.has(name)) continue;
    const t0 = performance.now();
    while (pass(d)) { /* to a fixpoint */ }
    report.push({ pass: name, ms: performance.now() - t0, kernels: count() });
  }
  const t0 = performance.now();
  const { rename, report: memory } = planMemory(d, enabled.has('memoryPlan'));
  if (enabled.has('memoryPlan')) report.push({ pass: 'memoryPlan', ms: performance.now() - t0, kernels: count() });

  // Renumber: keep runtime-bound buffers and the temp slots live kernels use, in order.
  const slotOf = (b: number) => rename.get(b) ?? b;
  // A copy that memory planning put in place (a sum left with one term, say) does nothing.
  const noOp = (k: Kernel): boolean => k.kind === 'elementwise' && k.inputs.length === 1 && k.outputs.length === 1 && k.exprs[0]!.op === 'input'
    && k.exprs[0]!.dtype === d.buffers[k.inputs[0]!.buffer]!.dtype && slotOf(k.inputs[0]!.buffer) === slotOf(k.outputs[0]!.buffer)
    && sameView({ ...k.inputs[0]!, buffer: 0 }, { ...k.outputs[0]!, buffer: 0 });
  const live = d.kernels.map((k) => k !== undefined && !noOp(k));
  const kernels = d.kernels.filter((k, i): k is Kernel => live[i]!);
  const sources = d.sources.filter((_, i) => live[i]);
  const used = new Set<number>(pinned);
  for (const k of kernels) for (const v of [...reads(k), ...writes(k)]) used.add(slotOf(v.buffer));
  const order = [...used].sort((a, b) => a - b);
  const index = new Map(order.map((b, i) => [b, i]));
  const id = (b: number) => index.get(slotOf(b))!;
  const program = {
    buffers: order.map((b, i) => ({ ...d.buffers[b]!, id: i })),
    kernels: kernels.map((k) => mapKernelViews(k, (v) => ({ ...v, buffer: id(v.buffer) }))),
  };
  return {
    lowered: {
      program,
      sources,
      inputBuffers: lowered.inputBuffers.map(id),
      sharedBuffers: new Map([...lowered.sharedBuffers].map(([s, b]) => [s, id(b)])),
      constants: new Map([...d.constants].filter(([b]) => used.has(b)).map(([b, data]) => [id(b), data])),
      outputs: lowered.outputs.map((o) => ({ ...o, buffer: id(o.buffer) })),
      updated: lowered.updated,
    },
    report,
    memory,
  };
}
