import { buffersWritten, type DeviceBuffer, type Executable, type Kernel, type Program, type TypedArray } from '@symgrad/core';
import { bumpVersion } from './buffer-versions.js';
import { compileElementwise } from '../codegen/elementwise.js';
import type { NativeCpuAddon } from '../native.js';
import type { CpuBuffer } from './cpu-buffer.js';
import { bufferTable, type BufferTable, type KernelStep } from './kernel-step.js';
import { compileMatmul, isNativeMatmul } from './matmul.js';
import { compileNativeElementwise, type NativeCompiled } from './native-elementwise.js';
import { compileNativeReduce } from './native-reduce.js';
import { compileNativeRandom } from './native-random.js';
import { compileNativeGather, compileNativeOneHot, compileNativeScatterAdd, compileNativeTake, compileNativeSoftmax, compileNativeSoftmaxCrossEntropy } from './native-specials.js';
import { compileScatterAdd, compileTake } from './indexing.js';
import { compileRandom } from './random.js';
import { compileReduce } from './reduce.js';
import { compileGather, compileOneHot, compileSoftmax, compileSoftmaxCrossEntropy } from './specials.js';

/** A kernel's step, and when an addon was given but the kernel runs in TypeScript, why. */
interface Compiled {
  readonly step: KernelStep;
  readonly fallback?: string;
}

function withNative(ts: KernelStep, native: NativeCompiled): Compiled {
  return 'step' in native ? { step: native.step } : { step: ts, fallback: native.fallback };
}

function compileKernel(k: Kernel, buffers: BufferTable, native: NativeCpuAddon | undefined): Compiled {
  // The TypeScript compilers check every kernel (their messages are the backend's), and
  // their steps are the fallback when the addon cannot take a kernel.
  switch (k.kind) {
    case 'elementwise': {
      const ts = compileElementwise(k, buffers);
      return native ? withNative(ts, compileNativeElementwise(k, buffers, native)) : { step: ts };
    }
    case 'reduce': {
      const ts = compileReduce(k, buffers);
      return native ? withNative(ts, compileNativeReduce(k, buffers, native)) : { step: ts };
    }
    case 'matmul': {
      const step = compileMatmul(k, buffers, native);
      return native && !isNativeMatmul(step) ? { step, fallback: 'the TypeScript GEMM (dtype, operand storage or aliasing)' } : { step };
    }
    case 'gather': {
      const ts = compileGather(k, buffers);
      return native ? withNative(ts, compileNativeGather(k, native)) : { step: ts };
    }
    case 'take': {
      const ts = compileTake(k, buffers);
      return native ? withNative(ts, compileNativeTake(k, native)) : { step: ts };
    }
    case 'scatterAdd': {
      const ts = compileScatterAdd(k, buffers);
      return native ? withNative(ts, compileNativeScatterAdd(k, native)) : { step: ts };
    }
    case 'oneHot': {
      const ts = compileOneHot(k, buffers);
      return native ? withNative(ts, compileNativeOneHot(k, native)) : { step: ts };
    }
    case 'softmaxCrossEntropy': {
      const ts = compileSoftmaxCrossEntropy(k, buffers);
      return native ? withNative(ts, compileNativeSoftmaxCrossEntropy(k, native)) : { step: ts };
    }
    case 'random': {
      const ts = compileRandom(k, buffers);
      return native ? withNative(ts, compileNativeRandom(k, native)) : { step: ts };
    }
    case 'softmax': {
      const ts = compileSoftmax(k, buffers);
      return native ? withNative(ts, compileNativeSoftmax(k, native)) : { step: ts };
    }
  }
}

/**
 * A compiled Program: one step per kernel, run in order on the buffer table. Running
 * allocates nothing (the table of typed arrays is reused); it checks that every buffer is a
 * live cpu buffer of the program's dtype and at least its size.
 */
export class CpuExecutable implements Executable {
  private readonly steps: readonly KernelStep[];
  /**
   * With the addon: the kernels that still run in TypeScript, and why (also printed to
   * stderr when SYMGRAD_CPU_DEBUG=1). Empty without the addon.
   */
  readonly nativeFallbacks: readonly string[];
  private readonly data: TypedArray[];
  /** The buffers this Program's kernels write: their versions change at each run. */
  private readonly written: readonly number[];
  private disposed = false;

  /** `native`: the addon whose kernels replace the TypeScript ones where they apply. */
  constructor(
    private readonly program: Program,
    private readonly isOwn: (b: DeviceBuffer) => b is CpuBuffer,
    native?: NativeCpuAddon,
  ) {
    const written = buffersWritten(program);
    this.written = [...written];
    const table = bufferTable(program.buffers, written);
    const fallbacks: string[] = [];
    this.steps = program.kernels.map((k, i) => {
      let c: Compiled;
      try {
        c = compileKernel(k, table, native);
      } catch (err) {
        throw new Error(`cpu backend: kernel ${i} (${k.kind} '${k.label}'): ${(err as Error).message}`);
      }
      if (c.fallback) fallbacks.push(`kernel ${i} (${k.kind} '${k.label}') runs in TypeScript: ${c.fallback}`);
      return c.step;
    });
    this.nativeFallbacks = fallbacks;
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    if (env?.SYMGRAD_CPU_DEBUG === '1') for (const f of fallbacks) console.warn(`symgrad cpu: ${f}`);
    const slots = program.buffers.reduce((n, b) => Math.max(n, b.id + 1), 0);
    this.data = new Array<TypedArray>(slots).fill(new Float64Array(0));
  }

  run(buffers: readonly DeviceBuffer[]): void {
    const data = this.bind(buffers);
    const steps = this.steps;
    for (let i = 0; i < steps.length; i++) steps[i]!(data);
  }

  /**
   * One run, as `run`, timing each kernel on the clock of the device that runs it, this CPU
   * (`performance.now()` around each step): profile mode then measures the compiled function
   * itself, native kernels and all, instead of each kernel compiled and run alone.
   */
  async runTimed(buffers: readonly DeviceBuffer[]): Promise<readonly number[]> {
    const data = this.bind(buffers);
    const ms = this.steps.map((step) => {
      const t0 = performance.now();
      step(data);
      return performance.now() - t0;
    });
    return ms;
  }

  /** The buffer table of a run, each buffer checked; written buffers get new versions. */
  private bind(buffers: readonly DeviceBuffer[]): TypedArray[] {
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
    for (const id of this.written) bumpVersion(data[id]!);
    return data;
  }

  dispose(): void {
    this.disposed = true;
    this.data.fill(new Float64Array(0));
  }
}
