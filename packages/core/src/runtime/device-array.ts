import type { Backend, DeviceBuffer } from '../backend/backend.js';
import type { DType } from '../ir/dtype.js';
import { NDArray } from '../host/ndarray.js';

/**
 * A result that stays on the backend until read. Returned by `f.enqueue(...)`; it aliases
 * the function's output buffer, so it holds the latest call's value: read it before the
 * next call if you need this one's.
 *
 * @example
 * ```ts
 * const [loss] = train.enqueue(X, y);
 * if (step % 10 === 0) console.log((await loss.read()).item());
 * ```
 */
export class DeviceArray {
  constructor(
    readonly backend: Backend,
    readonly buffer: DeviceBuffer,
    readonly dtype: DType,
    readonly shape: readonly number[],
  ) {}

  /** Waits for the work that produces it, then copies it to the host. */
  async read(): Promise<NDArray> {
    return new NDArray(this.dtype, this.shape, await this.backend.read(this.buffer));
  }

  /** Synchronous read, where the backend can (cpu). */
  readSync(): NDArray {
    if (!this.backend.readSync) throw new Error(`DeviceArray.readSync: backend '${this.backend.name}' cannot read synchronously; use await read()`);
    return new NDArray(this.dtype, this.shape, this.backend.readSync(this.buffer));
  }
}
