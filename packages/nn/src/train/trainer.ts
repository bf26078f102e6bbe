/**
 * The backend-agnostic training loop. A Trainer compiles one training function (forward,
 * loss, gradients, optimizer updates and on-device loss/metric accumulators) and one
 * evaluation function per input signature, then iterates minibatches.
 *
 * Compiled functions cache per input shape, so a dataset whose size is not a multiple of
 * the batch size compiles exactly two shapes of each function (the full batch and the
 * remainder), once, not once per epoch (`compiledSignatures()` reports the counts).
 *
 * The loss is read from the device only when someone needs it: every `lossEvery` steps when
 * that is set, else every step while an `onBatchEnd` callback or an event reader is
 * listening, else never during the epoch — the other steps run with `enqueue`, and the epoch
 * loss comes from an accumulator read once at the end of the epoch.
 */
import {
  fn, NDArray, ready, shared, T, tensor, type CompiledFunction, type SharedVariable, type TypedArray, type Variable,
} from '@symgrad/core';
import type { Augment } from '../data/augment.js';
import { Dataset, type Batch, type Features } from '../data/dataset.js';
import { stateUpdates } from '../layers/layer.js';
import type { Model } from '../layers/model.js';
import { resolveLoss, type Loss } from '../losses.js';
import { scoredMetrics, type MetricSpec, type ScoredMetric } from './scored-metrics.js';
import { checkTrimPadding, idLengths, trimBatch, type TrimPaddingOptions } from './trim-padding.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import type { BatchInfo, Callback, History, Logs, TrainControl, TrainEvent } from './callbacks.js';
import { EventLog, yieldToEventLoop } from './event-log.js';
import { FitRun, NonFiniteLossError } from './fit-run.js';

export interface TrainerOptions {
  /**
   * A loss by name ('softmaxCrossEntropy', …) or a function (output, targets) → scalar; for a
   * model of several outputs (a FunctionalModel's `outputs: [a, b]`), one per output, the data's
   * `y` then holding one array per output.
   */
  readonly loss: Loss | readonly Loss[];
  /** With a loss per output, the weights of their sum (the loss trained on); 1 each by default. */
  readonly lossWeights?: readonly number[];
  readonly optimizer: Optimizer;
  /**
   * Metrics to report: 'accuracy' (binary accuracy for a sigmoid loss, as in Keras), 'mae',
   * 'mse', topK(k), or custom `Metric`s. With a loss per output, one list scores every output
   * and one list per output (`[['accuracy'], ['mae']]`) each its own, reported as
   * `output0Accuracy`, `output1Mae`, …
   */
  readonly metrics?: readonly MetricSpec[] | readonly (readonly MetricSpec[])[];
  /** The backend to compile for; the default backend when omitted. */
  readonly backend?: string;
  /** 'debug' compiles with fn's debug mode (every kernel checked for NaN/Inf) and reads every step. */
  readonly mode?: 'normal' | 'debug';
}

/**
 * Training data: a Dataset or `{ x, y }` NDArrays with one row per example; for a model of
 * several inputs, `x` is one NDArray per input, in the order of the model's inputs, and for
 * one trained on several outputs, `y` one per output.
 */
export type Data = Dataset<Features, Features> | { readonly x: Features; readonly y: Features };

export interface FitOptions {
  /** 1 by default. */
  readonly epochs?: number;
  /** 32 by default. */
  readonly batchSize?: number;
  /** Shuffle each epoch (seeded); true by default. */
  readonly shuffle?: boolean;
  /** Seed of the batch order; 0 by default. */
  readonly seed?: number;
  /** Evaluated after each epoch; reported as valLoss, valAccuracy, … */
  readonly validationData?: Data;
  readonly callbacks?: readonly Callback[];
  /** Read the loss from the device every this many steps (and at the last step of each epoch). */
  readonly lossEvery?: number;
  /** Transforms each training batch on the host (e.g. `randomShift`); not applied to validation. */
  readonly augment?: Augment;
  /**
   * Cuts each batch of padded ids (x int32 [n, steps]) to its longest sequence: the trailing
   * steps that are `padId` in every row go (the leading ones with `padding: 'pre'`), from x and
   * from targets of as many steps (validation too). Several inputs of ids (a translation model's source and target texts) are each cut
   * to their own longest, with the inputs and targets of their number of steps. With a mask
   * (an Embedding's `maskZero`) the results are those of the padded batch; one function is
   * compiled per length met (`multiple` rounds lengths up to bound them).
   */
  readonly trimPadding?: TrimPaddingOptions;
}

/** The epoch's sums on the device, shared by the training functions of every batch shape. */
interface Accumulators {
  readonly loss: SharedVariable;
  readonly count: SharedVariable;
  readonly metrics: readonly MetricAccumulator[];
  readonly outputLosses: readonly SharedVariable[];
}

interface Compiled {
  readonly train: CompiledFunction<Variable>;
  readonly evaluate: CompiledFunction<readonly Variable[]>;
  /** The outputs the evaluation function returns after the loss, for the metrics computed on the host. */
  readonly hostOutputs: readonly number[];
  /**
   * The metrics the evaluation function sums on the device: its outputs after the loss and the
   * host outputs are their sums, then their counts, then each output's loss with several.
   */
  readonly evaluated: readonly ScoredMetric[];
}

/** A metric summed on the device during an epoch, with its count where it has one (else the rows). */
interface MetricAccumulator {
  readonly scored: ScoredMetric;
  readonly sum: SharedVariable;
  readonly count: SharedVariable | undefined;
}

/** Whether `x` is an NDArray or a non-empty list of them (one per model input or output). */
const isFeatures = (x: unknown): x is Features => x instanceof NDArray || (Array.isArray(x) && x.length > 0 && x.every((a) => a instanceof NDArray));

function toDataset(who: string, data: Data): Dataset<Features, Features> {
  if (data instanceof Dataset) return data;
  if (typeof data === 'object' && data !== null && isFeatures(data.x) && isFeatures(data.y)) return new Dataset(data.x, data.y);
  throw new TypeError(`${who}: data must be a Dataset or { x, y } NDArrays (x may be one NDArray per model input, y one per output)`);
}

/** The arrays of some features as a list (one for a single input). */
const listOf = (x: Features): readonly NDArray[] => (Array.isArray(x) ? x : [x as NDArray]);

function checkPositiveInt(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`${who}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

const zero = (): NDArray => NDArray.from(0, 'float32');
const keyOf = (x: Features): string => listOf(x).map((a) => `${a.dtype}[${a.shape.slice(1).join(',')}]`).join('|');

/**
 * Trains a model: `fit`, `evaluate`, `predict`, with callbacks and an async event stream.
 *
 * @example
 * ```ts
 * const trainer = new Trainer(model, { loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
 * const history = await trainer.fit(train, { epochs: 10, batchSize: 64, validationData: test });
 * const { loss, accuracy } = await trainer.evaluate(test);
 * const scores = await trainer.predict(test.x);
 * ```
 */
export class Trainer {
  readonly model: Model;
  readonly optimizer: Optimizer;
  /** The metrics reported, each with the output it scores and its name in the logs. */
  readonly metrics: readonly ScoredMetric[];
  private readonly lossFns: readonly ((output: Variable, targets: Variable) => Variable)[];
  /** A loss per output: the model is applied with `applyOutputs` and the losses summed with `lossWeights`. */
  private readonly perOutput: boolean;
  private readonly lossWeights: readonly number[];
  private readonly options: TrainerOptions;
  private readonly compiled = new Map<string, Compiled>();
  private accumulators: Accumulators | undefined;
  private readonly predictors = new Map<string, CompiledFunction<readonly Variable[]>>();
  private readonly programs = { train: new Set<unknown>(), evaluate: new Set<unknown>(), predict: new Set<unknown>() };
  private readonly subscribers = new Set<EventLog<TrainEvent>>();
  private running = false;
  private step = 0;
  private epochsDone = 0;

  constructor(model: Model, options: TrainerOptions) {
    if (typeof model !== 'object' || model === null || typeof model.apply !== 'function' || typeof model.parameters !== 'function') {
      throw new TypeError('Trainer: model must have apply(x, options) and parameters() (e.g. a Sequential)');
    }
    if (typeof options !== 'object' || options === null) throw new TypeError("Trainer: options must give a loss and an optimizer, e.g. { loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }) }");
    if (typeof options.optimizer !== 'object' || options.optimizer === null || typeof options.optimizer.updates !== 'function') {
      throw new TypeError('Trainer: options.optimizer must be an optimizer such as sgd({ learningRate: 0.1 }) or adam({ learningRate: 1e-3 })');
    }
    if (options.mode !== undefined && options.mode !== 'normal' && options.mode !== 'debug') throw new TypeError(`Trainer: mode must be 'normal' or 'debug', got ${JSON.stringify(options.mode)}`);
    this.model = model;
    this.optimizer = options.optimizer;
    this.perOutput = Array.isArray(options.loss);
    this.lossFns = (this.perOutput ? (options.loss as readonly Loss[]) : [options.loss as Loss]).map(resolveLoss);
    if (this.perOutput) {
      if (this.lossFns.length === 0) throw new Error('Trainer: loss is an empty array; give one loss per model output');
      if (typeof model.applyOutputs !== 'function') throw new TypeError('Trainer: a loss per output needs a model of several outputs (a FunctionalModel, whose applyOutputs gives them)');
    }
    const weights = options.lossWeights ?? this.lossFns.map(() => 1);
    if (!Array.isArray(weights) || weights.length !== this.lossFns.length || weights.some((w) => typeof w !== 'number' || !Number.isFinite(w))) {
      throw new Error(`Trainer: lossWeights must be ${this.lossFns.length} finite number${this.lossFns.length === 1 ? '' : 's'} (one per loss), got ${JSON.stringify(options.lossWeights)}`);
    }
    this.lossWeights = weights;
    this.metrics = scoredMetrics(options.metrics ?? [], this.perOutput ? (options.loss as readonly Loss[]) : [options.loss as Loss], this.perOutput);
    this.options = options;
  }

  /** Optimizer steps taken by this trainer so far. */
  get globalStep(): number {
    return this.step;
  }

  /**
   * How many input signatures (shapes) each function has compiled. With a remainder batch,
   * `train` is 2 however many epochs ran.
   */
  compiledSignatures(): { train: number; evaluate: number; predict: number } {
    return { train: this.programs.train.size, evaluate: this.programs.evaluate.size, predict: this.programs.predict.size };
  }

  /**
   * The events of the next run (or the one in progress, from now on), ending with its
   * `trainEnd`; throws the run's error if it fails.
   *
   * @example
   * ```ts
   * const events = trainer.events();
   * const run = trainer.fit(train, { epochs: 5 });
   * for await (const ev of events) if (ev.type === 'epochEnd') chart.add(ev.logs.loss);
   * ```
   */
  events(): AsyncIterableIterator<TrainEvent> {
    const log = new EventLog<TrainEvent>();
    this.subscribers.add(log);
    return log.iterate(0);
  }

  /**
   * Trains for `epochs` epochs of minibatches. Returns a FitRun: await it for the History,
   * iterate it for the events. Yields to the event loop between batches.
   *
   * @example
   * ```ts
   * const history = await trainer.fit(train, { epochs: 10, batchSize: 64, validationData: test, callbacks: [earlyStopping({ patience: 2 })] });
   * ```
   */
  fit(data: Data, options: FitOptions = {}): FitRun {
    const log = new EventLog<TrainEvent>();
    const promise = (async () => {
      if (this.running) throw new Error('Trainer.fit: a fit is already running on this trainer; await it first');
      this.running = true;
      try {
        const history = await this.run(toDataset('Trainer.fit', data), options, log);
        log.close();
        for (const s of this.subscribers) s.close();
        this.subscribers.clear();
        return history;
      } catch (err) {
        log.fail(err);
        for (const s of this.subscribers) s.fail(err);
        this.subscribers.clear();
        throw err;
      } finally {
        this.running = false;
      }
    })();
    return new FitRun(promise, log);
  }

  /**
   * The mean loss and metrics over a dataset (model in evaluation mode).
   *
   * @example
   * ```ts
   * const { loss, accuracy } = await trainer.evaluate(test, { batchSize: 500 });
   * ```
   */
  async evaluate(data: Data, options: { batchSize?: number; trimPadding?: TrimPaddingOptions } = {}): Promise<Logs> {
    const ds = toDataset('Trainer.evaluate', data);
    const batchSize = checkPositiveInt('Trainer.evaluate', 'batchSize', options.batchSize ?? 256);
    const trim = checkTrimPadding('Trainer.evaluate', options.trimPadding);
    if (ds.length === 0) throw new Error('Trainer.evaluate: the dataset is empty');
    await ready(this.options.backend);
    let loss = 0;
    // A metric summed on the device adds its sum and count; a host metric its batch means by rows.
    const sums = this.metrics.map(() => 0);
    const counts = this.metrics.map(() => 0);
    const outputLosses = this.perOutput ? this.lossFns.map(() => 0) : [];
    for (const raw of ds.batches(batchSize)) {
      const batch = trim ? trimBatch('Trainer.evaluate', raw, trim) : raw;
      const c = this.compile(batch.x, batch.y, batch !== raw);
      const k = c.evaluated.length;
      const [l, ...rest] = await c.evaluate(...listOf(batch.x), ...listOf(batch.y));
      const outs = rest.slice(0, c.hostOutputs.length);
      const device = rest.slice(c.hostOutputs.length);
      this.programs.evaluate.add(c.evaluate.program);
      loss += l!.item() * batch.size;
      outputLosses.forEach((_, i) => (outputLosses[i]! += device[2 * k + i]!.item() * batch.size));
      this.metrics.forEach((m, i) => {
        const j = c.evaluated.indexOf(m);
        if (j < 0) {
          sums[i]! += m.metric.compute(outs[c.hostOutputs.indexOf(m.output)]!, listOf(batch.y)[m.output]!) * batch.size;
          counts[i]! += batch.size;
        } else {
          sums[i]! += device[j]!.item();
          counts[i]! += device[k + j]!.item();
        }
      });
      await yieldToEventLoop();
    }
    const logs: Logs = { loss: loss / ds.length };
    outputLosses.forEach((v, i) => (logs[`output${i}Loss`] = v / ds.length));
    this.metrics.forEach((m, i) => (logs[m.name] = sums[i]! / counts[i]!));
    return logs;
  }

  /**
   * The model's outputs (evaluation mode) for rows `x`, computed in batches.
   *
   * @example
   * ```ts
   * const scores = await trainer.predict(test.x);   // NDArray [n, classes]
   * accuracy(scores, test.y);
   * ```
   */
  async predict(x: Features, options: { batchSize?: number } = {}): Promise<NDArray> {
    return (await this.predictWith('Trainer.predict', x, options, false))[0]!;
  }

  /**
   * Every output (evaluation mode) of a model of several (a FunctionalModel's `outputs: [a,
   * b]`) for rows `x`, computed in batches.
   *
   * @example
   * ```ts
   * const [classes, boxes] = await trainer.predictOutputs(test.x);
   * ```
   */
  async predictOutputs(x: Features, options: { batchSize?: number } = {}): Promise<NDArray[]> {
    if (typeof this.model.applyOutputs !== 'function') throw new TypeError('Trainer.predictOutputs: the model has one output (no applyOutputs); use predict');
    return this.predictWith('Trainer.predictOutputs', x, options, true);
  }

  private async predictWith(who: string, x: Features, options: { batchSize?: number }, all: boolean): Promise<NDArray[]> {
    if (!isFeatures(x)) throw new TypeError(`${who}: x must be an NDArray (or one NDArray per model input)`);
    const batchSize = checkPositiveInt(who, 'batchSize', options.batchSize ?? 256);
    const xs = listOf(x);
    xs.forEach((a) => this.checkX(who, a));
    await ready(this.options.backend);
    const key = `${all ? 'all' : 'one'}|${keyOf(x)}`;
    let f = this.predictors.get(key);
    if (!f) {
      const vs = this.inputVariables(xs);
      const input = vs.length === 1 ? vs[0]! : vs;
      f = fn(vs, all ? this.model.applyOutputs!(input, { training: false }) : [this.model.apply(input, { training: false })], this.fnOptions());
      this.predictors.set(key, f);
    }
    const parts: NDArray[][] = [];
    const rows = xs[0]!.shape[0]!;
    const ds = new Dataset(x, new NDArray('int32', [rows]));
    for (const batch of ds.batches(batchSize)) {
      parts.push(await f(...listOf(batch.x)));
      this.programs.predict.add(f.program);
      await yieldToEventLoop();
    }
    if (parts.length === 0) throw new Error(`${who}: x has no rows`);
    // Each output's batches, joined along the rows.
    return parts[0]!.map((first, o) => {
      const out = new (first.data.constructor as new (n: number) => TypedArray)(parts.reduce((n, p) => n + p[o]!.size, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p[o]!.data, at);
        at += p[o]!.size;
      }
      return new NDArray(first.dtype, [rows, ...first.shape.slice(1)], out);
    });
  }

  /** Frees the compiled functions. */
  dispose(): void {
    for (const c of this.compiled.values()) {
      c.train.dispose();
      c.evaluate.dispose();
    }
    for (const f of this.predictors.values()) f.dispose();
    this.compiled.clear();
    this.predictors.clear();
  }

  private fnOptions(): { backend?: string; mode?: 'normal' | 'debug' } {
    return { ...(this.options.backend ? { backend: this.options.backend } : {}), ...(this.options.mode ? { mode: this.options.mode } : {}) };
  }

  private checkX(who: string, x: NDArray): void {
    if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new TypeError(`${who}: x must be float32 (or int32 ids for a model that starts with an Embedding), got ${x.dtype} (convert it with x.astype('float32'))`);
    if (x.ndim < 2) throw new Error(`${who}: x must have a row axis and feature axes, got shape [${x.shape.join(', ')}]`);
  }

  /** One symbolic batch per input array: `x`, or `x0`, `x1`, … for several. */
  private inputVariables(xs: readonly NDArray[]): Variable[] {
    return xs.map((a, i) => tensor(a.dtype, [null, ...a.shape.slice(1)], xs.length === 1 ? 'x' : `x${i}`));
  }

  /**
   * The model's outputs on a batch and their losses against the targets: one output and loss,
   * or, with a loss per output, every output, each loss and their weighted sum (`total`).
   */
  private lossesOf(x: Variable | Variable[], ys: readonly Variable[], training: boolean): { outs: Variable[]; each: Variable[]; total: Variable } {
    const outs = this.perOutput ? this.model.applyOutputs!(x, { training }) : [this.model.apply(x, { training })];
    if (outs.length !== this.lossFns.length || ys.length !== this.lossFns.length) {
      throw new Error(`Trainer: the model gives ${outs.length} output${outs.length === 1 ? '' : 's'} and the data ${ys.length} target array${ys.length === 1 ? '' : 's'}, but there ${this.lossFns.length === 1 ? 'is 1 loss' : `are ${this.lossFns.length} losses`}: give one loss and one y per output`);
    }
    const each = outs.map((o, i) => {
      const l = this.lossFns[i]!(o, ys[i]!);
      if (l.ndim !== 0 || l.dtype !== 'float32') throw new Error(`Trainer: the loss${this.perOutput ? ` of output ${i}` : ''} must be a float32 scalar, got ${l.describe()}`);
      return l;
    });
    const total = this.perOutput ? each.map((l, i) => T.mul(l, this.lossWeights[i]!)).reduce((p, q) => T.add(p, q)) : each[0]!;
    return { outs, each, total };
  }

  /**
   * The functions for batches of the per-example shapes of `dataX` and `dataY` (compiled once
   * per shape). For batches `cut` by trimPadding, a parameter the shorter batch does not reach
   * (a recurrent kernel over one step) is left as it is, as PyTorch leaves one without a gradient.
   */
  private compile(dataX: Features, dataY: Features, cut = false): Compiled {
    const key = `${keyOf(dataX)}|${keyOf(dataY)}${cut ? '|cut' : ''}`;
    const hit = this.compiled.get(key);
    if (hit) return hit;
    const [inputs, targets] = [listOf(dataX), listOf(dataY)];
    inputs.forEach((a) => this.checkX('Trainer', a));
    const xs = this.inputVariables(inputs);
    const x = xs.length === 1 ? xs[0]! : xs;
    const ys = targets.map((a, i) => tensor(a.dtype, [null, ...a.shape.slice(1)], targets.length === 1 ? 'y' : `y${i}`));
    const trained = this.lossesOf(x, ys, true);
    const loss = trained.total;
    const n = T.size(xs[0]!, 0);
    // A count only where the metric's mean is not per row, so a classifier's epoch reads no more than before.
    const counted = (m: ScoredMetric, outs: readonly Variable[]): Variable | undefined => m.metric.symbolicCount?.(outs[m.output]!, ys[m.output]!);
    const summed = (m: ScoredMetric, outs: readonly Variable[]): Variable => m.metric.symbolicSum!(outs[m.output]!, ys[m.output]!);
    // One set of sums for every batch shape, so an epoch of batches of several lengths adds up in one place.
    const acc = this.accumulators ??= {
      loss: shared(zero(), 'trainer/loss_sum'),
      count: shared(zero(), 'trainer/count'),
      outputLosses: this.perOutput ? trained.each.map((_, i) => shared(zero(), `trainer/output${i}_loss_sum`)) : [],
      metrics: this.metrics.flatMap((m) => (m.metric.symbolicSum
        ? [{ scored: m, sum: shared(zero(), `trainer/${m.name}_sum`), count: counted(m, trained.outs) ? shared(zero(), `trainer/${m.name}_count`) : undefined }]
        : [])),
    };
    const { loss: accLoss, count: accCount, outputLosses, metrics: metricAccs } = acc;
    const updates: [SharedVariable, Variable][] = [
      ...this.optimizer.updates(loss, this.model.parameters(), cut ? { disconnected: 'skip' } : {}),
      [accLoss, T.add(accLoss, T.mul(loss, n))],
      [accCount, T.add(accCount, n)],
      ...outputLosses.map((s, i): [SharedVariable, Variable] => [s, T.add(s, T.mul(trained.each[i]!, n))]),
      ...metricAccs.flatMap((a): [SharedVariable, Variable][] => [
        [a.sum, T.add(a.sum, summed(a.scored, trained.outs))],
        ...(a.count ? [[a.count, T.add(a.count, counted(a.scored, trained.outs)!)] as [SharedVariable, Variable]] : []),
      ]),
    ];
    updates.push(...stateUpdates([loss, ...updates.map(([, v]) => v)]));
    const train = fn([...xs, ...ys], loss, { updates, ...this.fnOptions() });
    const evaluation = this.lossesOf(x, ys, false);
    const evaluated = this.metrics.filter((m) => m.metric.symbolicSum);
    const hostOutputs = [...new Set(this.metrics.filter((m) => !m.metric.symbolicSum).map((m) => m.output))];
    const evaluate = fn([...xs, ...ys], [
      evaluation.total,
      ...hostOutputs.map((i) => evaluation.outs[i]!),
      ...evaluated.map((m) => summed(m, evaluation.outs)),
      ...evaluated.map((m) => counted(m, evaluation.outs) ?? n),
      ...(this.perOutput ? evaluation.each : []),
    ], this.fnOptions());
    const c: Compiled = { train, evaluate, hostOutputs, evaluated };
    this.compiled.set(key, c);
    return c;
  }

  private async run(ds: Dataset<Features, Features>, options: FitOptions, log: EventLog<TrainEvent>): Promise<History> {
    const epochs = checkPositiveInt('fit', 'epochs', options.epochs ?? 1);
    const batchSize = checkPositiveInt('fit', 'batchSize', options.batchSize ?? 32);
    const lossEvery = options.lossEvery === undefined ? undefined : checkPositiveInt('fit', 'lossEvery', options.lossEvery);
    const callbacks = [...(options.callbacks ?? [])];
    callbacks.forEach((cb, i) => {
      if (typeof cb !== 'object' || cb === null) throw new TypeError(`fit: callback ${i} must be an object with hooks such as onEpochEnd`);
    });
    const shuffle = options.shuffle ?? true;
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new TypeError(`fit: seed must be a safe integer, got ${String(seed)}`);
    if (ds.length === 0) throw new Error('fit: the training data is empty');
    if (options.augment !== undefined && typeof options.augment !== 'function') throw new TypeError('fit: augment must be a function (batch, { epoch, step }) => batch, such as randomShift({ height: 28, width: 28 })');
    if (options.augment !== undefined && ds.inputs.length > 1) throw new TypeError(`fit: augment transforms batches of one input, but the data has ${ds.inputs.length} inputs; augment them before fit`);
    const validation = options.validationData === undefined ? undefined : toDataset('fit: validationData', options.validationData);
    const trim = checkTrimPadding('fit', options.trimPadding);
    const bucket = trim?.bucket === undefined ? undefined : { lengths: idLengths('fit', ds.x, trim.padId, trim.padding), batches: trim.bucket };
    // Let the caller subscribe to the events of this run before anything happens.
    await yieldToEventLoop();
    await ready(this.options.backend);
    const stepsPerEpoch = ds.numBatches(batchSize);
    const debug = this.options.mode === 'debug';
    let stopReason: string | undefined;
    const control: TrainControl = {
      stop: (reason?: string) => void (stopReason ??= reason ?? 'stopped by a callback'),
      get stopRequested() { return stopReason !== undefined; },
      model: this.model,
    };
    const emit = (ev: TrainEvent): void => {
      log.push(ev);
      for (const s of this.subscribers) s.push(ev);
    };
    const listening = (): boolean => debug || callbacks.some((cb) => cb.onBatchEnd) || this.subscribers.size > 0 || log.readerCount > 0;
    const schedule = this.optimizer.schedule;
    const history: { epochs: Logs[]; stopped: History['stopped'] } = { epochs: [], stopped: undefined };

    emit({ type: 'trainBegin', epochs, stepsPerEpoch });
    for (const cb of callbacks) await cb.onTrainBegin?.({ epochs, stepsPerEpoch }, control);
    for (let epoch = 1; epoch <= epochs && stopReason === undefined; epoch++) {
      if (schedule?.unit === 'epoch') schedule.step(this.epochsDone);
      emit({ type: 'epochBegin', epoch });
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, control);
      let acc: Accumulators | undefined;
      for (const raw of ds.batches(batchSize, { shuffle, seed, epoch: this.epochsDone, ...(bucket ? { bucket } : {}) })) {
        if (schedule?.unit === 'step') schedule.step(this.step);
        const step = raw.index + 1;
        const augmented = options.augment ? options.augment(raw as Batch, { epoch: this.epochsDone + 1, step }) : raw;
        const batch = trim ? trimBatch('fit', augmented, trim) : augmented;
        const c = this.compile(batch.x, batch.y, batch !== augmented);
        if (!acc) {
          acc = this.accumulators!;
          for (const s of [acc.loss, acc.count, ...acc.outputLosses, ...acc.metrics.flatMap((a) => [a.sum, ...(a.count ? [a.count] : [])])]) s.set(zero());
        }
        const args = [...listOf(batch.x), ...listOf(batch.y)];
        const read = lossEvery !== undefined ? step % lossEvery === 0 || step === stepsPerEpoch || debug : listening();
        let loss: number | undefined;
        if (read) {
          loss = (await c.train(...args)).item();
          if (!Number.isFinite(loss)) throw this.nonFinite(loss, epoch, step, stepsPerEpoch, lossEvery);
        } else {
          c.train.enqueue(...args);
        }
        this.programs.train.add(c.train.program);
        this.step++;
        const info: BatchInfo = { epoch, step, stepsPerEpoch, globalStep: this.step, size: batch.size, loss };
        emit({ type: 'batchEnd', ...info });
        for (const cb of callbacks) await cb.onBatchEnd?.(info, control);
        if (stopReason !== undefined) break;
        await yieldToEventLoop();
      }
      if (!acc) break;
      const count = (await acc.count.read()).item();
      const lossValue = (await acc.loss.read()).item() / count;
      if (!Number.isFinite(lossValue)) throw this.nonFinite(lossValue, epoch, undefined, stepsPerEpoch, lossEvery);
      const logs: Logs = { loss: lossValue };
      for (const [i, s] of acc.outputLosses.entries()) logs[`output${i}Loss`] = (await s.read()).item() / count;
      for (const a of acc.metrics) logs[a.scored.name] = (await a.sum.read()).item() / (a.count ? (await a.count.read()).item() : count);
      logs['learningRate'] = (await this.optimizer.learningRate.read()).item();
      if (validation) {
        const v = await this.evaluate(validation, { batchSize: Math.max(batchSize, 256), ...(options.trimPadding ? { trimPadding: options.trimPadding } : {}) });
        for (const [k, value] of Object.entries(v)) logs[`val${k[0]!.toUpperCase()}${k.slice(1)}`] = value;
      }
      this.epochsDone++;
      history.epochs.push(logs);
      emit({ type: 'epochEnd', epoch, logs });
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, control);
      if (stopReason !== undefined) history.stopped = { epoch, reason: stopReason };
    }
    const result: History = { epochs: history.epochs, stopped: history.stopped };
    emit({ type: 'trainEnd', history: result });
    for (const cb of callbacks) await cb.onTrainEnd?.(result, control);
    return result;
  }

  private nonFinite(value: number, epoch: number, step: number | undefined, stepsPerEpoch: number, lossEvery: number | undefined): NonFiniteLossError {
    let lr: number | undefined;
    try {
      lr = this.optimizer.learningRate.get().item();
    } catch {
      lr = undefined;
    }
    return new NonFiniteLossError(value, epoch, step, { stepsPerEpoch, lossEvery, learningRate: lr });
  }
}

/**
 * Trains a model in one call: builds a Trainer from `loss`, `optimizer` and `metrics` and
 * runs `fit`. Returns a FitRun (await it, or iterate its events).
 *
 * @example
 * ```ts
 * const history = await fit(model, train, {
 *   loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }), metrics: ['accuracy'],
 *   epochs: 10, batchSize: 64, validationData: test,
 * });
 * ```
 */
export function fit(model: Model, data: Data, options: TrainerOptions & FitOptions): FitRun {
  const { loss, lossWeights, optimizer, metrics, backend, mode, ...rest } = options ?? ({} as TrainerOptions & FitOptions);
  const trainer = new Trainer(model, {
    loss, optimizer, ...(lossWeights ? { lossWeights } : {}),
    ...(metrics ? { metrics } : {}), ...(backend ? { backend } : {}), ...(mode ? { mode } : {}),
  });
  return trainer.fit(data, rest);
}
