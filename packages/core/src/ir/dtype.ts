/** Element types a symgrad tensor can hold. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** The typed array that stores each dtype on the host. */
export interface TypedArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

export function isInteger(d: DType): boolean {
  return d === 'int32' || d === 'bool';
}

export function bytesPerElement(d: DType): number {
  return d === 'float64' ? 8 : d === 'bool' ? 1 : 4;
}

export function allocTyped<D extends DType>(dtype: D, size: number): TypedArrayFor[D] {
  switch (dtype) {
    case 'float32': return new Float32Array(size) as TypedArrayFor[D];
    case 'float64': return new Float64Array(size) as TypedArrayFor[D];
    case 'int32': return new Int32Array(size) as TypedArrayFor[D];
    case 'bool': return new Uint8Array(size) as TypedArrayFor[D];
  }
  throw new Error(`allocTyped: unknown dtype '${String(dtype)}' (use float32, float64, int32 or bool)`);
}

/** The dtype a typed array stores, or undefined for typed arrays symgrad does not use. */
export function dtypeOfTyped(a: ArrayBufferView): DType | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'bool';
  return undefined;
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/**
 * NumPy-style promotion between two tensor dtypes (bool < int32 < float32 < float64).
 * Plain JS numbers are "weak" (as in JAX) and never widen a tensor: see `promoteWithScalar`.
 */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The dtype of `tensor op number`: the tensor's, unless an int tensor meets a fractional number. */
export function promoteWithScalar(tensor: DType, value: number | boolean): DType {
  if (typeof value === 'boolean') return tensor;
  if (isFloat(tensor)) return tensor;
  if (Number.isInteger(value)) return tensor === 'bool' ? 'int32' : tensor;
  return 'float32';
}

/** The float dtype a transcendental op produces from an input dtype. */
export function floatOf(d: DType): DType {
  return isFloat(d) ? d : 'float32';
}
