import { allocTyped, dtypeOfTyped, isDType, type DType, type TypedArray } from '../ir/dtype.js';
import { contiguousStrides, sizeOf } from '../ir/type.js';

/** A nested JS array of numbers or booleans, as users write literals. */
export type NestedArray = number | boolean | readonly NestedArray[];

/** What a compiled function and `shared()` accept as a host value. */
export type ArrayLike =
  | NDArray
  | NestedArray
  | { data: TypedArray | readonly number[]; shape: readonly number[]; dtype?: DType };

/**
 * A host array: dtype, shape and a typed array in row-major order.
 *
 * @example
 * ```ts
 * const a = NDArray.from([[1, 2], [3, 4]], 'float32');
 * a.shape;      // [2, 2]
 * a.toArray();  // [[1, 2], [3, 4]]
 * ```
 */
export class NDArray {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;

  constructor(dtype: DType, shape: readonly number[], data?: TypedArray) {
    if (!isDType(dtype)) throw new Error(`NDArray: unknown dtype '${String(dtype)}' (use float32, float64, int32 or bool)`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`NDArray: invalid shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
    }
    const size = sizeOf(shape);
    const store = data ?? allocTyped(dtype, size);
    if (store.length !== size) {
      throw new Error(`NDArray: data has ${store.length} elements but shape [${shape.join(', ')}] needs ${size}`);
    }
    const got = dtypeOfTyped(store);
    if (got !== dtype) throw new Error(`NDArray: a ${store.constructor.name} cannot hold dtype ${dtype}`);
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = store;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /**
   * Builds an NDArray from nested arrays, a typed array with a shape, or another NDArray.
   * `dtype` defaults to the typed array's dtype, or float32 for numbers and bool for booleans.
   *
   * @example
   * ```ts
   * NDArray.from({ data: new Float32Array(6), shape: [2, 3] });
   * NDArray.from([1, 2, 3], 'int32');
   * ```
   */
  static from(value: ArrayLike, dtype?: DType): NDArray {
    if (value instanceof NDArray) {
      return dtype === undefined || dtype === value.dtype ? value : value.astype(dtype);
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'shape' in value && 'data' in value) {
      const shape = [...value.shape];
      const src = value.data;
      const own = ArrayBuffer.isView(src) ? dtypeOfTyped(src) : undefined;
      const target = dtype ?? value.dtype ?? own ?? 'float32';
      if (!isDType(target)) throw new Error(`NDArray.from: unknown dtype '${String(target)}' (use float32, float64, int32 or bool)`);
      const size = sizeOf(shape);
      if (src.length !== size) {
        throw new Error(`NDArray.from: data has ${src.length} elements but shape [${shape.join(', ')}] needs ${size}`);
      }
      if (own === target) return new NDArray(target, shape, src as TypedArray);
      const out = allocTyped(target, size);
      for (let i = 0; i < size; i++) out[i] = Number(src[i]);
      return new NDArray(target, shape, out);
    }
    const shape = nestedShape(value as NestedArray);
    const target = dtype ?? (firstLeaf(value as NestedArray) === 'boolean' ? 'bool' : 'float32');
    if (!isDType(target)) throw new Error(`NDArray.from: unknown dtype '${String(target)}' (use float32, float64, int32 or bool)`);
    const out = allocTyped(target, sizeOf(shape));
    let k = 0;
    const fill = (v: NestedArray): void => {
      if (Array.isArray(v)) for (const e of v) fill(e as NestedArray);
      else out[k++] = Number(v);
    };
    fill(value as NestedArray);
    if (target === 'int32') for (let i = 0; i < out.length; i++) out[i] = Math.trunc(out[i]!);
    return new NDArray(target, shape, out);
  }

  /** A zero-filled array. */
  static zeros(shape: readonly number[], dtype: DType = 'float32'): NDArray {
    return new NDArray(dtype, shape);
  }

  /** An array of one value. */
  static full(shape: readonly number[], value: number, dtype: DType = 'float32'): NDArray {
    const a = new NDArray(dtype, shape);
    a.data.fill(value);
    return a;
  }

  /** A copy converted to another dtype (float → int truncates, as NumPy's astype). */
  astype(dtype: DType): NDArray {
    const out = allocTyped(dtype, this.size);
    for (let i = 0; i < this.size; i++) out[i] = dtype === 'int32' ? Math.trunc(this.data[i]!) : dtype === 'bool' ? (this.data[i] ? 1 : 0) : this.data[i]!;
    return new NDArray(dtype, this.shape, out);
  }

  /** The same data seen with another shape of equal size. */
  reshape(shape: readonly number[]): NDArray {
    return new NDArray(this.dtype, shape, this.data);
  }

  /** The element at a multi-index (negative indices count from the end). */
  get(...index: number[]): number {
    if (index.length !== this.ndim) throw new Error(`NDArray.get: an array of shape [${this.shape.join(', ')}] needs ${this.ndim} ${this.ndim === 1 ? 'index' : 'indices'}, got ${index.length}`);
    const strides = contiguousStrides(this.shape);
    let off = 0;
    index.forEach((i, ax) => {
      const d = this.shape[ax]!;
      const j = i < 0 ? i + d : i;
      if (!Number.isInteger(j) || j < 0 || j >= d) throw new Error(`NDArray.get: index ${i} out of range for axis ${ax} of size ${d}`);
      off += j * strides[ax]!;
    });
    return this.data[off]!;
  }

  /** A scalar's value; throws unless the array has exactly one element. */
  item(): number {
    if (this.size !== 1) throw new Error(`NDArray.item: array of shape [${this.shape.join(', ')}] has ${this.size} elements, not 1`);
    return this.data[0]!;
  }

  /** Nested JS arrays (booleans for bool), or a number for a 0-d array. */
  toArray(): NestedArray {
    const conv = (v: number): number | boolean => (this.dtype === 'bool' ? v !== 0 : v);
    if (this.ndim === 0) return conv(this.data[0]!);
    let k = 0;
    const build = (ax: number): NestedArray[] => {
      const n = this.shape[ax]!;
      const row: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) row[i] = ax === this.ndim - 1 ? conv(this.data[k++]!) : build(ax + 1);
      return row;
    };
    return build(0);
  }

  /** A copy with its own buffer. */
  clone(): NDArray {
    return new NDArray(this.dtype, this.shape, this.data.slice() as TypedArray);
  }

  toString(): string {
    return `NDArray(${this.dtype}[${this.shape.join(', ')}])`;
  }
}

function nestedShape(v: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedArray;
  }
  const check = (x: NestedArray, ax: number, path: string): void => {
    if (ax === shape.length) {
      if (Array.isArray(x)) throw new Error(`NDArray.from: ragged nested array at ${path || 'top'}: expected a number, got an array`);
      if (typeof x !== 'number' && typeof x !== 'boolean') throw new Error(`NDArray.from: element ${path} is ${typeof x}, not a number`);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[ax]) {
      throw new Error(`NDArray.from: ragged nested array at ${path || 'top'}: expected length ${shape[ax]}, got ${Array.isArray(x) ? x.length : 'a scalar'}`);
    }
    x.forEach((e, i) => check(e as NestedArray, ax + 1, `${path}[${i}]`));
  };
  check(v, 0, '');
  return shape;
}

function firstLeaf(v: NestedArray): string {
  let cur: NestedArray = v;
  while (Array.isArray(cur)) {
    if (cur.length === 0) return 'number';
    cur = cur[0] as NestedArray;
  }
  return typeof cur;
}
