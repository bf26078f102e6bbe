import type { AddonLoad, LibraryProbe, ProbeResult } from '../native.js';

const found = (name: string, p: LibraryProbe) => (p.found ? `${name} ${p.version ?? '?'} found` : `${name} not found`);

/**
 * Why the CUDA backend cannot run, from what the addon found; undefined when every library
 * is there (the device itself is checked by `init`). The first clause names what is missing
 * and how to get it; the rest lists what was found, with versions.
 *
 * @example
 * ```ts
 * unavailableReason({ addon }, probe);
 * // "libcuda.so.1 not found (no NVIDIA driver): libcuda.so.1: cannot open shared object file …; NVRTC 13.0 found, cuBLAS not found"
 * ```
 */
export function unavailableReason(load: AddonLoad, probe: ProbeResult | undefined): string | undefined {
  if (!load.addon || !probe) return load.error ?? 'the CUDA addon did not load';
  const { driver, nvrtc, cublas } = probe;
  if (!driver.found) return `${driver.error ?? 'libcuda.so.1 not found (no NVIDIA driver)'}; ${found('NVRTC', nvrtc)}, ${found('cuBLAS', cublas)}`;
  const missing = [nvrtc, cublas].filter((p) => !p.found);
  if (missing.length === 0) return undefined;
  const parts = [nvrtc.found ? undefined : nvrtc.error, cublas.found ? undefined : cublas.error].filter(Boolean);
  return `${parts.join('; ')}; driver ${driver.version ?? '?'} found, ${found('NVRTC', nvrtc)}, ${found('cuBLAS', cublas)}`;
}
