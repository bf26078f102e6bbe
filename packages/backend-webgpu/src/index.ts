/**
 * @symgrad/backend-webgpu — the WebGPU backend of symgrad: WGSL code generation for every
 * kernel kind of the Program IR, run through `navigator.gpu` in browsers and through Dawn
 * (the optional `webgpu` npm package, imported dynamically) in Node.
 *
 * Importing this package registers a backend named `'webgpu'` with priority 20 (above the
 * CPU's 10, below CUDA's 30). Where there is no WebGPU, `availability()` says what is missing.
 *
 * @example
 * ```ts
 * import { T, fn, listBackends } from '@symgrad/core';
 * import '@symgrad/backend-webgpu';
 * await listBackends(); // [{ name: 'webgpu', priority: 20, available: true }, …]
 * const x = T.vector('x');
 * const f = fn([x], x.mul(2).sum(), { backend: 'webgpu' });
 * await f([1, 2, 3]); // NDArray 12
 * ```
 */
/// <reference types="@webgpu/types" preserve="true" />
import { registerWebGPUBackend } from './backend.js';

export {
  WebGPUBackend, createWebGPUBackendFactory, webgpuBackendFactory, registerWebGPUBackend, WEBGPU_BACKEND_NAME, WEBGPU_BACKEND_PRIORITY,
  type WebGPUBackendOptions,
} from './backend.js';
export { checkAndGenerate, type ProgramLimits } from './codegen/check.js';
export { requestWebGPUAdapter, describeAdapter, DEFAULT_DAWN_FLAGS, withDawnFeatures, type GpuLoaderOptions, type WebGPUProbe, type AdapterResult } from './runtime/gpu-loader.js';
export { generateProgram, generateKernel } from './codegen/generate.js';
export { renderExprs, castValue } from './codegen/wgsl-expr.js';
export { Helpers } from './codegen/wgsl-types.js';
export { DEFAULT_CODEGEN_LIMITS, type GeneratedKernel, type CodegenLimits, type CodegenContext } from './codegen/kernel.js';
export {
  DEFAULT_MATMUL_CONFIG, LARGE_MATMUL_CONFIG, HUGE_MATMUL_CONFIG, HUGE_PADDED_MATMUL_CONFIG, SPLIT_HUGE_MATMUL_CONFIG, SPLIT_HUGE_K32_MATMUL_CONFIG, defaultMatmulConfigFor, matmulConfigCandidates, MAX_MATMUL_INVOCATIONS, MATMUL_ENV_VAR, MATMUL_FLAGS, MATMUL_TUNE_VALUE, parseMatmulConfig, formatMatmulConfig, matmulConfigProblems,
  type MatmulConfig, type MatmulConfigChooser,
} from './codegen/matmul-config.js';
export { matmulMismatch, matmulShapeKey, MATMUL_TUNING_TOLERANCE, type MatmulTuningOptions, type MatmulTuningRecord } from './runtime/matmul-tuner.js';

registerWebGPUBackend();
