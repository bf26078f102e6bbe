import type { BufferSpec, DType, TypedArray } from '@symgrad/core';

/** One compiled kernel: runs on the executable's data table (index = buffer id). */
export type KernelStep = (data: readonly TypedArray[]) => void;

/** The Program's buffers by id, for compiling kernels. */
export interface BufferTable {
  spec(id: number): BufferSpec;
  dtype(id: number): DType;
  /** Whether a kernel of this Program writes the buffer. */
  written(id: number): boolean;
}

/**
 * A buffer table over a Program's buffer list; an unknown id throws when a kernel names it.
 * `written`: the ids its kernels write (default: none).
 */
export function bufferTable(buffers: readonly BufferSpec[], written: ReadonlySet<number> = new Set()): BufferTable {
  const byId = new Map<number, BufferSpec>(buffers.map((b) => [b.id, b]));
  const spec = (id: number): BufferSpec => {
    const s = byId.get(id);
    if (!s) throw new Error(`buffer ${String(id)} is not declared by the program`);
    return s;
  };
  return { spec, dtype: (id) => spec(id).dtype, written: (id) => written.has(id) };
}
