/**
 * Saved model configurations of either kind (Sequential, FunctionalModel), and the model one
 * describes: what `modelFromJSON` and `loadModel` read.
 */
import { FunctionalModel, type FunctionalModelConfig } from './functional.js';
import { readModelConfig } from './model.js';
import { Sequential, type SequentialConfig } from './sequential.js';

/** A saved model configuration (JSON): a Sequential's or a FunctionalModel's. */
export type ModelConfig = SequentialConfig | FunctionalModelConfig;

/** A model with a configuration, which save and load can rebuild. */
export type ConfigurableModel = Sequential | FunctionalModel;

/**
 * The model a configuration (or its JSON text) describes, with fresh weights.
 *
 * @example
 * ```ts
 * const copy = modelFromConfig(model.toConfig());
 * ```
 */
export function modelFromConfig(config: ModelConfig | string): ConfigurableModel {
  const { className } = readModelConfig('modelFromConfig', config);
  if (className === 'Sequential') return Sequential.fromConfig(config as SequentialConfig | string);
  if (className === 'FunctionalModel') return FunctionalModel.fromConfig(config as FunctionalModelConfig | string);
  throw new Error(`modelFromConfig: unsupported model class ${JSON.stringify(className)} (expected 'Sequential' or 'FunctionalModel')`);
}
