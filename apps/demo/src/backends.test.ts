import { describe, expect, it } from 'vitest';
import { UsageError } from './args.js';
import { backendStatuses, selectBackends, type BackendStatus } from './backends.js';

const statuses: BackendStatus[] = [
  { name: 'cpu', pkg: '@symgrad/backend-cpu', installed: true, available: true, device: 'TypeScript', precisions: ['fp32'] },
  { name: 'webgpu', pkg: '@symgrad/backend-webgpu', installed: true, available: false, reason: 'kernels not implemented' },
  { name: 'cuda', pkg: '@symgrad/backend-cuda', installed: true, available: false, reason: 'kernels not implemented' },
  { name: 'gpujs', pkg: '@symgrad/backend-gpujs', installed: false, available: false, reason: 'not installed: … install it with: pnpm --filter @symgrad/demo add @symgrad/backend-gpujs' },
];

describe('backendStatuses', () => {
  it('imports each package and reports the missing one with how to install it', async () => {
    const s = await backendStatuses(async (pkg) => {
      if (pkg === '@symgrad/backend-gpujs') throw new Error(`Cannot find package '${pkg}' imported from /x`);
      return import(/* @vite-ignore */ pkg);
    });
    expect(s.map((b) => [b.name, b.installed])).toEqual([['cpu', true], ['webgpu', true], ['cuda', true], ['gpujs', false]]);
    expect(s[0]!.available).toBe(true);
    expect(s[0]!.device).toBeTruthy();
    expect(s[0]!.precisions).toContain('fp32');
    for (const b of s) expect(b.available ? b.device : b.reason).toBeTruthy();
    expect(s[3]!.reason).toBe('not installed: the package @symgrad/backend-gpujs is not a dependency of the demo; install it with: pnpm --filter @symgrad/demo add @symgrad/backend-gpujs');
  });

  it('says when an installed package fails to load', async () => {
    const s = await backendStatuses(async (pkg) => {
      if (pkg === '@symgrad/backend-gpujs') throw new Error('gpu.js: GLIBCXX_3.4.32 not found');
      return import(/* @vite-ignore */ pkg);
    });
    expect(s[3]!.reason).toBe('installed but failed to load: @symgrad/backend-gpujs: gpu.js: GLIBCXX_3.4.32 not found');
  });
});

describe('selectBackends', () => {
  it("runs every available backend for 'all' and lists the rest", () => {
    const { run, skipped } = selectBackends(statuses, 'all');
    expect(run.map((b) => b.name)).toEqual(['cpu']);
    expect(skipped.map((b) => b.name)).toEqual(['webgpu', 'cuda', 'gpujs']);
  });

  it('keeps the chosen order and skips an unavailable chosen backend with its reason', () => {
    const { run, skipped } = selectBackends(statuses, ['cuda', 'cpu']);
    expect(run.map((b) => b.name)).toEqual(['cpu']);
    expect(skipped).toEqual([statuses[2]]);
  });

  it("leaves a CPU-emulated gpu.js out of 'all' with the reason, and runs it when named", () => {
    const emu: BackendStatus[] = [...statuses.slice(0, 3), { name: 'gpujs', pkg: '@symgrad/backend-gpujs', installed: true, available: true, device: 'gpu.js (webasm)', precisions: ['fp32'] }];
    const all = selectBackends(emu, 'all');
    expect(all.run.map((b) => b.name)).toEqual(['cpu']);
    expect(all.skipped.find((b) => b.name === 'gpujs')!.reason).toBe('runs as gpu.js (webasm) here, a CPU emulation without WebGL; pass --backend gpujs to run it anyway');
    expect(selectBackends(emu, ['gpujs']).run.map((b) => b.name)).toEqual(['gpujs']);
  });

  it('refuses a chosen backend that is not installed, saying how to install it', () => {
    expect(() => selectBackends(statuses, ['cpu', 'gpujs'])).toThrow(UsageError);
    expect(() => selectBackends(statuses, ['gpujs'])).toThrow("backend 'gpujs' is not installed: … install it with: pnpm --filter @symgrad/demo add @symgrad/backend-gpujs");
  });
});
