import type { Backend, DeviceBuffer } from '../backend/backend.js';
import type { DType } from '../ir/dtype.js';

/**
 * Counts the buffers the runtime allocates, so tests can assert a steady state allocates
 * none. The runtime's instance is `deviceAllocations`.
 *
 * @example
 * ```ts
 * await train(X, Y); // the first call compiles and allocates
 * const before = deviceAllocations.count;
 * await train(X, Y);
 * deviceAllocations.count - before; // 0
 * ```
 */
export class AllocationCounter {
  count = 0;

  allocate(backend: Backend, dtype: DType, size: number): DeviceBuffer {
    this.count++;
    return backend.allocate(dtype, size);
  }
}

/** The runtime's counter of device buffer allocations (all backends, all functions). */
export const deviceAllocations = new AllocationCounter();
