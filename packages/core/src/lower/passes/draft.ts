import type { TypedArray } from '../../ir/dtype.js';
import { sizeOf } from '../../ir/type.js';
import { kernelViews, type BufferSpec, type Kernel, type View } from '../program.js';
import { isContiguous, sameView } from '../view.js';

/** Where a kernel came from: the ops and the user's call sites, for profiles and debug mode. */
export interface KernelSource {
  readonly op: string;
  readonly site: string | undefined;
}

/**
 * A Program being optimized: kernels may be replaced or removed (set to undefined) and
 * buffers renumbered; `pinned` buffers are bound or read by the runtime.
 */
export interface ProgramDraft {
  buffers: BufferSpec[];
  kernels: (Kernel | undefined)[];
  sources: KernelSource[][];
  constants: Map<number, TypedArray>;
  pinned: Set<number>;
  /** The most distinct buffers one kernel may bind (the backend's limit); fusion stays under it. */
  maxKernelBuffers: number;
}

/** True when a kernel binds no more distinct buffers than the backend allows. */
export function withinBufferLimit(d: ProgramDraft, k: Kernel): boolean {
  const ids = new Set([...reads(k), ...writes(k)].map((v) => v.buffer));
  return ids.size <= d.maxKernelBuffers;
}

export function reads(k: Kernel): View[] {
  return kernelViews(k).reads;
}

export function writes(k: Kernel): View[] {
  return kernelViews(k).writes;
}

/** Indices of live kernels that read / write a buffer. */
export function usersOf(d: ProgramDraft, buffer: number): { readers: number[]; writers: number[] } {
  const readers: number[] = [];
  const writers: number[] = [];
  d.kernels.forEach((k, i) => {
    if (!k) return;
    if (reads(k).some((v) => v.buffer === buffer)) readers.push(i);
    if (writes(k).some((v) => v.buffer === buffer)) writers.push(i);
  });
  return { readers, writers };
}

/** True when a view covers its whole buffer in row-major order. */
export function isWhole(d: ProgramDraft, v: View): boolean {
  return v.offset === 0 && isContiguous(v) && sizeOf(v.shape) === d.buffers[v.buffer]!.size;
}

/** True when no live kernel strictly between `from` and `to` writes any of `buffers`. */
export function untouchedBetween(d: ProgramDraft, buffers: Iterable<number>, from: number, to: number, alsoReads = false): boolean {
  const set = new Set(buffers);
  for (let i = from + 1; i < to; i++) {
    const k = d.kernels[i];
    if (!k) continue;
    if (writes(k).some((v) => set.has(v.buffer))) return false;
    if (alsoReads && reads(k).some((v) => set.has(v.buffer))) return false;
  }
  return true;
}

export function isTemp(d: ProgramDraft, buffer: number): boolean {
  return d.buffers[buffer]!.role === 'temp' && !d.pinned.has(buffer);
}

export const sameViewExact = sameView;
