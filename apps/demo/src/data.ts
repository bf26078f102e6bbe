/** Random data for the demo and the accuracy metric. */
import { NDArray } from '@symgrad/core';
import { normal, uniform } from '@symgrad/nn';

export interface Split {
  readonly xTrain: NDArray;
  readonly yTrain: NDArray;
  readonly xTest: NDArray;
  readonly yTest: NDArray;
}

/**
 * `samples` rows of standard-normal features and uniformly random int32 labels in
 * [0, classes), split into the first `nTrain` rows and the rest. The labels do not depend on
 * the features: nothing can be learned that generalizes.
 */
export function randomSplit(samples: number, features: number, classes: number, nTrain: number, seed: number): Split {
  const x = normal([samples, features], { seed });
  const u = uniform([samples], { low: 0, high: classes, seed: seed + 1 });
  const labels = new Int32Array(samples);
  for (let i = 0; i < samples; i++) labels[i] = Math.min(classes - 1, Math.floor(u.data[i]!));
  const rows = (a: Float32Array, from: number, to: number): Float32Array => a.slice(from * features, to * features);
  return {
    xTrain: new NDArray('float32', [nTrain, features], rows(x.data as Float32Array, 0, nTrain)),
    yTrain: new NDArray('int32', [nTrain], labels.slice(0, nTrain)),
    xTest: new NDArray('float32', [samples - nTrain, features], rows(x.data as Float32Array, nTrain, samples)),
    yTest: new NDArray('int32', [samples - nTrain], labels.slice(nTrain)),
  };
}

/** The fraction of rows of `probabilities` ([n, classes]) whose largest entry is at the label. */
export function accuracy(probabilities: NDArray, labels: NDArray): number {
  const [n, c] = probabilities.shape as [number, number];
  if (probabilities.ndim !== 2 || labels.ndim !== 1 || labels.shape[0] !== n) {
    throw new Error(`accuracy: expected probabilities [n, classes] and labels [n], got [${probabilities.shape.join(', ')}] and [${labels.shape.join(', ')}]`);
  }
  if (n === 0) return 0;
  const p = probabilities.data;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (p[i * c + j]! > p[i * c + best]!) best = j;
    if (best === labels.data[i]) hits++;
  }
  return hits / n;
}

/** FLOPs of one training step of the MLP (matrix products only; forward + backward). */
export function stepFlops(n: number, features: number, hidden: number, classes: number): number {
  const forward = 2 * n * (features * hidden + hidden * hidden + hidden * classes);
  // Backward: a weight gradient for every layer, an input gradient for layers 2 and 3.
  const backward = forward + 2 * n * (hidden * hidden + hidden * classes);
  return forward + backward;
}
