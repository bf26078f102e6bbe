/**
 * TensorFlow.js 4.22 on tfjs-backend-webgpu, in Node through Dawn (the `webgpu` package):
 * the peer of symgrad's webgpu backend. The step is the CPU peers' (apps/bench/src/peers/tfjs.ts)
 * with the loss not read back between steps, which is tfjs's fastest way to train.
 */
import { SEED, type MlpData } from '../data.js';
import { stepFlops } from '../harness.js';
import type { GpuTiming } from './seed-gpu.js';

type Tf = typeof import('@tensorflow/tfjs');

/** Gives tfjs a `navigator.gpu` from the `webgpu` package (Node has none). */
async function installNavigatorGpu(): Promise<void> {
  const pkg = 'webgpu';
  const { create, globals } = (await import(/* @vite-ignore */ pkg)) as { create(flags: string[]): unknown; globals: Record<string, unknown> };
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true, writable: true });
}

export async function timeTfjsWebgpuSeedStep(d: MlpData, reps: number): Promise<GpuTiming> {
  await installNavigatorGpu();
  const tfMod = (await import('@tensorflow/tfjs')) as unknown as Tf & { default?: Tf };
  const tf = (tfMod.default ?? tfMod) as Tf;
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs backend webgpu did not initialize');
  await tf.ready();
  const { rows, features, hidden, classes } = d.shape;
  const w1 = tf.variable(tf.tensor2d(d.w1, [features, hidden]), true, 'w1');
  const w2 = tf.variable(tf.tensor2d(d.w2, [hidden, hidden]), true, 'w2');
  const w3 = tf.variable(tf.tensor2d(d.w3, [hidden, classes]), true, 'w3');
  const x = tf.tensor2d(d.x, [rows, features]);
  const oneHot = tf.oneHot(tf.tensor1d(d.y, 'int32'), classes).toFloat();
  const opt = tf.train.sgd(SEED.lr);
  const step = (): void => {
    opt.minimize(() => {
      const h1 = tf.relu(tf.matMul(x, w1));
      const h2 = tf.relu(tf.matMul(h1, w2));
      const yPred = tf.softmax(tf.matMul(h2, w3));
      return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(yPred)), 1))) as ReturnType<Tf['scalar']>;
    }, false);
  };
  for (let i = 0; i < 5; i++) step();
  await w3.data();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) step();
  await w3.data();
  const us = ((performance.now() - t0) * 1000) / reps;
  return {
    peer: `tfjs-webgpu ${tf.version.tfjs}`, item: 'seed step fp32', us, reps, tflops: stepFlops(rows, features, hidden, classes) / us / 1e6,
    note: 'Dawn in Node, loss not read between steps',
  };
}
