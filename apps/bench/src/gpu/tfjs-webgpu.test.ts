import { afterEach, describe, expect, it, vi } from 'vitest';
import { mlpData } from '../data.js';

// tfjs and Dawn stood in for by fakes: a tfjs whose webgpu backend cannot start (no adapter)
// gives the device benchmark's row its reason instead of crashing the part.
describe('the tfjs-webgpu peer', () => {
  const navigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  afterEach(() => {
    for (const m of ['webgpu', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu']) vi.doUnmock(m);
    if (navigator) Object.defineProperty(globalThis, 'navigator', navigator);
    else delete (globalThis as { navigator?: unknown }).navigator;
  });

  it('says when tfjs backend webgpu does not initialize', async () => {
    vi.resetModules();
    vi.doMock('webgpu', () => ({ create: () => ({ requestAdapter: async () => null }), globals: {} }));
    vi.doMock('@tensorflow/tfjs', () => ({ default: { setBackend: async () => false, ready: async () => undefined, version: { tfjs: '4.22.0' } } }));
    vi.doMock('@tensorflow/tfjs-backend-webgpu', () => ({}));
    const { timeTfjsWebgpuSeedStep } = await import('./tfjs-webgpu.js');
    await expect(timeTfjsWebgpuSeedStep(mlpData({ rows: 4, features: 3, hidden: 5, classes: 2 }), 1)).rejects.toThrow('tfjs backend webgpu did not initialize');
  });
});
