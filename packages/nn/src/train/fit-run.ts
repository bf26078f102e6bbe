/**
 * The handle `fit` returns: a promise of the History and an async iterable of the run's
 * events (every event from the start, whenever iteration begins), plus the error raised
 * when the loss stops being finite.
 */
import type { History, TrainEvent } from './callbacks.js';
import type { EventLog } from './event-log.js';

/**
 * A training run in progress. Await it for the History; iterate it for the events (a
 * progress bar or a chart can follow along while training runs).
 *
 * @example
 * ```ts
 * const run = trainer.fit(train, { epochs: 10, batchSize: 64 });
 * for await (const ev of run) {
 *   if (ev.type === 'batchEnd') bar.update(ev.step / ev.stepsPerEpoch);
 *   if (ev.type === 'epochEnd') console.log(ev.epoch, ev.logs);
 * }
 * const history = await run;
 * ```
 */
export class FitRun implements PromiseLike<History>, AsyncIterable<TrainEvent> {
  constructor(private readonly promise: Promise<History>, private readonly log: EventLog<TrainEvent>) {
    // The error also reaches whoever iterates the events; a run that is only iterated must not
    // crash the process with an unhandled rejection.
    promise.catch(() => undefined);
  }

  then<A = History, B = never>(onFulfilled?: ((h: History) => A | PromiseLike<A>) | null, onRejected?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.promise.then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<History | B> {
    return this.promise.catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<History> {
    return this.promise.finally(onFinally);
  }

  /** Every event of this run from its start; ends after `trainEnd`, throws the run's error if it fails. */
  [Symbol.asyncIterator](): AsyncIterableIterator<TrainEvent> {
    return this.log.iterate(0);
  }

  /** Same as iterating the run. */
  events(): AsyncIterableIterator<TrainEvent> {
    return this.log.iterate(0);
  }
}

/**
 * Thrown when the training loss is NaN or infinite. Epochs and steps count from 1.
 *
 * @example
 * ```ts
 * try { await trainer.fit(train, { epochs: 5 }); }
 * catch (e) { if (e instanceof NonFiniteLossError) console.log(e.epoch, e.step); }
 * ```
 */
export class NonFiniteLossError extends Error {
  constructor(
    readonly value: number,
    readonly epoch: number,
    readonly step: number | undefined,
    detail: { stepsPerEpoch: number; lossEvery: number | undefined; learningRate: number | undefined },
  ) {
    const what = Number.isNaN(value) ? 'NaN' : String(value);
    let where: string;
    if (step === undefined) {
      where = `in epoch ${epoch} (the loss was read only at the end of the epoch; fit with lossEvery: 1 to find the step)`;
    } else if (detail.lossEvery !== undefined && detail.lossEvery > 1) {
      where = `at epoch ${epoch}, step ${step} of ${detail.stepsPerEpoch} (the loss is read every ${detail.lossEvery} steps, so it became ${what} between steps ${Math.max(1, step - detail.lossEvery + 1)} and ${step})`;
    } else {
      where = `at epoch ${epoch}, step ${step} of ${detail.stepsPerEpoch}`;
    }
    super(
      `the training loss is ${what} ${where}; training stopped. ` +
      `Check the learning rate${detail.learningRate === undefined ? '' : ` (now ${detail.learningRate})`}, which may be too high, ` +
      'and the scale of the inputs (normalize features to about zero mean and unit variance). ' +
      "To find the first op that produces it, compile the step with fn(..., { mode: 'debug' }) " +
      "(or create the Trainer with { mode: 'debug' }), which names the op and where it was built.",
    );
    this.name = 'NonFiniteLossError';
  }
}
