import type { Backend, DeviceBuffer } from '../backend/backend.js';
import { NDArray, type ArrayLike } from '../host/ndarray.js';
import type { DType } from './dtype.js';
import { GraphError } from './graph.js';
import { Variable } from './variable.js';

/** Where a shared variable's current value lives on a backend. */
export interface DeviceCopy {
  readonly backend: Backend;
  readonly buffer: DeviceBuffer;
  /** True when the device holds a newer value than the host copy. */
  deviceNewer: boolean;
  /** True when the host holds a newer value than the device. */
  hostNewer: boolean;
}

/**
 * A variable whose value persists across calls of compiled functions and can be updated
 * by them (Theano's shared variables). Its shape and dtype are fixed at creation.
 *
 * @example
 * ```ts
 * const w = shared(NDArray.zeros([3, 2]), 'w');
 * w.set([[1, 2], [3, 4], [5, 6]]);
 * w.get().toArray();
 * ```
 */
export class SharedVariable extends Variable {
  private host: NDArray | undefined;
  /** Managed by the runtime: the device buffer of the backend that last used this variable. */
  device: DeviceCopy | undefined;

  constructor(value: NDArray, name?: string) {
    super({ dtype: value.dtype, shape: [...value.shape] }, 'shared', name === undefined ? {} : { name });
    this.host = value.clone();
  }

  /**
   * The current value. Reads the device synchronously where the backend can (cpu);
   * otherwise throws and asks for `await read()`.
   */
  get(): NDArray {
    const d = this.device;
    if (d?.deviceNewer) {
      if (!d.backend.readSync) {
        throw new GraphError(`shared variable ${this.label()} lives on backend '${d.backend.name}', which cannot read synchronously: use \`await ${this.name ?? 'variable'}.read()\``);
      }
      this.host = new NDArray(this.dtype, this.shape as number[], d.backend.readSync(d.buffer));
      d.deviceNewer = false;
    }
    return this.host!.clone();
  }

  /** The current value, read from the device once work enqueued before it has finished. */
  async read(): Promise<NDArray> {
    const d = this.device;
    if (d?.deviceNewer) {
      const data = await d.backend.read(d.buffer);
      if (d === this.device && d.deviceNewer) {
        this.host = new NDArray(this.dtype, this.shape as number[], data);
        d.deviceNewer = false;
      }
    }
    return this.host!.clone();
  }

  /** Replaces the value; its shape and dtype must match the variable's. */
  set(value: ArrayLike): void {
    const v = NDArray.from(value, this.dtype as DType);
    const shape = this.shape as number[];
    if (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
      throw new GraphError(`shared variable ${this.label()}: new value has shape [${v.shape.join(', ')}] but the variable has shape [${shape.join(', ')}] (shapes of shared variables are fixed)`);
    }
    this.host = v.clone();
    if (this.device) {
      this.device.hostNewer = true;
      this.device.deviceNewer = false;
    }
  }

  /** The host value without a device read (the runtime uploads it). @internal */
  hostValue(): NDArray {
    return this.host!;
  }

  /** Records a value read back by the runtime. @internal */
  setHostValue(v: NDArray): void {
    this.host = v;
  }

  /** Frees the device copy (the host value stays readable). */
  dispose(): void {
    if (this.device) {
      if (this.device.deviceNewer && this.device.backend.readSync) {
        this.host = new NDArray(this.dtype, this.shape as number[], this.device.backend.readSync(this.device.buffer));
      }
      this.device.backend.free(this.device.buffer);
      this.device = undefined;
    }
  }
}
