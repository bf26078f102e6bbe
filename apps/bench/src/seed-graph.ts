/**
 * The seed MLP as a symgrad graph, on no backend in particular: the cpu rows, the GPU
 * backends and the WebGL page (a browser bundle, where no Node backend may load) build it here.
 */
import { T, shared, NDArray, type SharedVariable, type Variable } from '@symgrad/core';
import { grad } from '@symgrad/autodiff';
import { SEED, type MlpData } from './data.js';

/** The seed MLP on inputs `x`, `y` (placeholders or shared variables): weights from `d`, prediction, loss and SGD updates. */
export function seedGraph(d: MlpData, x: Variable, y: Variable): { weights: SharedVariable[]; yPred: Variable; loss: Variable; updates: [SharedVariable, Variable][] } {
  const { features, hidden, classes } = d.shape;
  const w1 = shared(new NDArray('float32', [features, hidden], d.w1.slice()), 'w1');
  const w2 = shared(new NDArray('float32', [hidden, hidden], d.w2.slice()), 'w2');
  const w3 = shared(new NDArray('float32', [hidden, classes], d.w3.slice()), 'w3');
  const h1 = T.relu(T.dot(x, w1));
  const h2 = T.relu(T.dot(h1, w2));
  const yPred = T.softmax(T.dot(h2, w3));
  const loss = T.mean(T.categoricalCrossentropy(yPred, y));
  const weights = [w1, w2, w3];
  const grads = grad(loss, weights);
  return { weights, yPred, loss, updates: weights.map((w, i) => [w, w.sub(grads[i]!.mul(SEED.lr))]) };
}

