import { afterAll } from 'vitest';
import { GpujsBackend } from '../backend.js';
import { FAKE_TEXTURE_DEVICE, fakeTextureGpuOverCpu } from './fake-texture-gpu.js';

/**
 * A texture-mode backend over stand-in textures (gpu.js's CPU mode underneath), made on
 * first use and disposed after the calling file's tests: call it at a describe's top level.
 */
export function textureBackendForTests(): () => Promise<GpujsBackend> {
  let backend: GpujsBackend | undefined;
  afterAll(() => backend?.dispose());
  return async () => {
    if (backend) return backend;
    return (backend = new GpujsBackend((await fakeTextureGpuOverCpu()).gpu, FAKE_TEXTURE_DEVICE, { textures: true }));
  };
}
