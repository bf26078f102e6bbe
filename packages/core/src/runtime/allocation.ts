import type { Backend, DeviceBuffer } from '../backend/backend.js';
import type { DType } from '../ir/dtype.js';

/** Counts the buffers the runtime allocates, so tests can assert a steady state allocates none. */
export class AllocationCounter {
  count = 0;

  allocate(backend: Backend, dtype: DType, size: number): DeviceBuffer {
    this.count++;
    return backend.allocate(dtype, size);
  }
}

/** The runtime's counter of device buffer allocations (all backends, all functions). */
export const deviceAllocations = new AllocationCounter();
