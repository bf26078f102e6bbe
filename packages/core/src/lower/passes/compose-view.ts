import { contiguousStrides } from '../../ir/type.js';
import type { View } from '../program.js';

/**
 * A consumer reads a producer's output T (laid out contiguously over `producerShape`)
 * through `consumerView`. When that view is a permutation of T's axes (no broadcast, no
 * offset, possibly with size-1 axes added or dropped), this returns the producer's input
 * view `inner` re-expressed in the consumer's index space, so the producer's expression can
 * be evaluated inside the consumer. Otherwise undefined.
 */
export function composeView(consumerView: View, producerShape: readonly number[], inner: View): View | undefined {
  if (consumerView.offset !== 0) return undefined;
  const cs = contiguousStrides(producerShape);
  const used = new Set<number>();
  const strides: number[] = [];
  for (let d = 0; d < consumerView.shape.length; d++) {
    const n = consumerView.shape[d]!;
    if (n === 1) {
      strides.push(0);
      continue;
    }
    const s = consumerView.strides[d]!;
    const a = producerShape.findIndex((p, ax) => !used.has(ax) && p === n && cs[ax] === s);
    if (a < 0) return undefined;
    used.add(a);
    strides.push(inner.strides[a]!);
  }
  if (producerShape.some((p, ax) => p > 1 && !used.has(ax))) return undefined;
  return { buffer: inner.buffer, offset: inner.offset, shape: [...consumerView.shape], strides };
}
