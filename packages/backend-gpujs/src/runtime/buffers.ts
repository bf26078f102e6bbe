import { allocTyped, roundTo, type DType, type DeviceBuffer, type TypedArray, type View } from '@symgrad/core';
import { isHostLaunch, type Launch } from '../codegen/generate.js';
import type { TextureLike } from './textures.js';

/**
 * A gpu.js backend buffer: a host Float32Array and, in texture mode (gpu.js's GPU modes), a
 * texture holding the newer value when `hostValid` is false (see textures.ts). In gpu.js's
 * cpu/webasm modes there are no textures and the host copy is the value. int32 and bool
 * values are exact in float32 below 2^24; int32 buffers also keep the exact words the host
 * wrote (`exact`), because random states and bits use all 32 bits.
 */
export class GpujsBuffer implements DeviceBuffer {
  freed = false;
  readonly data: Float32Array;
  /** Texture mode: the value on the GPU (managed only by TextureStore). */
  texture: TextureLike | undefined = undefined;
  /** Whether `data` holds the current value (false while only the texture does). */
  hostValid = true;
  /**
   * int32 buffers: the exact words last stored from the host (`write`, host-array kernel
   * results, random draws). A word counts only where it still rounds to the float32 value
   * (see `exactInt32`), so kernels on the GPU, which cannot update it, need not invalidate it.
   */
  readonly exact: Int32Array | undefined;
  constructor(readonly dtype: DType, readonly size: number) {
    this.data = new Float32Array(size);
    this.exact = dtype === 'int32' ? new Int32Array(size) : undefined;
  }
}

/**
 * Element `i` of a buffer (its host copy must be current) as an exact int32 where the host
 * stored one: the exact word when it rounds to the float32 value, else that value rounded.
 * A kernel's later int32 result differs from an older word's float32 rounding unless both are
 * the same number (below 2^24) or the kernel copied the word (whose exact value is then right).
 */
export function exactInt32(b: GpujsBuffer, i: number): number {
  const f = b.data[i]!;
  const e = b.exact?.[i];
  return e !== undefined && Math.fround(e) === f ? e : roundTo('int32', f);
}

/** Copies host data in (converted to float32 storage). */
export function writeBuffer(b: GpujsBuffer, data: TypedArray): void {
  if (data.length !== b.size) throw new Error(`gpujs backend: write: the buffer is ${b.dtype}[${b.size}], got ${data.length} elements`);
  b.data.set(data);
  b.exact?.set(data);
}

/** A copy of a buffer in its own dtype. */
export function readBuffer(b: GpujsBuffer): TypedArray {
  const out = allocTyped(b.dtype, b.size);
  if (b.exact) for (let i = 0; i < b.size; i++) out[i] = exactInt32(b, i);
  else for (let i = 0; i < b.size; i++) out[i] = roundTo(b.dtype, b.data[i]!);
  return out;
}

/**
 * Stores flat row-major results (a kernel's, or a host draw's) into an output view, rounded
 * to its dtype; int32 buffers keep the exact words too.
 */
export function scatter(dst: GpujsBuffer, view: View, values: ArrayLike<number>): void {
  const shape = view.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  const d = dst.data;
  const exact = dst.exact;
  const round = dst.dtype === 'float32' ? undefined : (v: number) => roundTo(dst.dtype, v);
  const contiguous = view.strides.every((s, i) => shape[i] === 1 || s === shape.slice(i + 1).reduce((a, b) => a * b, 1));
  if (contiguous) {
    if (!round && values instanceof Float32Array) d.set(values.subarray(0, n), view.offset);
    else {
      for (let i = 0; i < n; i++) {
        const v = round ? round(values[i]!) : values[i]!;
        d[view.offset + i] = v;
        if (exact) exact[view.offset + i] = v;
      }
    }
    return;
  }
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let off = view.offset;
    for (let k = 0; k < shape.length; k++) off += idx[k]! * view.strides[k]!;
    const v = round ? round(values[i]!) : values[i]!;
    d[off] = v;
    if (exact) exact[off] = v;
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
}

/**
 * The scratch buffers of an executable's launches (`KernelLaunch.scratch`: float32, one per
 * launch that writes one), by id. An executable owns them for its lifetime; runs reuse them.
 */
export function scratchBuffers(launches: readonly Launch[]): Map<number, GpujsBuffer> {
  const out = new Map<number, GpujsBuffer>();
  for (const l of launches) {
    if (isHostLaunch(l) || !l.scratch) continue;
    if (out.has(l.output.buffer)) throw new Error(`gpujs backend: launch '${l.label}': scratch buffer ${l.output.buffer} is written by two launches`);
    out.set(l.output.buffer, new GpujsBuffer('float32', l.size));
  }
  return out;
}

/**
 * The buffer lookup of one run: `table(id, i)` is buffer `id` for launch `i` (a scratch
 * buffer of the executable's, or one of the run's), or an error naming the launch when it
 * is missing, freed, or another backend's.
 */
export function runBufferTable(
  buffers: readonly DeviceBuffer[], own: (b: DeviceBuffer) => b is GpujsBuffer, labelOf: (launch: number) => string,
  scratch: ReadonlyMap<number, GpujsBuffer> = new Map(),
): (id: number, launch: number) => GpujsBuffer {
  return (id, i) => {
    const s = scratch.get(id);
    if (s) return s;
    const b = buffers[id];
    if (!b || !own(b) || b.freed) throw new Error(`gpujs backend: launch ${i} ('${labelOf(i)}'): buffer ${id} is missing, freed, or not from this backend`);
    return b;
  };
}
