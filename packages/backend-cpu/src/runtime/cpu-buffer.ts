import type { DeviceBuffer, DType, TypedArray } from '@symgrad/core';

/** A cpu backend buffer: a host typed array of its dtype (bool in a Uint8Array of 0/1). */
export interface CpuBuffer extends DeviceBuffer {
  readonly dtype: DType;
  readonly size: number;
  readonly data: TypedArray;
}

/** The dtype a typed array stores, or undefined. */
export function dtypeOfArray(a: unknown): DType | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'bool';
  return undefined;
}
