import type { Backend, DeviceBuffer } from '../backend/backend.js';
import { GraphError } from '../ir/graph.js';
import type { SharedVariable } from '../ir/shared.js';
import { NDArray } from '../host/ndarray.js';
import type { AllocationCounter } from './allocation.js';

/**
 * The device buffer holding a shared variable on `backend`, moving the value there when it
 * lives elsewhere and uploading a newer host value.
 */
export function sharedBufferOn(s: SharedVariable, backend: Backend, alloc: AllocationCounter): DeviceBuffer {
  const d = s.device;
  if (d && d.backend === backend) {
    if (d.hostNewer) {
      backend.write(d.buffer, s.hostValue().data);
      d.hostNewer = false;
    }
    return d.buffer;
  }
  if (d) {
    if (d.deviceNewer) {
      if (!d.backend.readSync) {
        throw new GraphError(`shared variable ${s.label()} holds a newer value on backend '${d.backend.name}'; await its read() before using it on '${backend.name}'`);
      }
      s.setHostValue(new NDArray(s.dtype, s.shape as number[], d.backend.readSync(d.buffer)));
    }
    d.backend.free(d.buffer);
    s.device = undefined;
  }
  const host = s.hostValue();
  const buffer = alloc.allocate(backend, s.dtype, host.size);
  backend.write(buffer, host.data);
  s.device = { backend, buffer, deviceNewer: false, hostNewer: false };
  return buffer;
}
