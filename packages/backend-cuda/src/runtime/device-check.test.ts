import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeCudaWorkspace, runWithFakeCuda } from '../testing-fixtures/fake-cuda.js';

// A dress rehearsal of the device check: the bundle a GPU session carries (device-check/
// bundle.mjs), run with --small over the fake CUDA userspace, with the defaults and with the
// opt-in paths as .device/run.sh runs them. A check that fails here would cost device time.
const { scratch, libDir, reason } = fakeCudaWorkspace('check-');
const pkg = join(scratch, '..', '..');

describe.skipIf(!libDir)(`the bundled device check over the fake CUDA userspace${libDir ? '' : ` (skipped: ${reason})`}`, () => {
  const device = join(scratch, 'device');
  const cache = join(scratch, 'cubin-cache');
  const bundle = () => execFileSync(process.execPath, [join(pkg, 'device-check', 'bundle.mjs')], { env: { ...process.env, SYMGRAD_DEVICE_DIR: device }, stdio: 'pipe' });

  for (const env of [{}, { SYMGRAD_CUDA_GEMM: 'cublas', SYMGRAD_CUDA_STREAMS: '1' }] as Record<string, string>[]) {
    const what = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ') || 'default settings';
    it(`passes every case (${what})`, { timeout: 300_000 }, async () => {
      bundle();
      const r = await runWithFakeCuda(libDir!, join(device, 'cuda', 'check.mjs'), { ...env, SYMGRAD_CUDA_ADDON: join(device, 'cuda', 'symgrad_cuda.node'), SYMGRAD_CACHE_DIR: cache }, 300_000, ['--small']);
      const table = r.stdout.slice(r.stdout.lastIndexOf('| check | result | detail |'));
      expect(r.code, `${table}\n${r.stderr.slice(-2000)}`).toBe(0);
      expect(table).toMatch(/^\| (\d+)\/\1 cases \| ok \| - \|$/m);
      expect(r.stdout).toContain(`device: Fake CUDA device`);
      expect(r.stdout).toMatch(/^ok {3}30 steps: device memory growth: /m);
      expect(r.stdout).toMatch(/^ok {3}seed-step tf32 vs cpu float64, same relu masks/m);
      for (const head of ['loss and gradient', 'softmax', 'log-softmax']) expect(r.stdout).toMatch(new RegExp(`^ok {3}classifier head 37×130×10: ${head} inside the product: rel err`, 'm'));
      for (const precision of ['fp32', 'tf32']) expect(r.stdout).toMatch(new RegExp(`^ok {3}seed-step profile ${precision}: device clock, 16 kernels, .*, timing: graph$`, 'm'));
      // Which timing path gave the table is printed right after it.
      expect(r.stdout.match(/^timing: graph \(event record nodes inside one graph launch per call: no host gaps\)$/gm)).toHaveLength(2);
      expect(r.stdout).toMatch(/^seed step per kernel, fp32, SYMGRAD_CUDA_GEMM=\S+ SYMGRAD_CUDA_STREAMS=\S+, mean of 2 calls:\nkernel +label +ms\/call +share$/m);
      expect(r.stdout).toContain("times from the device's clock");
    });
  }
});
