import { describe, expect, it, vi } from 'vitest';
import { BackendError, getBackend, listBackends, registerBackend, setBackend, type Backend } from '@symgrad/core';
import { CUDA_BACKEND_NAME, CUDA_BACKEND_PRIORITY, CUDA_UNAVAILABLE_REASON, cudaBackendFactory } from './index.js';

const REASON = "the CUDA backend's kernels are not implemented yet in this release";

describe('@symgrad/backend-cuda', () => {
  it('registers as "cuda" with priority 30 and reports itself unavailable with the reason', async () => {
    expect(CUDA_BACKEND_NAME).toBe('cuda');
    expect(CUDA_BACKEND_PRIORITY).toBe(30);
    expect(CUDA_UNAVAILABLE_REASON).toBe(REASON);
    expect(await cudaBackendFactory.availability()).toEqual({ ok: false, reason: REASON });
    const cuda = (await listBackends()).filter((b) => b.name === 'cuda');
    expect(cuda).toEqual([{ name: 'cuda', priority: 30, available: false, reason: REASON }]);
  });

  it('create() throws the same reason', () => {
    expect(() => cudaBackendFactory.create()).toThrow(REASON);
  });

  it('choosing it explicitly throws the reason (no silent fallback)', async () => {
    await expect(getBackend('cuda')).rejects.toThrow(BackendError);
    await expect(getBackend('cuda')).rejects.toThrow(`backend 'cuda' is unavailable: ${REASON}`);
    setBackend('cuda');
    await expect(getBackend()).rejects.toThrow(REASON);
  });

  it('importing the package twice keeps one registration', async () => {
    vi.resetModules();
    const again = await import('./index.js');
    // A fresh module instance ran registerBackend again with a new factory object.
    expect(again.cudaBackendFactory).not.toBe(cudaBackendFactory);
    const other = { availability: () => ({ ok: true as const }), create: (): Backend => { throw new Error('not used'); } };
    registerBackend('cuda', other, 99); // the first registration wins
    const cuda = (await listBackends()).filter((b) => b.name === 'cuda');
    expect(cuda).toEqual([{ name: 'cuda', priority: 30, available: false, reason: REASON }]);
  });
});
