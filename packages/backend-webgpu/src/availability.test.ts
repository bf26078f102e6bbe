import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendError, getBackend, listBackends, registerBackend, type Backend } from '@symgrad/core';
import { createWebGPUBackendFactory, DEFAULT_DAWN_FLAGS, requestWebGPUAdapter, WEBGPU_BACKEND_NAME, WEBGPU_BACKEND_PRIORITY, webgpuBackendFactory, withDawnFeatures } from './index.js';

// availability() on machines without WebGPU, simulated by injecting failing loaders: it
// names what is missing and never throws.
const notInstalled = (): Promise<unknown> => Promise.reject(Object.assign(new Error("Cannot find package 'webgpu' imported from /x.js"), { code: 'ERR_MODULE_NOT_FOUND' }));
const noVulkan = (): Promise<unknown> => Promise.reject(new Error('libvulkan.so.1: cannot open shared object file: No such file or directory'));
const gpuWith = (requestAdapter: () => Promise<unknown>) => async () => ({ create: () => ({ requestAdapter }) });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('availability reasons', () => {
  it('the webgpu package is not installed', async () => {
    vi.stubGlobal('navigator', undefined);
    const a = await createWebGPUBackendFactory({ importWebgpu: notInstalled }).availability();
    expect(a).toEqual({ ok: false, reason: "no WebGPU implementation: navigator.gpu is not present and the optional 'webgpu' package is not installed (in Node: npm install webgpu)" });
  });

  it('the webgpu package is installed but fails to load (no Vulkan loader)', async () => {
    vi.stubGlobal('navigator', undefined);
    const a = await createWebGPUBackendFactory({ importWebgpu: noVulkan }).availability();
    expect(a).toEqual({ ok: false, reason: "no WebGPU implementation: navigator.gpu is not present and the optional 'webgpu' package failed to load: libvulkan.so.1: cannot open shared object file: No such file or directory" });
  });

  it('a missing dependency of an installed webgpu package is a load failure, not "not installed"', async () => {
    vi.stubGlobal('navigator', undefined);
    const depMissing = (): Promise<unknown> => Promise.reject(new Error("Cannot find package 'bindings' imported from /node_modules/webgpu/index.js"));
    const r = await requestWebGPUAdapter({ importWebgpu: depMissing });
    expect(r.probe.webgpuPackage.state).toBe('failed');
  });

  it('the package loads but finds no adapter (no Vulkan driver)', async () => {
    vi.stubGlobal('navigator', undefined);
    const a = await createWebGPUBackendFactory({ importWebgpu: gpuWith(async () => null) }).availability();
    expect(a.ok).toBe(false);
    const reason = a.ok ? '' : a.reason;
    expect(reason).toMatch(/^no WebGPU adapter: the 'webgpu' package found none \(on Linux install a Vulkan driver/);
    expect(reason).toContain('VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json');
  });

  it('requestAdapter() throws', async () => {
    vi.stubGlobal('navigator', undefined);
    const a = await createWebGPUBackendFactory({ importWebgpu: gpuWith(async () => { throw new Error('Vulkan instance creation failed'); }) }).availability();
    expect(a.ok ? '' : a.reason).toMatch(/^no WebGPU adapter: requestAdapter\(\) through the 'webgpu' package failed: Vulkan instance creation failed/);
  });

  it('navigator.gpu is preferred where it exists', async () => {
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => null } });
    const r = await requestWebGPUAdapter({ importWebgpu: notInstalled });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(/^no WebGPU adapter: navigator\.gpu found none/);
    expect(r.probe).toEqual({ navigatorGpu: true, webgpuPackage: { state: 'not-tried' } });
  });

  it('create() rejects with the reason; the answer is computed once', async () => {
    vi.stubGlobal('navigator', undefined);
    const load = vi.fn(notInstalled);
    const f = createWebGPUBackendFactory({ importWebgpu: load });
    const a = await f.availability();
    await f.availability();
    expect(load).toHaveBeenCalledTimes(1);
    await expect(Promise.resolve().then(() => f.create())).rejects.toThrow(`cannot create the 'webgpu' backend: ${a.ok ? '' : a.reason}`);
  });

  it('one GPU object per package import: a second backend asking for other Dawn flags is refused, naming both', async () => {
    vi.stubGlobal('navigator', undefined);
    const create = vi.fn((_flags: string[]) => ({ requestAdapter: async () => ({ info: { vendor: 'fake' } }) }));
    const importWebgpu = async () => ({ create });
    const first = await requestWebGPUAdapter({ importWebgpu, dawnFlags: ['enable-dawn-features=disable_robustness'] });
    expect(first.ok).toBe(true);
    expect((await requestWebGPUAdapter({ importWebgpu, dawnFlags: ['enable-dawn-features=disable_robustness'] })).ok).toBe(true);
    expect(create).toHaveBeenCalledTimes(1);
    expect(create).toHaveBeenCalledWith(['enable-dawn-features=disable_robustness']);
    const other = await createWebGPUBackendFactory({ importWebgpu }).availability();
    expect(other).toEqual({
      ok: false,
      reason: "no WebGPU implementation: navigator.gpu is not present and the optional 'webgpu' package failed to load: its GPU object was created in this process "
        + "with Dawn flags ['enable-dawn-features=disable_robustness'], and this backend asks for ['enable-dawn-features=disable_workgroup_init', "
        + "'disable-dawn-features=timestamp_quantization']; Dawn allows one instance per process, so every WebGPU backend of a process must use the same dawnFlags",
    });
    expect(create).toHaveBeenCalledTimes(1);
  });
});

describe('registration', () => {
  it("registers 'webgpu' with priority 20; the listing carries a reason exactly when unavailable", async () => {
    expect(WEBGPU_BACKEND_NAME).toBe('webgpu');
    expect(WEBGPU_BACKEND_PRIORITY).toBe(20);
    const [entry] = (await listBackends()).filter((b) => b.name === 'webgpu');
    const a = await webgpuBackendFactory.availability();
    expect(entry).toEqual(a.ok ? { name: 'webgpu', priority: 20, available: true } : { name: 'webgpu', priority: 20, available: false, reason: a.reason });
    if (!a.ok) await expect(getBackend('webgpu')).rejects.toThrow(BackendError);
  });

  it('importing the package twice keeps one registration', async () => {
    vi.resetModules();
    const again = await import('./index.js');
    expect(again.webgpuBackendFactory).not.toBe(webgpuBackendFactory);
    const other = { availability: () => ({ ok: true as const }), create: (): Backend => { throw new Error('not used'); } };
    registerBackend('webgpu', other, 99); // the first registration wins
    const webgpu = (await listBackends()).filter((b) => b.name === 'webgpu');
    expect(webgpu).toHaveLength(1);
    expect(webgpu[0]).toMatchObject({ name: 'webgpu', priority: 20 });
  });
});

describe('Dawn flags', () => {
  it('withDawnFeatures adds features to the defaults\' enable list, once each, keeping the other flags', () => {
    expect(withDawnFeatures(['disable_robustness'])).toEqual(['enable-dawn-features=disable_workgroup_init,disable_robustness', 'disable-dawn-features=timestamp_quantization']);
    expect(withDawnFeatures(['disable_workgroup_init', 'dump_shaders'])).toEqual(['enable-dawn-features=disable_workgroup_init,dump_shaders', DEFAULT_DAWN_FLAGS[1]]);
    expect(withDawnFeatures(['dump_shaders'], ['disable-dawn-features=timestamp_quantization'])).toEqual(['disable-dawn-features=timestamp_quantization', 'enable-dawn-features=dump_shaders']);
    expect(DEFAULT_DAWN_FLAGS).toEqual(['enable-dawn-features=disable_workgroup_init', 'disable-dawn-features=timestamp_quantization']);
  });
});
