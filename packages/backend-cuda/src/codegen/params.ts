import type { DType, View } from '@symgrad/core';
import { storageType } from './render-cuda.js';

/**
 * The parameter list of a generated kernel: one pointer per distinct buffer, named by
 * position (`p0`, `p1`, …). Distinct parameters are distinct allocations, so `__restrict__`
 * holds; buffers the kernel never writes are `const`.
 */
export class Params {
  private readonly ids: number[] = [];
  private readonly written = new Set<number>();

  constructor(private readonly dtypes: readonly DType[]) {}

  /** The parameter name for a view's buffer (registering it). */
  ref(v: View, write = false): string {
    if (!Number.isInteger(v.buffer) || v.buffer < 0 || v.buffer >= this.dtypes.length) throw new Error(`render-cuda: buffer ${String(v.buffer)} is not in the Program`);
    let i = this.ids.indexOf(v.buffer);
    if (i < 0) {
      i = this.ids.length;
      this.ids.push(v.buffer);
    }
    if (write) this.written.add(v.buffer);
    return `p${i}`;
  }

  dtype(v: View): DType {
    return this.dtypes[v.buffer]!;
  }

  /** `(const float* __restrict__ p0, int* __restrict__ p1)` */
  signature(): string {
    return this.ids.map((id, i) => `${this.written.has(id) ? '' : 'const '}${storageType(this.dtypes[id]!)}* __restrict__ p${i}`).join(', ');
  }

  buffers(): number[] {
    return [...this.ids];
  }
}
