import { sameViewExact, untouchedBetween, usersOf, type ProgramDraft } from './draft.js';

/**
 * The forward loss and the gradient of softmax cross-entropy over the same logits and labels
 * become one kernel that computes both in one pass over the logits.
 */
export function mergeSoftmaxCrossEntropy(d: ProgramDraft): boolean {
  let any = false;
  d.kernels.forEach((l, i) => {
    if (l?.kind !== 'softmaxCrossEntropy' || l.grad) return;
    for (let j = i + 1; j < d.kernels.length; j++) {
      const g = d.kernels[j];
      if (g?.kind !== 'softmaxCrossEntropy' || !g.grad) continue;
      if (!sameViewExact(g.logits, l.logits) || !sameViewExact(g.labels, l.labels)) continue;
      if (!untouchedBetween(d, [l.logits.buffer, l.labels.buffer], i, j)) continue;
      // The gradient is now computed at i: its scale must already be final there, and its output untouched until j.
      if (usersOf(d, g.grad.scale.buffer).writers.some((w) => w >= i)) continue;
      if (!untouchedBetween(d, [g.grad.output.buffer], i, j, true)) continue;
      d.kernels[i] = { ...l, grad: g.grad, label: `${l.label}+grad` };
      d.sources[i] = [...d.sources[i]!, ...d.sources[j]!];
      d.kernels[j] = undefined;
      any = true;
      return;
    }
  });
  return any;
}
