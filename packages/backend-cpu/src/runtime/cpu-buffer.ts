import type { DeviceBuffer, DType, TypedArray } from '@symgrad/core';

/** A cpu backend buffer: a host typed array of its dtype (bool in a Uint8Array of 0/1). */
export interface CpuBuffer extends DeviceBuffer {
  readonly dtype: DType;
  readonly size: number;
  /** Its storage; `take` hands it to the caller and puts a new array here. */
  data: TypedArray;
}
