/**
 * Training callbacks and the events the Trainer reports: a callback's hooks are awaited in
 * order; `control.stop(reason)` ends training after the current batch or epoch.
 */
import { kindOf, type NDArray, type SharedVariable } from '@symgrad/core';
import { savedVariables, type Model } from '../layers/model.js';

/** Numbers reported for an epoch: `loss`, metrics (`accuracy`), `valLoss`, `valAccuracy`, `learningRate`, … */
export type Logs = Record<string, number>;

/** What callbacks may do to the run. */
export interface TrainControl {
  /** Ends training after the current batch (from onBatchEnd) or epoch; `reason` goes into the history. */
  stop(reason?: string): void;
  /** True once `stop` was called. */
  readonly stopRequested: boolean;
  /** The model being trained. */
  readonly model: Model;
}

/** Reported after each training batch. Epochs and steps count from 1. */
export interface BatchInfo {
  readonly epoch: number;
  /** The step within the epoch. */
  readonly step: number;
  readonly stepsPerEpoch: number;
  /** Steps since this trainer was created. */
  readonly globalStep: number;
  /** Rows in the batch. */
  readonly size: number;
  /** The batch's loss when it was read from the device (every `lossEvery` steps), else undefined. */
  readonly loss: number | undefined;
}

/** The result of `fit`. */
export interface History {
  /** One entry per finished epoch. */
  readonly epochs: Logs[];
  /** Set when a callback or early stopping ended training before the last epoch. */
  readonly stopped: { readonly epoch: number; readonly reason: string } | undefined;
}

/** A training event, as the async event stream yields them (epochs and steps count from 1). */
export type TrainEvent =
  | { readonly type: 'trainBegin'; readonly epochs: number; readonly stepsPerEpoch: number }
  | { readonly type: 'epochBegin'; readonly epoch: number }
  | ({ readonly type: 'batchEnd' } & BatchInfo)
  | { readonly type: 'epochEnd'; readonly epoch: number; readonly logs: Logs }
  | { readonly type: 'trainEnd'; readonly history: History };

/**
 * Hooks called during `fit`; each may be async. Epochs and steps count from 1.
 *
 * @example
 * ```ts
 * const logger: Callback = {
 *   onEpochEnd: (epoch, logs) => console.log(epoch, logs.loss, logs.valAccuracy),
 * };
 * await trainer.fit(train, { epochs: 10, callbacks: [logger] });
 * ```
 */
export interface Callback {
  onTrainBegin?(info: { epochs: number; stepsPerEpoch: number }, control: TrainControl): void | Promise<void>;
  onEpochBegin?(epoch: number, control: TrainControl): void | Promise<void>;
  onBatchEnd?(batch: BatchInfo, control: TrainControl): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs, control: TrainControl): void | Promise<void>;
  onTrainEnd?(history: History, control: TrainControl): void | Promise<void>;
}

export interface EarlyStoppingOptions extends WatchOptions {
  /** Epochs without improvement before stopping; 0 by default. */
  readonly patience?: number;
  /** Put back the parameters of the best epoch when stopping or at the end; false by default. */
  readonly restoreBestWeights?: boolean;
}

/**
 * Stops training when a monitored value (validation loss by default) has not improved by
 * more than `minDelta` for `patience` epochs.
 *
 * @example
 * ```ts
 * await trainer.fit(train, {
 *   epochs: 100, validationData: test,
 *   callbacks: [earlyStopping({ monitor: 'valLoss', patience: 3, minDelta: 1e-3 })],
 * });
 * ```
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callback {
  const watch = watchLog('earlyStopping', options);
  const { monitor, minDelta } = watch;
  const patience = options.patience ?? 0;
  if (!Number.isInteger(patience) || patience < 0) throw new RangeError(`earlyStopping: patience must be a non-negative integer, got ${String(patience)}`);
  let wait = 0;
  let bestWeights: Map<SharedVariable, NDArray> | undefined;
  const restore = (model: Model): void => {
    if (!bestWeights) return;
    for (const p of savedVariables(model)) {
      const v = bestWeights.get(p);
      if (v) p.set(v);
    }
  };
  return {
    onTrainBegin() {
      watch.reset();
      wait = 0;
      bestWeights = undefined;
    },
    async onEpochEnd(_epoch, logs, control) {
      if (watch.improved(logs)) {
        wait = 0;
        if (options.restoreBestWeights) {
          bestWeights = new Map();
          for (const p of savedVariables(control.model)) bestWeights.set(p, await p.read());
        }
        return;
      }
      wait++;
      if (wait >= Math.max(1, patience)) {
        if (options.restoreBestWeights) restore(control.model);
        control.stop(`early stopping: ${monitor} did not improve by more than ${minDelta} for ${wait} epoch${wait > 1 ? 's' : ''} (best ${watch.best})`);
      }
    },
    onTrainEnd(_history, control) {
      if (options.restoreBestWeights && !control.stopRequested) restore(control.model);
    },
  };
}

/** What a callback watches: an epoch log, which way is better, and by how much a change counts. */
export interface WatchOptions {
  /** The epoch log to watch; 'valLoss' by default. */
  readonly monitor?: string;
  /** 'min' (losses), 'max' (accuracies) or 'auto' (max when the name contains 'acc'); 'auto' by default. */
  readonly mode?: 'min' | 'max' | 'auto';
  /** The smallest change that counts as an improvement; 0 by default. */
  readonly minDelta?: number;
}

/**
 * The best value of an epoch log so far, for callbacks that act on improvements
 * (earlyStopping, modelCheckpoint): `improved(logs)` says whether this epoch beat it (and
 * records it), naming `who` and the logs there are when the monitored one is missing. @internal
 */
export function watchLog(who: string, options: WatchOptions): { readonly monitor: string; readonly minDelta: number; readonly best: number; reset(): void; improved(logs: Logs): boolean } {
  const monitor = options.monitor ?? 'valLoss';
  const minDelta = Math.abs(options.minDelta ?? 0);
  if (typeof monitor !== 'string') throw new TypeError(`${who}: monitor must be the name of an epoch log such as 'valLoss' or 'valAccuracy', got ${kindOf(monitor)}`);
  if (!Number.isFinite(minDelta)) throw new RangeError(`${who}: minDelta must be a finite number, got ${String(options.minDelta)}`);
  const modeOpt = options.mode ?? 'auto';
  if (!['min', 'max', 'auto'].includes(modeOpt)) throw new TypeError(`${who}: mode must be 'min', 'max' or 'auto', got ${JSON.stringify(modeOpt)}`);
  const mode = modeOpt === 'auto' ? (/acc/i.test(monitor) ? 'max' : 'min') : modeOpt;
  let best = mode === 'min' ? Infinity : -Infinity;
  return {
    monitor,
    minDelta,
    get best() { return best; },
    reset() { best = mode === 'min' ? Infinity : -Infinity; },
    improved(logs) {
      const value = logs[monitor];
      if (value === undefined) {
        throw new Error(`${who}: monitor '${monitor}' is not among the epoch logs (${Object.keys(logs).join(', ')})${monitor.startsWith('val') ? ': pass validationData to fit, or monitor \'loss\'' : ''}`);
      }
      const better = mode === 'min' ? value < best - minDelta : value > best + minDelta;
      if (better) best = value;
      return better;
    },
  };
}

/**
 * A callback from plain functions (handy for logging).
 *
 * @example
 * ```ts
 * callback({ onEpochEnd: (e, logs) => console.log(`epoch ${e}: loss ${logs.loss.toFixed(4)}`) });
 * ```
 */
export function callback(hooks: Callback): Callback {
  return hooks;
}
