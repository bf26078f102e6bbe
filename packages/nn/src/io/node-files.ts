/**
 * Files for Node: atomic writes (a temporary file in the same folder, then a rename, so a
 * crash never leaves a half-written checkpoint), and model folders holding `model.json`
 * and `weights.safetensors`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ConfigurableModel } from '../layers/model-config.js';
import type { Model } from '../layers/model.js';
import { loadWeights, modelFromJSON, modelToJSON, saveWeights, type LoadOptions, type SaveOptions } from './checkpoint.js';

/**
 * Writes `data` to `path` atomically: into a temporary file beside it (flushed to disk),
 * then renamed over `path`.
 *
 * @example
 * ```ts
 * await writeFileAtomic('out/weights.safetensors', bytes);
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Saves the parameters (and optimizer state) to a safetensors file, atomically.
 *
 * @example
 * ```ts
 * await saveWeightsFile('mnist.safetensors', model, { optimizer });
 * ```
 */
export async function saveWeightsFile(path: string, model: Model, options: SaveOptions = {}): Promise<void> {
  await writeFileAtomic(path, await saveWeights(model, options));
}

/**
 * Loads parameters (and optimizer state) from a safetensors file into a model.
 *
 * @example
 * ```ts
 * await loadWeightsFile('mnist.safetensors', model);
 * ```
 */
export async function loadWeightsFile(path: string, model: Model, options: LoadOptions = {}): Promise<void> {
  loadWeights(model, await readFile(path), options);
}

/**
 * Saves a Sequential or FunctionalModel to a folder: `model.json` (configuration) and
 * `weights.safetensors` (parameters, and optimizer state when given).
 *
 * @example
 * ```ts
 * await saveModel('checkpoints/mnist', model, { optimizer });
 * ```
 */
export async function saveModel(dir: string, model: ConfigurableModel, options: SaveOptions = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const json = modelToJSON(model);
  await writeFileAtomic(join(dir, 'weights.safetensors'), await saveWeights(model, options));
  await writeFileAtomic(join(dir, 'model.json'), json);
}

/**
 * Loads a model saved by `saveModel` (and the optimizer state into `options.optimizer`).
 *
 * @example
 * ```ts
 * const model = await loadModel('checkpoints/mnist');
 * ```
 */
export async function loadModel(dir: string, options: LoadOptions = {}): Promise<ConfigurableModel> {
  const model = modelFromJSON(await readFile(join(dir, 'model.json'), 'utf8'));
  loadWeights(model, await readFile(join(dir, 'weights.safetensors')), options);
  return model;
}
