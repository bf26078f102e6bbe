import type { TypedArray } from '../../ir/dtype.js';
import { sizeOf } from '../../ir/type.js';
import { kernelViews, type BufferSpec, type ElementwiseKernel, type Kernel, type View } from '../program.js';
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

/**
 * Which live kernels read and write each buffer, kept up to date by a pass that replaces
 * kernels (`replace`), so that looking a buffer's users up costs its users, not a scan of the
 * whole Program: fusing the thousands of kernels of an unrolled recurrent model stays linear.
 */
export class BufferUsers {
  private readonly readers = new Map<number, Set<number>>();
  private readonly writers = new Map<number, Set<number>>();

  constructor(d: ProgramDraft) {
    d.kernels.forEach((k, i) => { if (k) this.add(i, k); });
  }

  /** The kernels reading and writing `buffer`, in Program order (as `usersOf`). */
  of(buffer: number): { readers: number[]; writers: number[] } {
    const sorted = (s: Set<number> | undefined) => (s ? [...s].sort((a, b) => a - b) : []);
    return { readers: sorted(this.readers.get(buffer)), writers: sorted(this.writers.get(buffer)) };
  }

  /** Whether any kernel strictly between `from` and `to` writes (or, with `alsoReads`, reads) one of `buffers` (as `untouchedBetween`). */
  untouchedBetween(buffers: Iterable<number>, from: number, to: number, alsoReads = false): boolean {
    const inside = (s: Set<number> | undefined) => !!s && [...s].some((i) => i > from && i < to);
    for (const b of buffers) if (inside(this.writers.get(b)) || (alsoReads && inside(this.readers.get(b)))) return false;
    return true;
  }

  /** Kernel `i` becomes `next` (undefined: removed); `prev` is what it was. */
  replace(i: number, prev: Kernel | undefined, next: Kernel | undefined): void {
    if (prev) this.remove(i, prev);
    if (next) this.add(i, next);
  }

  private add(i: number, k: Kernel): void {
    for (const v of reads(k)) this.entry(this.readers, v.buffer).add(i);
    for (const v of writes(k)) this.entry(this.writers, v.buffer).add(i);
  }

  private remove(i: number, k: Kernel): void {
    for (const v of reads(k)) this.readers.get(v.buffer)?.delete(i);
    for (const v of writes(k)) this.writers.get(v.buffer)?.delete(i);
  }

  private entry(m: Map<number, Set<number>>, buffer: number): Set<number> {
    let s = m.get(buffer);
    if (!s) m.set(buffer, (s = new Set()));
    return s;
  }
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

/** The kernel `k` when it is a plain copy: `out = in0` from one buffer into another of the same dtype. */
export function plainCopy(d: ProgramDraft, k: Kernel | undefined): ElementwiseKernel | undefined {
  if (k?.kind !== 'elementwise' || k.inputs.length !== 1 || k.outputs.length !== 1) return undefined;
  const e = k.exprs[0]!;
  const [from, to] = [k.inputs[0]!, k.outputs[0]!];
  const [bf, bt] = [d.buffers[from.buffer]!, d.buffers[to.buffer]!];
  return e.op === 'input' && e.dtype === bf.dtype && bf.dtype === bt.dtype && from.buffer !== to.buffer ? k : undefined;
}

export function isTemp(d: ProgramDraft, buffer: number): boolean {
  return d.buffers[buffer]!.role === 'temp' && !d.pinned.has(buffer);
}

export const sameViewExact = sameView;
