import type { ElementwiseKernel, Kernel } from '../program.js';
import { isTemp, isWhole, untouchedBetween, usersOf, type ProgramDraft } from './draft.js';

/** A kernel that copies one whole buffer into another of its dtype, element for element. */
function wholeCopy(d: ProgramDraft, k: Kernel | undefined): k is ElementwiseKernel {
  if (!k || k.kind !== 'elementwise' || k.inputs.length !== 1 || k.outputs.length !== 1 || k.exprs[0]!.op !== 'input') return false;
  const [from, to] = [k.inputs[0]!, k.outputs[0]!];
  return isWhole(d, from) && isWhole(d, to) && d.buffers[from.buffer]!.dtype === d.buffers[to.buffer]!.dtype && d.buffers[from.buffer]!.size === d.buffers[to.buffer]!.size;
}

/**
 * A scatterAdd adds into x itself where x is then overwritten with the result: the lowering
 * copies x into a new buffer and adds the slices there, and an update copies the result
 * back over x (a shared table updated by `w − lr · grad`, which the graph rewrites made a
 * scatterAdd into w). Where no kernel between the two copies touches x, both whole-buffer
 * copies go, and the update touches only the slices at the indices.
 */
export function scatterInPlace(d: ProgramDraft): boolean {
  for (let ki = 0; ki < d.kernels.length; ki++) {
    const k = d.kernels[ki];
    if (!k || k.kind !== 'scatterAdd' || !isTemp(d, k.output.buffer)) continue;
    const t = k.output.buffer;
    const { readers, writers } = usersOf(d, t);
    const copyIn = writers.filter((i) => i !== ki);
    const copyOut = readers.filter((i) => i !== ki);
    if (copyIn.length !== 1 || copyOut.length !== 1) continue;
    const [ci, ui] = [copyIn[0]!, copyOut[0]!];
    const [c, u] = [d.kernels[ci], d.kernels[ui]];
    if (!(ci < ki && ki < ui) || !wholeCopy(d, c) || !wholeCopy(d, u)) continue;
    const x = c.inputs[0]!.buffer;
    if (c.outputs[0]!.buffer !== t || u.inputs[0]!.buffer !== t || u.outputs[0]!.buffer !== x) continue;
    if (k.updates.buffer === x || k.indices.buffer === x || !untouchedBetween(d, [x], ci, ui, true)) continue;
    d.kernels[ki] = { ...k, output: { ...k.output, buffer: x } };
    d.sources[ki] = [...d.sources[ci]!, ...d.sources[ki]!, ...d.sources[ui]!];
    d.kernels[ci] = undefined;
    d.kernels[ui] = undefined;
    return true;
  }
  return false;
}
