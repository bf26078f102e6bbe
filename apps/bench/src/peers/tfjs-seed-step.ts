/**
 * The seed training step written against TensorFlow.js's API alone, so that the Node peers
 * (peers/tfjs.ts: wasm, cpu) and the WebGL page (webgl/page.ts: webgl) run the same code: the
 * seed MLP with tf.variable weights, softmax, mean categorical cross-entropy against the
 * labels (one-hot once, outside the step) and tf.train.sgd(0.1).minimize, the loss read back
 * every step.
 */
import { SEED, type MlpData } from '../data.js';

type Tf = typeof import('@tensorflow/tfjs');

/** One seed step on tfjs's current backend, returning the loss; and the release of its tensors. */
export interface TfjsSeedStep {
  step(): number;
  dispose(): void;
}

/**
 * The seed MLP of `d` on `tf`'s current backend.
 *
 * @example
 * ```ts
 * const s = tfjsSeedStep(tf, mlpData(GPUJS_SEED_SHAPE));
 * const loss = s.step();
 * s.dispose();
 * ```
 */
export function tfjsSeedStep(tf: Tf, d: MlpData): TfjsSeedStep {
  const { rows, features, hidden, classes } = d.shape;
  const w1 = tf.variable(tf.tensor2d(d.w1, [features, hidden]), true, 'w1');
  const w2 = tf.variable(tf.tensor2d(d.w2, [hidden, hidden]), true, 'w2');
  const w3 = tf.variable(tf.tensor2d(d.w3, [hidden, classes]), true, 'w3');
  const x = tf.tensor2d(d.x, [rows, features]);
  const labels = tf.tensor1d(d.y, 'int32');
  const oneHot = tf.oneHot(labels, classes).toFloat();
  const opt = tf.train.sgd(SEED.lr);
  return {
    step: () => {
      const loss = opt.minimize(() => {
        const h1 = tf.relu(tf.matMul(x, w1));
        const h2 = tf.relu(tf.matMul(h1, w2));
        const yPred = tf.softmax(tf.matMul(h2, w3));
        return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(yPred)), 1))) as ReturnType<Tf['scalar']>;
      }, true);
      const v = loss!.dataSync()[0]!;
      loss!.dispose();
      return v;
    },
    dispose: () => {
      opt.dispose();
      for (const t of [w1, w2, w3, x, labels, oneHot]) t.dispose();
    },
  };
}
