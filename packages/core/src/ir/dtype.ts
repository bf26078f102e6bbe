/** Element types a symgrad tensor can hold. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** Every DType, for validating untyped input and for tests that cover each dtype. */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** The typed array that stores each dtype on the host. */
export interface TypedArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Type guard for a dtype that arrives untyped (options from JavaScript, JSON, a CLI flag).
 *
 * @example
 * ```ts
 * isDType('float16'); // false: not a symgrad dtype
 * ```
 */
export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

/**
 * True for float32 and float64: the dtypes that hold NaN and Inf, and that transcendental
 * ops and division produce.
 *
 * @example
 * ```ts
 * isFloat('int32'); // false
 * ```
 */
export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

/**
 * True for int32 and bool, whose elements are exact integers (bool stores 0 or 1).
 *
 * @example
 * ```ts
 * isInteger('bool'); // true
 * ```
 */
export function isInteger(d: DType): boolean {
  return d === 'int32' || d === 'bool';
}

/**
 * Bytes per element in the host typed array (bool takes one byte, as a Uint8Array), for
 * sizing transfers and memory figures.
 *
 * @example
 * ```ts
 * bytesPerElement('float64') * sizeOf([1024, 1024]); // 8388608
 * ```
 */
export function bytesPerElement(d: DType): number {
  return d === 'float64' ? 8 : d === 'bool' ? 1 : 4;
}

/**
 * A zeroed host array of the typed-array class that stores `dtype`, typed by the dtype
 * argument (an Int32Array for 'int32'): how a backend's `read` makes its result.
 *
 * @example
 * ```ts
 * const host = allocTyped(buffer.dtype, buffer.size); // then copy the device's bytes into it
 * allocTyped('int32', 3); // Int32Array [0, 0, 0]
 * ```
 */
export function allocTyped<D extends DType>(dtype: D, size: number): TypedArrayFor[D] {
  switch (dtype) {
    case 'float32': return new Float32Array(size) as TypedArrayFor[D];
    case 'float64': return new Float64Array(size) as TypedArrayFor[D];
    case 'int32': return new Int32Array(size) as TypedArrayFor[D];
    case 'bool': return new Uint8Array(size) as TypedArrayFor[D];
  }
  throw new Error(`allocTyped: unknown dtype '${String(dtype)}' (use float32, float64, int32 or bool)`);
}

/**
 * The dtype a typed array stores, or undefined for typed arrays symgrad does not use.
 *
 * @example
 * ```ts
 * dtypeOfTyped(new Float32Array(4)); // 'float32'
 * dtypeOfTyped(new Uint16Array(4)); // undefined
 * ```
 */
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
 *
 * @example
 * ```ts
 * promoteTypes('int32', 'float32'); // 'float32'
 * ```
 */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype of `tensor op number`: the tensor's, except that a fractional number makes an
 * int32 or bool result float32, and an integer makes a bool result int32.
 *
 * @example
 * ```ts
 * promoteWithScalar('float32', 2); // 'float32': x.mul(2) stays float32
 * promoteWithScalar('int32', 0.5); // 'float32'
 * ```
 */
export function promoteWithScalar(tensor: DType, value: number | boolean): DType {
  if (typeof value === 'boolean') return tensor;
  if (isFloat(tensor)) return tensor;
  if (Number.isInteger(value)) return tensor === 'bool' ? 'int32' : tensor;
  return 'float32';
}

/**
 * The float dtype a transcendental op produces from an input dtype: floats keep their
 * precision, integers become float32.
 *
 * @example
 * ```ts
 * floatOf('int32'); // 'float32'
 * floatOf('float64'); // 'float64'
 * ```
 */
export function floatOf(d: DType): DType {
  return isFloat(d) ? d : 'float32';
}
