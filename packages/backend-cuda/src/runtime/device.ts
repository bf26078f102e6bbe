import { loadAddon, type CudaAddon, type NativeDeviceInfo, type ProbeResult } from '../native.js';
import { unavailableReason } from './availability.js';
import { cacheKey, CubinCache } from './cache.js';
import { cudaSearchDirs } from './library-paths.js';

/** The probe result, computed once per process (dlopen()s the libraries on first call). */
let probed: { probe?: ProbeResult; reason?: string } | undefined;

export function probeLibraries(): { probe?: ProbeResult; reason?: string } {
  if (probed) return probed;
  const load = loadAddon();
  const probe = load.addon?.probe(cudaSearchDirs());
  probed = { ...(probe ? { probe } : {}), ...(unavailableReason(load, probe) === undefined ? {} : { reason: unavailableReason(load, probe)! }) };
  return probed;
}

/**
 * How a profiled run (CudaExecutable.runTimed) timed its steps: `'graph'`, event record nodes
 * inside one CUDA graph launch (the device never waits for the host between steps), or
 * `'direct'`, the steps enqueued uncaptured between event records (a step of a few µs may also
 * count the device waiting for the host), with `fallback` saying why the graph was not used.
 */
export interface ProfileTiming {
  readonly method: 'graph' | 'direct';
  readonly fallback?: string;
}

/**
 * The opened device: the addon after `init`, its compute capability as an NVRTC target, and
 * the cubin cache keyed by source + arch + NVRTC and driver versions.
 */
export class CudaDevice {
  readonly arch: string;
  readonly cache = new CubinCache();
  /** How the latest profiled run on this device was timed (undefined before the first). */
  lastTiming: ProfileTiming | undefined;

  private constructor(readonly addon: CudaAddon, readonly info: NativeDeviceInfo, readonly probe: ProbeResult) {
    this.arch = `sm_${info.ccMajor}${info.ccMinor}`;
  }

  private static opened: CudaDevice | undefined;

  /** Opens device 0 once; throws the reason when CUDA cannot run here. */
  static open(): CudaDevice {
    if (CudaDevice.opened) return CudaDevice.opened;
    const { probe, reason } = probeLibraries();
    const addon = loadAddon().addon;
    if (reason !== undefined || !probe || !addon) throw new Error(reason ?? 'the CUDA addon did not load');
    const info = addon.init(0);
    CudaDevice.opened = new CudaDevice(addon, info, probe);
    return CudaDevice.opened;
  }

  static current(): CudaDevice | undefined {
    return CudaDevice.opened;
  }

  /** Compiles (or loads from the disk cache) one Program's source and loads its kernels. */
  load(source: string, kernelNames: readonly string[], what: string): { module: number; functions: Map<string, number>; cacheHit: boolean } {
    const key = cacheKey({ source, arch: this.arch, nvrtcVersion: this.probe.nvrtc.version ?? '', driverVersion: this.probe.driver.version ?? '' });
    const { cubin, hit } = this.cache.getOrCompile(key, () => this.addon.compile(source, what, this.arch));
    const { module, functions } = this.addon.loadModule(cubin, kernelNames);
    return { module, functions: new Map(kernelNames.map((n, i) => [n, functions[i]!])), cacheHit: hit };
  }
}
