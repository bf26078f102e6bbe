/**
 * @symgrad/backend-webgpu — the WebGPU backend of symgrad (browsers through `navigator.gpu`,
 * Node through Dawn: the optional `webgpu` npm package).
 *
 * Importing this package registers a backend named `'webgpu'` with priority 20 (above the
 * CPU's 10, below CUDA's 30). In this release the WGSL kernels are not implemented yet: the
 * backend reports itself unavailable, saying so and saying what it found on this machine
 * (whether `navigator.gpu` exists, whether the `webgpu` package can be imported), so `'auto'`
 * backend selection passes over it and choosing it explicitly throws that reason.
 *
 * @example
 * ```ts
 * import { listBackends } from '@symgrad/core';
 * import '@symgrad/backend-webgpu';
 * await listBackends();
 * // [{ name: 'webgpu', priority: 20, available: false,
 * //    reason: "the WebGPU backend's kernels are not implemented yet in this release (navigator.gpu is not present; the optional 'webgpu' package is not installed)" }, …]
 * ```
 */
import { registerBackend, type Availability, type Backend, type BackendFactory } from '@symgrad/core';

/** The name this package registers its backend under. */
export const WEBGPU_BACKEND_NAME = 'webgpu';

/** Its priority when no backend is chosen explicitly (cpu is 10, cuda 30). */
export const WEBGPU_BACKEND_PRIORITY = 20;

/** Why the backend cannot run in this release, whatever the machine has. */
export const WEBGPU_UNAVAILABLE_REASON = "the WebGPU backend's kernels are not implemented yet in this release";

/** What this machine offers for WebGPU. */
export interface WebGPUProbe {
  /** Whether `navigator.gpu` exists (browsers in a secure context; Deno; Node with a polyfill). */
  readonly navigatorGpu: boolean;
  /** Whether the optional `webgpu` package (Dawn for Node) could be imported, and why not. */
  readonly webgpuPackage: { readonly state: 'loaded' } | { readonly state: 'not-installed' } | { readonly state: 'failed'; readonly error: string };
}

export interface ProbeOptions {
  /** Imports the `webgpu` package; replaceable in tests. */
  readonly importWebgpu?: () => Promise<unknown>;
}

// A specifier held in a variable: TypeScript and bundlers leave the optional package alone.
const WEBGPU_PACKAGE = 'webgpu';
const defaultImport = (): Promise<unknown> => import(/* @vite-ignore */ WEBGPU_PACKAGE);

/** True when the error says the `webgpu` package itself is missing (not one of its own imports). */
function isNotFound(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return new RegExp(`Cannot find (package|module) ['"]${WEBGPU_PACKAGE}['"]`).test(message);
}

/**
 * Looks for WebGPU on this machine without creating a device.
 *
 * @example
 * ```ts
 * import { probeWebGPU } from '@symgrad/backend-webgpu';
 * await probeWebGPU(); // { navigatorGpu: false, webgpuPackage: { state: 'not-installed' } }
 * ```
 */
export async function probeWebGPU(options: ProbeOptions = {}): Promise<WebGPUProbe> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  const navigatorGpu = nav?.gpu !== undefined && nav.gpu !== null;
  let webgpuPackage: WebGPUProbe['webgpuPackage'];
  try {
    await (options.importWebgpu ?? defaultImport)();
    webgpuPackage = { state: 'loaded' };
  } catch (err) {
    webgpuPackage = isNotFound(err) ? { state: 'not-installed' } : { state: 'failed', error: err instanceof Error ? err.message : String(err) };
  }
  return { navigatorGpu, webgpuPackage };
}

/** The unavailability reason for a probe: the release's limitation, then what was found. */
export function describeUnavailability(probe: WebGPUProbe): string {
  const nav = probe.navigatorGpu ? 'navigator.gpu is present' : 'navigator.gpu is not present';
  const pkg =
    probe.webgpuPackage.state === 'loaded'
      ? "the optional 'webgpu' package loaded"
      : probe.webgpuPackage.state === 'not-installed'
        ? "the optional 'webgpu' package is not installed"
        : `the optional 'webgpu' package is installed but failed to load: ${probe.webgpuPackage.error}`;
  return `${WEBGPU_UNAVAILABLE_REASON} (${nav}; ${pkg})`;
}

/** Builds a factory; the registered one uses the default probe. */
export function createWebGPUBackendFactory(options: ProbeOptions = {}): BackendFactory {
  return {
    async availability(): Promise<Availability> {
      return { ok: false, reason: describeUnavailability(await probeWebGPU(options)) };
    },
    async create(): Promise<Backend> {
      throw new Error(`cannot create the '${WEBGPU_BACKEND_NAME}' backend: ${describeUnavailability(await probeWebGPU(options))}`);
    },
  };
}

/**
 * The factory registered under `'webgpu'`: `availability()` reports `{ ok: false, reason }`
 * and `create()` rejects with the same reason.
 */
export const webgpuBackendFactory: BackendFactory = createWebGPUBackendFactory();

// Registration is the side effect of importing this package. registerBackend keeps the
// first registration of a name, so importing the package twice (or two copies of it) is fine.
registerBackend(WEBGPU_BACKEND_NAME, webgpuBackendFactory, WEBGPU_BACKEND_PRIORITY);
