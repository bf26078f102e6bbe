import { afterAll } from 'vitest';
import { GpujsBackend } from '../backend.js';
import { loadGpu } from '../runtime/gpu-loader.js';
import { fakeTextureGpu } from './fake-texture-gpu.js';

/**
 * A texture-mode backend over stand-in textures (gpu.js's CPU mode underneath), made on
 * first use and disposed after the calling file's tests: call it at a describe's top level.
 */
export function textureBackendForTests(): () => Promise<GpujsBackend> {
  let backend: GpujsBackend | undefined;
  afterAll(() => backend?.dispose());
  return async () => {
    if (backend) return backend;
    const p = await loadGpu();
    if (!p.ok) throw new Error(p.reason);
    return (backend = new GpujsBackend(fakeTextureGpu(p.gpu).gpu, 'gpu.js (fake textures over webasm)', { textures: true }));
  };
}
