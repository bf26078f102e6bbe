/**
 * @symgrad/backend-gpujs — the gpu.js backend of symgrad: gpu.js kernel source generated for
 * every kernel kind of the Program IR but `random` (drawn on the host: this backend's int32
 * buffers are float32, too narrow for Philox words), run on WebGL2 in browsers without WebGPU and in
 * gpu.js's own modes (WebAssembly, plain JS) in Node. On WebGL2 buffers stay in textures
 * between kernels and runs (gpu.js pipeline mode). gpu.js is imported dynamically, so a
 * machine where it cannot load gets a reason from `availability()`, never a crash.
 *
 * Importing this package registers a backend named `'gpujs'` with priority 5 (below the
 * CPU's 10).
 *
 * @example
 * ```ts
 * import { T, fn } from '@symgrad/core';
 * import '@symgrad/backend-gpujs';
 * const x = T.vector('x');
 * const f = fn([x], x.mul(2).sum(), { backend: 'gpujs' });
 * await f([1, 2, 3]); // NDArray 12
 * ```
 */
import { registerGpujsBackend } from './backend.js';

export {
  GpujsBackend, createGpujsBackendFactory, gpujsBackendFactory, registerGpujsBackend,
  GPUJS_BACKEND_NAME, GPUJS_BACKEND_PRIORITY, GPUJS_MAX_BUFFER_ELEMENTS, type GpujsBackendOptions,
} from './backend.js';
export type { TextureStats } from './runtime/textures.js';
export { toBufferLaunch, type BufferLaunch } from './codegen/buffer-launch.js';
export { generateProgram, generateKernel, programProblems, isHostLaunch, GPUJS_DTYPES, GPUJS_KERNEL_KINDS, type Launch } from './codegen/generate.js';
export { renderExprs, renderCast, floatLiteral, type RenderedExprs } from './codegen/expr.js';
export type { KernelLaunch } from './codegen/source.js';
export type { HostRandomLaunch } from './codegen/random.js';
export { loadGpu, describeMode, type GpuProbe, type GpuLike } from './runtime/gpu-loader.js';

registerGpujsBackend();
