import type { Backend, BackendFactory, Capabilities, DeviceBuffer } from '../backend/backend.js';
import { roundTo } from '../codegen/scalar-expr.js';
import { allocTyped, DTYPES, type DType, type TypedArray } from '../ir/dtype.js';
import { KERNEL_KINDS, OPTIONAL_KERNEL_KINDS, type KernelKind, type Program } from '../lower/program.js';
import { interpretProgram } from './reference-program.js';

interface RefBuffer extends DeviceBuffer {
  data: Float64Array;
}

/**
 * A slow, obviously correct backend that interprets Programs with the reference scalar
 * evaluator. Core's own tests run `fn` and the conformance suite on it, so lowering is
 * tested without any real backend.
 *
 * @example
 * ```ts
 * const limited = new ReferenceBackend('no-matmul', ['elementwise', 'reduce']); // a backend lacking kernel kinds
 * registerBackend('no-matmul', { availability: () => ({ ok: true }), create: () => limited }, -1);
 * ```
 */
export class ReferenceBackend implements Backend {
  readonly name: string;
  readonly capabilities: Capabilities;
  allocations = 0;

  /** `kernels`: the kernel kinds to claim (every kind by default), e.g. to lower as a given backend would. */
  constructor(name = 'reference', kernels: readonly KernelKind[] = [...KERNEL_KINDS, ...OPTIONAL_KERNEL_KINDS]) {
    this.name = name;
    this.capabilities = { dtypes: DTYPES, kernels, maxBufferElements: 1 << 24, precisions: ['fp32'], syncRead: true, device: 'reference interpreter' };
  }

  allocate(dtype: DType, size: number): RefBuffer {
    this.allocations++;
    return { dtype, size, data: new Float64Array(size) };
  }
  free(): void {}
  write(buffer: DeviceBuffer, data: TypedArray): void {
    const b = buffer as RefBuffer;
    for (let i = 0; i < b.size; i++) b.data[i] = roundTo(b.dtype, data[i]!);
  }
  readSync(buffer: DeviceBuffer): TypedArray {
    const b = buffer as RefBuffer;
    const out = allocTyped(b.dtype, b.size);
    out.set(b.data);
    return out;
  }
  async read(buffer: DeviceBuffer): Promise<TypedArray> {
    return this.readSync(buffer);
  }
  compile(program: Program) {
    return {
      run: (buffers: readonly DeviceBuffer[]) => interpretProgram(program, buffers.map((b) => (b as RefBuffer).data)),
      dispose: () => {},
    };
  }
}

/**
 * A factory for registering the reference backend under a name (tests).
 *
 * @example
 * ```ts
 * registerBackend('reference', referenceBackendFactory(), -1);
 * const f = fn([x], T.exp(x), { backend: 'reference' });
 * ```
 */
export function referenceBackendFactory(name = 'reference'): BackendFactory {
  return { availability: () => ({ ok: true }), create: () => new ReferenceBackend(name) };
}
