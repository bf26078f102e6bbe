/**
 * @symgrad/backend-cuda — the CUDA backend of symgrad.
 *
 * Importing this package registers a backend named `'cuda'` with priority 30 (above
 * WebGPU's 20 and the CPU's 10). In this release the CUDA kernels are not implemented yet:
 * the backend reports itself unavailable with that reason, so `'auto'` backend selection
 * passes over it (and `skippedBackends()` says why), and choosing it explicitly throws the
 * reason instead of running anywhere else.
 *
 * @example
 * ```ts
 * import { listBackends } from '@symgrad/core';
 * import '@symgrad/backend-cuda';
 * await listBackends();
 * // [{ name: 'cuda', priority: 30, available: false, reason: "the CUDA backend's kernels are not implemented yet in this release" }, …]
 * ```
 */
import { registerBackend, type Availability, type Backend, type BackendFactory } from '@symgrad/core';

/** The name this package registers its backend under. */
export const CUDA_BACKEND_NAME = 'cuda';

/** Its priority when no backend is chosen explicitly (cpu is 10, webgpu 20). */
export const CUDA_BACKEND_PRIORITY = 30;

/** Why the backend cannot run in this release. */
export const CUDA_UNAVAILABLE_REASON = "the CUDA backend's kernels are not implemented yet in this release";

/**
 * The factory registered under `'cuda'`: `availability()` reports `{ ok: false, reason }`
 * and `create()` throws the same reason.
 *
 * @example
 * ```ts
 * import { cudaBackendFactory } from '@symgrad/backend-cuda';
 * cudaBackendFactory.availability(); // { ok: false, reason: "the CUDA backend's kernels are not implemented yet in this release" }
 * ```
 */
export const cudaBackendFactory: BackendFactory = {
  availability(): Availability {
    return { ok: false, reason: CUDA_UNAVAILABLE_REASON };
  },
  create(): Backend {
    throw new Error(`cannot create the '${CUDA_BACKEND_NAME}' backend: ${CUDA_UNAVAILABLE_REASON}`);
  },
};

// Registration is the side effect of importing this package. registerBackend keeps the
// first registration of a name, so importing the package twice (or two copies of it) is fine.
registerBackend(CUDA_BACKEND_NAME, cudaBackendFactory, CUDA_BACKEND_PRIORITY);
