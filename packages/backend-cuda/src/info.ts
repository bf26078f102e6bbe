import { loadAddon, type LibraryProbe, type NativeDeviceInfo } from './native.js';
import { cacheDir } from './runtime/cache.js';
import { CudaDevice, probeLibraries, type ProfileTiming } from './runtime/device.js';
import { cudaSearchDirs } from './runtime/library-paths.js';

export interface CudaInfo {
  /** The addon file, or why it did not load. */
  readonly addon: { readonly path?: string; readonly error?: string };
  /** Where NVRTC and cuBLAS were looked for ("" is the dynamic loader's path). */
  readonly searchDirs: readonly string[];
  readonly driver?: LibraryProbe;
  readonly nvrtc?: LibraryProbe;
  readonly cublas?: LibraryProbe;
  readonly cublasLt?: LibraryProbe;
  /** The device, once the backend has been created. */
  readonly device?: NativeDeviceInfo & { readonly arch: string };
  readonly cacheDir: string;
  /** Why the backend cannot run, when it cannot (device checks aside). */
  readonly unavailable?: string;
}

/**
 * What the CUDA backend found on this machine, for `symgrad doctor`-style reports: the addon,
 * each library's path and version (or why it is missing), the device, the cubin cache folder.
 * Never throws and never initializes the device.
 *
 * @example
 * ```ts
 * import { cudaInfo } from '@symgrad/backend-cuda';
 * console.log(cudaInfo().driver); // { found: false, error: 'libcuda.so.1 not found (no NVIDIA driver): …' }
 * ```
 */
export function cudaInfo(): CudaInfo {
  const load = loadAddon();
  const { probe, reason } = probeLibraries();
  const dev = CudaDevice.current();
  return {
    addon: load.addon ? { path: load.path! } : { error: load.error! },
    searchDirs: cudaSearchDirs(),
    ...(probe ?? {}),
    ...(dev ? { device: { ...dev.info, arch: dev.arch } } : {}),
    cacheDir: cacheDir(),
    ...(reason === undefined ? {} : { unavailable: reason }),
  };
}

/**
 * The device's free and total memory in bytes as the driver reports them, once the backend
 * has opened the device (undefined before). Freed buffers stay in symgrad's stream-ordered
 * pool, so `free` falls as a function first runs and then holds steady.
 *
 * @example
 * ```ts
 * import { cudaMemoryInfo } from '@symgrad/backend-cuda';
 * const before = cudaMemoryInfo()?.free;
 * for (let i = 0; i < 10_000; i++) train.enqueue();
 * await train();
 * console.log(before! - cudaMemoryInfo()!.free); // 0 in steady state
 * ```
 */
export function cudaMemoryInfo(): { readonly free: number; readonly total: number } | undefined {
  return CudaDevice.current()?.addon.memInfo();
}

/**
 * How the latest profiled call on the CUDA device timed its kernels (undefined before any):
 * `'graph'` (event record nodes inside one graph launch) or `'direct'` (uncaptured steps
 * between event records; `fallback` says why the graph was not used).
 *
 * @example
 * ```ts
 * import { cudaProfileTiming } from '@symgrad/backend-cuda';
 * const f = fn([x], y, { backend: 'cuda', profile: true });
 * await f(data);
 * console.log(cudaProfileTiming()); // { method: 'graph' }
 * ```
 */
export function cudaProfileTiming(): ProfileTiming | undefined {
  return CudaDevice.current()?.lastTiming;
}
