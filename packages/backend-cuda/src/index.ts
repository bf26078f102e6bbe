/**
 * @symgrad/backend-cuda — the CUDA backend of symgrad.
 *
 * Importing this package registers a backend named `'cuda'` with priority 30 (above
 * WebGPU's 20 and the CPU's 10). The native addon loads the CUDA driver, NVRTC and cuBLAS at
 * run time; where any is missing (no NVIDIA driver, no toolkit) the backend reports itself
 * unavailable with the reason and the versions it did find, so `'auto'` selection passes
 * over it and choosing it explicitly throws that reason. Nothing crashes without a GPU.
 *
 * @example
 * ```ts
 * import { listBackends } from '@symgrad/core';
 * import { cudaInfo } from '@symgrad/backend-cuda';
 * await listBackends();
 * // [{ name: 'cuda', priority: 30, available: false, reason: 'libcuda.so.1 not found (no NVIDIA driver): …' }, …]
 * cudaInfo(); // { addon: { path: '…/symgrad_cuda.node' }, driver: { found: false, … }, nvrtc: …, cacheDir: … }
 * ```
 */
import { registerBackend } from '@symgrad/core';
import { CUDA_BACKEND_NAME, cudaBackendFactory } from './backend.js';

/** Its priority when no backend is chosen explicitly (cpu is 10, webgpu 20). */
export const CUDA_BACKEND_PRIORITY = 30;

export { CUDA_BACKEND_NAME, cudaBackendFactory, CudaBackend, unsupportedKernels } from './backend.js';
export { cudaInfo, cudaMemoryInfo, cudaProfileTiming, type CudaInfo } from './info.js';
export type { ProfileTiming } from './runtime/device.js';
export { planProgram, CUDA_PRELUDE } from './codegen/program-source.js';
export type { ProgramPlan, Step, LaunchStep, GemmStep } from './codegen/plan.js';
export { renderCudaExprs, SCALAR_PRELUDE } from './codegen/render-cuda.js';

// Registration is the side effect of importing this package. registerBackend keeps the
// first registration of a name, so importing the package twice (or two copies of it) is fine.
registerBackend(CUDA_BACKEND_NAME, cudaBackendFactory, CUDA_BACKEND_PRIORITY);
