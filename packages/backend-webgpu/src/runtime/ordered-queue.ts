/**
 * Keeps device operations in call order while a run waits for its pipelines. Core may call
 * `run` before `Executable.ready` resolves (the first call of a function); rather than
 * compiling the missing pipelines synchronously one by one, that run is deferred until
 * they exist (they compile concurrently), and every later write, free and run queues behind
 * it, so the device sees the same order the caller used. When nothing is deferred an
 * operation runs at once. A deferred operation's failure is reported by the next read.
 */
export class OrderedQueue {
  private tail: Promise<void> | undefined;
  private failure: Error | undefined;

  /** True when no operation is waiting. */
  get idle(): boolean {
    return this.tail === undefined;
  }

  /** Runs `op` now when nothing waits and `after` is absent; else after the waiting operations and `after`. */
  submit(op: () => void, after?: Promise<void>): void {
    if (this.tail === undefined && after === undefined) {
      op();
      return;
    }
    const p: Promise<void> = Promise.all([this.tail, after])
      .then(op)
      .catch((err: unknown) => {
        this.failure ??= err instanceof Error ? err : new Error(String(err));
      })
      .then(() => {
        if (this.tail === p) this.tail = undefined;
      });
    this.tail = p;
  }

  /** Waits for every queued operation; throws the first failure among them (once). */
  async drain(): Promise<void> {
    while (this.tail !== undefined) await this.tail;
    if (this.failure) {
      const f = this.failure;
      this.failure = undefined;
      throw f;
    }
  }
}
