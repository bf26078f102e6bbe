import { describe, expect, it, vi } from 'vitest';
import { BackendError, getBackend, listBackends, registerBackend, setBackend, type Backend } from '@symgrad/core';
import { CUDA_BACKEND_NAME, CUDA_BACKEND_PRIORITY, cudaBackendFactory, cudaInfo, cudaMemoryInfo } from './index.js';

// This suite runs where there is no GPU too: there the backend must say why, never throw on import.
const available = (await cudaBackendFactory.availability()).ok;

describe('@symgrad/backend-cuda registration', () => {
  it('registers as "cuda" with priority 30', async () => {
    expect(CUDA_BACKEND_NAME).toBe('cuda');
    expect(CUDA_BACKEND_PRIORITY).toBe(30);
    const cuda = (await listBackends()).filter((b) => b.name === 'cuda');
    expect(cuda).toHaveLength(1);
    expect(cuda[0]!.priority).toBe(30);
  });

  describe.skipIf(available)('on a machine without a usable GPU', () => {
    it('reports itself unavailable, naming what is missing', async () => {
      const a = await cudaBackendFactory.availability();
      expect(a.ok).toBe(false);
      const reason = a.ok ? '' : a.reason;
      const info = cudaInfo();
      if (info.addon.error) expect(reason).toMatch(/CUDA addon did not load/);
      else if (!info.driver?.found) expect(reason).toMatch(/^libcuda\.so\.1 not found \(no NVIDIA driver\): .*; NVRTC (\S+ found|not found), cuBLAS (\S+ found|not found)$/);
      else expect(reason).toMatch(/NVRTC|cuBLAS|device/);
      const cuda = (await listBackends()).find((b) => b.name === 'cuda');
      expect(cuda).toEqual({ name: 'cuda', priority: 30, available: false, reason });
    });

    it('has no memory figures while no device is open', () => {
      expect(cudaMemoryInfo()).toBeUndefined();
    });

    it('create() throws the same reason, and choosing it explicitly never falls back', async () => {
      const a = await cudaBackendFactory.availability();
      const reason = a.ok ? '' : a.reason;
      expect(() => cudaBackendFactory.create()).toThrow(`cannot create the 'cuda' backend: ${reason}`);
      await expect(getBackend('cuda')).rejects.toThrow(BackendError);
      await expect(getBackend('cuda')).rejects.toThrow(`backend 'cuda' is unavailable: ${reason}`);
      setBackend('cuda');
      await expect(getBackend()).rejects.toThrow(reason);
    });
  });

  it('importing the package twice keeps one registration', async () => {
    vi.resetModules();
    const again = await import('./index.js');
    expect(again.CUDA_BACKEND_NAME).toBe('cuda');
    const other = { availability: () => ({ ok: true as const }), create: (): Backend => { throw new Error('not used'); } };
    registerBackend('cuda', other, 99); // the first registration wins
    const cuda = (await listBackends()).filter((b) => b.name === 'cuda');
    expect(cuda).toHaveLength(1);
    expect(cuda[0]!.priority).toBe(30);
  });
});
