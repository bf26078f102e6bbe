import { allocTyped, type DeviceBuffer, type DType, type TypedArray } from '@symgrad/core';

// GPUBufferUsage / GPUMapMode values, spelled out: Node has no such globals.
export const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, STORAGE: 0x80, QUERY_RESOLVE: 0x200 } as const;
export const MAP_READ = 0x1;

/** A device buffer: every element is one 32-bit word (bool as i32 0/1). */
export interface WebGPUBuffer extends DeviceBuffer {
  readonly gpu: GPUBuffer;
  readonly byteSize: number;
}

/**
 * Bytes a buffer of `size` elements takes: rounded up to whole 16-byte vec4s (at least one:
 * WebGPU bindings cannot be empty), so a vec4 elementwise kernel's last, partial vec4 lies
 * inside the buffer (see generateElementwise).
 */
export const byteSizeOf = (size: number): number => Math.max(1, Math.ceil(size / 4)) * 16;

/**
 * Reuses GPU buffers by byte size: a freed buffer goes back to the pool instead of being
 * destroyed, so a steady-state training loop (and the read-back staging buffers) allocates
 * nothing on the device.
 */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  constructor(private readonly device: GPUDevice, private readonly usage: number, private readonly label: string) {}

  take(byteSize: number): GPUBuffer {
    const hit = this.free.get(byteSize)?.pop();
    if (hit) return hit;
    return this.device.createBuffer({ size: byteSize, usage: this.usage, label: this.label });
  }

  give(buffer: GPUBuffer): void {
    const list = this.free.get(buffer.size) ?? [];
    list.push(buffer);
    this.free.set(buffer.size, list);
  }

  /** Destroys every pooled buffer. */
  clear(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
  }
}

/** The host data of a write as the 32-bit words the device stores. */
export function toDeviceWords(dtype: DType, data: TypedArray): Float32Array | Int32Array {
  if (dtype === 'float32') return data as Float32Array;
  if (dtype === 'int32') return data as Int32Array;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ? 1 : 0;
  return out;
}

/** Device words (a mapped range) back to the host typed array of a dtype. */
export function fromDeviceWords(dtype: DType, size: number, words: ArrayBuffer): TypedArray {
  if (dtype === 'float32') return new Float32Array(words.slice(0, size * 4));
  if (dtype === 'int32') return new Int32Array(words.slice(0, size * 4));
  const src = new Int32Array(words, 0, size);
  const out = allocTyped('bool', size);
  for (let i = 0; i < size; i++) out[i] = src[i] ? 1 : 0;
  return out;
}
