import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendError, getBackend, listBackends, registerBackend, type Backend } from '@symgrad/core';
import {
  WEBGPU_BACKEND_NAME, WEBGPU_BACKEND_PRIORITY, WEBGPU_UNAVAILABLE_REASON,
  createWebGPUBackendFactory, describeUnavailability, probeWebGPU, webgpuBackendFactory,
} from './index.js';

const BASE = "the WebGPU backend's kernels are not implemented yet in this release";
const missing = (): Promise<unknown> => Promise.reject(Object.assign(new Error("Cannot find package 'webgpu' imported from /x.js"), { code: 'ERR_MODULE_NOT_FOUND' }));

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('@symgrad/backend-webgpu', () => {
  it('registers as "webgpu" with priority 20 and reports itself unavailable with the reason', async () => {
    expect(WEBGPU_BACKEND_NAME).toBe('webgpu');
    expect(WEBGPU_BACKEND_PRIORITY).toBe(20);
    expect(WEBGPU_UNAVAILABLE_REASON).toBe(BASE);
    const a = await webgpuBackendFactory.availability();
    expect(a.ok).toBe(false);
    const reason = a.ok ? '' : a.reason;
    expect(reason.startsWith(BASE)).toBe(true);
    // The reason names what this machine has, as the probe finds it.
    expect(reason).toBe(describeUnavailability(await probeWebGPU()));
    const webgpu = (await listBackends()).filter((b) => b.name === 'webgpu');
    expect(webgpu).toEqual([{ name: 'webgpu', priority: 20, available: false, reason }]);
  });

  it('says whether navigator.gpu exists and whether the webgpu package can be imported', async () => {
    vi.stubGlobal('navigator', undefined);
    expect(await probeWebGPU({ importWebgpu: missing })).toEqual({ navigatorGpu: false, webgpuPackage: { state: 'not-installed' } });
    const none = await createWebGPUBackendFactory({ importWebgpu: missing }).availability();
    expect(none).toEqual({ ok: false, reason: `${BASE} (navigator.gpu is not present; the optional 'webgpu' package is not installed)` });

    vi.stubGlobal('navigator', { gpu: {} });
    const both = await createWebGPUBackendFactory({ importWebgpu: async () => ({ create: () => ({}) }) }).availability();
    expect(both).toEqual({ ok: false, reason: `${BASE} (navigator.gpu is present; the optional 'webgpu' package loaded)` });

    const broken = async (): Promise<unknown> => { throw new Error('libvulkan.so.1: cannot open shared object file'); };
    const failed = await createWebGPUBackendFactory({ importWebgpu: broken }).availability();
    expect(failed).toEqual({
      ok: false,
      reason: `${BASE} (navigator.gpu is present; the optional 'webgpu' package is installed but failed to load: libvulkan.so.1: cannot open shared object file)`,
    });
  });

  it('a missing dependency of an installed webgpu package is a load failure, not "not installed"', async () => {
    const depMissing = (): Promise<unknown> => Promise.reject(new Error("Cannot find package 'bindings' imported from /node_modules/webgpu/index.js"));
    const p = await probeWebGPU({ importWebgpu: depMissing });
    expect(p.webgpuPackage.state).toBe('failed');
  });

  it('the real probe runs on this machine without throwing', async () => {
    const p = await probeWebGPU();
    expect(typeof p.navigatorGpu).toBe('boolean');
    expect(['loaded', 'not-installed', 'failed']).toContain(p.webgpuPackage.state);
  });

  it('create() rejects with the same reason, and choosing it explicitly throws it', async () => {
    const f = createWebGPUBackendFactory({ importWebgpu: missing });
    const a = await f.availability();
    await expect(Promise.resolve().then(() => f.create())).rejects.toThrow(a.ok ? 'unreachable' : a.reason);
    await expect(getBackend('webgpu')).rejects.toThrow(BackendError);
    await expect(getBackend('webgpu')).rejects.toThrow(`backend 'webgpu' is unavailable: ${BASE}`);
  });

  it('importing the package twice keeps one registration', async () => {
    vi.resetModules();
    const again = await import('./index.js');
    expect(again.webgpuBackendFactory).not.toBe(webgpuBackendFactory);
    const other = { availability: () => ({ ok: true as const }), create: (): Backend => { throw new Error('not used'); } };
    registerBackend('webgpu', other, 99); // the first registration wins
    const webgpu = (await listBackends()).filter((b) => b.name === 'webgpu');
    expect(webgpu).toHaveLength(1);
    expect(webgpu[0]).toMatchObject({ name: 'webgpu', priority: 20, available: false });
  });
});
