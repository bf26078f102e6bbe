/**
 * Keras's ModelCheckpoint: saves the model (configuration, weights and, when given, the
 * optimizer's state) at the end of an epoch, by default only when a monitored epoch log
 * improved, so a run keeps its best model on disk however it ends. Node only (files).
 */
import { FunctionalModel } from '../layers/functional.js';
import type { ConfigurableModel } from '../layers/model-config.js';
import { Sequential } from '../layers/sequential.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { watchLog, type Callback, type WatchOptions } from '../train/callbacks.js';
import { saveModel } from './node-files.js';

/** The options of `modelCheckpoint`. */
export interface ModelCheckpointOptions extends WatchOptions {
  /** Save only when the monitored log improved; true by default (false: every epoch). */
  readonly saveBestOnly?: boolean;
  /** Also save this optimizer's state, so training can resume from the checkpoint. */
  readonly optimizer?: Optimizer;
}

/**
 * Saves the model to the folder `dir` (as `saveModel`: `model.json` and
 * `weights.safetensors`) at the end of each epoch whose monitored log (validation loss by
 * default) improved, or of every epoch with `saveBestOnly: false`. `{epoch}` in `dir` is
 * replaced by the epoch's number, to keep one folder per epoch. `loadModel(dir)` reads it back.
 *
 * @example
 * ```ts
 * await trainer.fit(train, {
 *   epochs: 50, validationData: test,
 *   callbacks: [modelCheckpoint('checkpoints/best', { monitor: 'valAccuracy', optimizer })],
 * });
 * const best = await loadModel('checkpoints/best');
 * ```
 */
export function modelCheckpoint(dir: string, options: ModelCheckpointOptions = {}): Callback {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`modelCheckpoint: dir must be a folder path, got ${JSON.stringify(dir)}`);
  const watch = watchLog('modelCheckpoint', options);
  const bestOnly = options.saveBestOnly ?? true;
  return {
    onTrainBegin() {
      watch.reset();
    },
    async onEpochEnd(epoch, logs, control) {
      // The log is checked every epoch, so a missing one is reported at once even when saving always.
      const improved = watch.improved(logs);
      if (bestOnly && !improved) return;
      const model = control.model;
      if (!(model instanceof Sequential) && !(model instanceof FunctionalModel)) {
        throw new TypeError('modelCheckpoint: saves Sequential and FunctionalModel models (their configuration with the weights); save another model\'s weights with saveWeightsFile in an onEpochEnd callback');
      }
      await saveModel(dir.replaceAll('{epoch}', String(epoch)), model as ConfigurableModel, options.optimizer ? { optimizer: options.optimizer } : {});
    },
  };
}
