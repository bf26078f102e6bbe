/**
 * @symgrad/backend-cpu — the CPU backend of symgrad, in TypeScript: generated JavaScript
 * loops for elementwise and reduce kernels, a cache-blocked matmul, and the indexing and
 * loss kernels. It runs wherever JavaScript runs (Node, browsers, workers). In Node a native
 * addon runs every kernel where it loads (a SIMD GEMM on a thread pool, and a bytecode
 * interpreter for the fused expressions); SYMGRAD_CPU_NATIVE=0 turns it off.
 *
 * Importing this package registers a backend named `'cpu'` with priority 10.
 *
 * @example
 * ```ts
 * import { T, fn } from '@symgrad/core';
 * import '@symgrad/backend-cpu';
 * const x = T.vector('x');
 * const f = fn([x], x.mul(2).sum());
 * await f([1, 2, 3]); // NDArray 12
 * ```
 */
import { registerCpuBackend } from './backend.js';

export {
  CpuBackend, cpuBackendFactory, registerCpuBackend, CPU_BACKEND_NAME, CPU_BACKEND_PRIORITY, CPU_CAPABILITIES,
  type CpuBackendOptions, type CpuBackendStats,
} from './backend.js';
export { nativeCpuAddon, nativeCpuStatus, describeNative, type NativeCpuAddon, type NativeIsa, type NativeStatus } from './native.js';
export type { CpuBuffer } from './runtime/cpu-buffer.js';

registerCpuBackend();
