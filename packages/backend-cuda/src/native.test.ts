import { describe, expect, it } from 'vitest';
import { loadAddon } from './native.js';
import { cudaSearchDirs } from './runtime/library-paths.js';

// The addon is built by this package's `build` script; it includes no CUDA header and links
// no CUDA library, so it must load on every machine, GPU or not.
describe('the native addon', () => {
  const load = loadAddon();

  it('loads (no CUDA needed to load it)', () => {
    expect(load.error).toBeUndefined();
    expect(load.path).toMatch(/symgrad_cuda\.node$/);
  });

  it('probes the libraries without throwing and reports each as found (with version) or missing (with why)', () => {
    const probe = load.addon!.probe(cudaSearchDirs());
    for (const lib of [probe.driver, probe.nvrtc, probe.cublas, probe.cublasLt]) {
      if (lib.found) expect(lib.version).toMatch(/^\d+\.\d+/);
      else expect(lib.error).toMatch(/not found|stub|lacks/);
    }
    if (!probe.driver.found) expect(probe.driver.error).toMatch(/^libcuda\.so\.1 not found \(no NVIDIA driver\): /);
  });

  it.skipIf(load.addon?.probe([]).driver.found)('without a driver, init throws the reason with code ERR_CUDA and device calls refuse', () => {
    const a = load.addon!;
    expect(() => a.init(0)).toThrow(/libcuda\.so\.1 not found/);
    try { a.init(0); } catch (e) { expect((e as { code?: string }).code).toBe('ERR_CUDA'); }
    expect(() => a.alloc(16)).toThrow(/not initialized/);
    expect(() => a.createGraph([])).toThrow(/not initialized/);
    expect(() => a.timeOps([])).toThrow(/not initialized/);
    expect(() => a.compile('extern "C" __global__ void k() {}', 'k', 'sm_90')).toThrow(/libnvrtc|NVRTC/);
  });
});
