/**
 * An append-only log of events that any number of async iterators can read, each from the
 * start or from the moment it subscribed; it ends with `close()` or `fail(error)`. Also the
 * yield between batches that keeps pages and servers responsive during training.
 */

/**
 * Lets the event loop run (timers, I/O, rendering) before continuing: `setImmediate` in
 * Node, a `MessageChannel` message in browsers and workers (no 4 ms clamp), else
 * `setTimeout(0)`.
 *
 * @example
 * ```ts
 * for (const batch of batches) { step(batch); await yieldToEventLoop(); }
 * ```
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === 'function') return new Promise((resolve) => void g.setImmediate!(resolve));
  if (typeof g.MessageChannel === 'function') {
    return new Promise((resolve) => {
      const ch = new g.MessageChannel!();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(undefined);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * An append-only event log readable by several async iterators.
 *
 * @example
 * ```ts
 * const log = new EventLog<number>();
 * (async () => { for await (const n of log.iterate()) console.log(n); })();
 * log.push(1); log.close();
 * ```
 */
export class EventLog<T> {
  private readonly items: T[] = [];
  private done = false;
  private error: unknown = undefined;
  private failed = false;
  private waiters: (() => void)[] = [];
  private readers = 0;

  /** How many iterators have started reading. */
  get readerCount(): number {
    return this.readers;
  }

  get closed(): boolean {
    return this.done;
  }

  push(item: T): void {
    if (this.done) return;
    this.items.push(item);
    this.wake();
  }

  close(): void {
    this.done = true;
    this.wake();
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.failed = true;
    this.error = error;
    this.close();
  }

  /** An iterator over the events from index `from` (0: all of them), ending when the log closes. */
  iterate(from = 0): AsyncIterableIterator<T> {
    this.readers++;
    let i = from;
    const next = async (): Promise<IteratorResult<T>> => {
      for (;;) {
        if (i < this.items.length) return { value: this.items[i++]!, done: false };
        if (this.done) {
          if (this.failed && i !== Infinity) {
            i = Infinity;
            throw this.error;
          }
          return { value: undefined, done: true };
        }
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    };
    const it: AsyncIterableIterator<T> = {
      next,
      return: async () => {
        i = Infinity;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /** The index the next event will have. */
  get length(): number {
    return this.items.length;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
