import type { DeviceBuffer, Executable, Kernel, Program, TypedArray } from '@symgrad/core';
import { compileElementwise } from '../codegen/elementwise.js';
import type { NativeCpuAddon } from '../native.js';
import type { CpuBuffer } from './cpu-buffer.js';
import { bufferTable, type BufferTable, type KernelStep } from './kernel-step.js';
import { compileMatmul } from './matmul.js';
import { compileReduce } from './reduce.js';
import { compileGather, compileOneHot, compileSoftmaxCrossEntropy } from './specials.js';

function compileKernel(k: Kernel, buffers: BufferTable, native: NativeCpuAddon | undefined): KernelStep {
  switch (k.kind) {
    case 'elementwise': return compileElementwise(k, buffers);
    case 'reduce': return compileReduce(k, buffers);
    case 'matmul': return compileMatmul(k, buffers, native);
    case 'gather': return compileGather(k, buffers);
    case 'oneHot': return compileOneHot(k, buffers);
    case 'softmaxCrossEntropy': return compileSoftmaxCrossEntropy(k, buffers);
  }
}

/**
 * A compiled Program: one step per kernel, run in order on the buffer table. Running
 * allocates nothing (the table of typed arrays is reused); it checks that every buffer is a
 * live cpu buffer of the program's dtype and at least its size.
 */
export class CpuExecutable implements Executable {
  private readonly steps: readonly KernelStep[];
  private readonly data: TypedArray[];
  private disposed = false;

  /** `native`: the addon whose kernels replace the TypeScript ones where they apply (matmul). */
  constructor(
    private readonly program: Program,
    private readonly isOwn: (b: DeviceBuffer) => b is CpuBuffer,
    native?: NativeCpuAddon,
  ) {
    const table = bufferTable(program.buffers);
    this.steps = program.kernels.map((k, i) => {
      try {
        return compileKernel(k, table, native);
      } catch (err) {
        throw new Error(`cpu backend: kernel ${i} (${k.kind} '${k.label}'): ${(err as Error).message}`);
      }
    });
    const slots = program.buffers.reduce((n, b) => Math.max(n, b.id + 1), 0);
    this.data = new Array<TypedArray>(slots).fill(new Float64Array(0));
  }

  run(buffers: readonly DeviceBuffer[]): void {
    if (this.disposed) throw new Error('cpu backend: this executable was disposed');
    const data = this.data;
    for (const spec of this.program.buffers) {
      const b = buffers[spec.id];
      if (b === undefined) throw new Error(`cpu backend: run() got no buffer for buffer ${spec.id} (${spec.role}, ${spec.dtype}[${spec.size}])`);
      if (!this.isOwn(b)) throw new Error(`cpu backend: buffer ${spec.id} was not allocated by this cpu backend (or was freed)`);
      if (b.dtype !== spec.dtype || b.size < spec.size) {
        throw new Error(`cpu backend: buffer ${spec.id} is ${b.dtype}[${b.size}], the program needs ${spec.dtype}[${spec.size}]`);
      }
      data[spec.id] = b.data;
    }
    const steps = this.steps;
    for (let i = 0; i < steps.length; i++) steps[i]!(data);
  }

  dispose(): void {
    this.disposed = true;
    this.data.fill(new Float64Array(0));
  }
}
