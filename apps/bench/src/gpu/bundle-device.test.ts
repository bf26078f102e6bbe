import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cudaBackendFactory } from '@symgrad/backend-cuda';

// The bundles a GPU session carries to its device (no Node packages there) must run from their
// own folder: built here without Dawn, then the CPU parts run, and the CUDA check says why it
// cannot run without a GPU. A broken bundle would otherwise cost device time to discover.
const app = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'symgrad-device-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// No NODE_PATH (vitest sets one into pnpm's store): the device resolves nothing outside the bundle.
const env: NodeJS.ProcessEnv = { ...process.env, SYMGRAD_DEVICE_DIR: dir };
delete env.NODE_PATH;
const node = (args: string[]) => spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 120_000 });

const gpu = (await cudaBackendFactory.availability()).ok;

describe('the device bundle', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(app, 'scripts', 'bundle-device.mjs'), '--no-dawn'], { env, stdio: 'pipe', timeout: 180_000 });
  }, 180_000);

  it('its benchmark and demo run from the bundle folder', () => {
    const bench = node([join(dir, 'bench', 'device-bench.mjs'), '--part', 'cpu', '--small', '--reps', '2']);
    expect(bench.status, bench.stderr).toBe(0);
    const rows = bench.stdout.trim().split('\n').map((l) => JSON.parse(l) as { item: string; us?: number; error?: string; kernels?: { us: number }[] });
    expect(rows.map((r) => r.item)).toEqual(['device', 'seed step fp32', 'seed step fp32 profile', 'sgemm 37×50×41 fp32', 'sgemm 37×50×41 Bᵀ fp32', 'sgemm 50×50×37 Aᵀ fp32', 'embedding step 101×7, 53 ids', 'LSTM step 3×4×2 → 5', 'transformer encoder step 3×5×8, 2 heads, ff 6', 'transformer decoder step 3×5×8 reading 4 memory steps, 2 heads, ff 6']);
    expect(rows.slice(1).every((r) => r.error === undefined && (r.us! > 0 || r.kernels!.length > 0))).toBe(true);
    // --seed-only: the seed step and the GEMMs, not the other steps (a tuning then times their shapes alone).
    const seedOnly = node([join(dir, 'bench', 'device-bench.mjs'), '--part', 'cpu', '--small', '--reps', '2', '--seed-only']);
    expect(seedOnly.status, seedOnly.stderr).toBe(0);
    expect(seedOnly.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { item: string }).item)).toEqual(rows.slice(0, 6).map((r) => r.item));

    const bad = node([join(dir, 'bench', 'device-bench.mjs'), '--part', 'tpu']);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('--part must be one of cuda, webgpu, webgpu-gemm, webgpu-tuned, tfjs-webgpu, webgpu-adapter, cpu, check (got tpu)');
    // The bundle here has no Dawn: the adapter part says so in its row.
    const adapter = node([join(dir, 'bench', 'device-bench.mjs'), '--part', 'webgpu-adapter']);
    expect(adapter.status, adapter.stderr).toBe(0);
    expect(JSON.parse(adapter.stdout.trim())).toEqual({ peer: 'webgpu adapter', item: 'adapter', error: expect.stringMatching(/^no WebGPU implementation: navigator\.gpu is not present and the optional 'webgpu' package /) });
    const misplaced = node([join(dir, 'bench', 'device-bench.mjs'), '--part', 'cpu', '--dawn-features', 'disable_robustness']);
    expect(misplaced.status).toBe(1);
    expect(misplaced.stdout).toContain('--dawn-features applies to the webgpu parts, not --part cpu');

    // The conformance part, on the cpu backend here; without Dawn the webgpu one says why in its row.
    const check = node([join(dir, 'bench', 'device-bench.mjs'), '--part', 'check', '--backend', 'cpu']);
    expect(check.status, check.stderr).toBe(0);
    const row = JSON.parse(check.stdout.trim()) as { item: string; passed: number; cases: number; failed: unknown[] };
    expect(row).toMatchObject({ item: 'conformance', failed: [] });
    expect(row.passed).toBe(row.cases);
    expect(row.cases).toBeGreaterThan(60);
    const webgpuCheck = node([join(dir, 'bench', 'device-bench.mjs'), '--part', 'check']);
    expect(JSON.parse(webgpuCheck.stdout.trim())).toEqual({ peer: 'symgrad webgpu', item: 'conformance', error: expect.stringMatching(/^backend 'webgpu' is not available: /) });

    const demo = node([join(dir, 'bench', 'demo.mjs'), '--backend', 'cpu', '--hidden', '16', '--samples', '30', '--epochs', '2']);
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/^cpu +\S/m);
  }, 120_000);

  it('its run.sh parses, lists the CUDA variants it runs, bounds itself by DEADLINE, sweeps no WebGPU config unless asked and tunes again with Dawn features', () => {
    const parsed = spawnSync('bash', ['-n', join(dir, 'run.sh')], { encoding: 'utf8' });
    expect(parsed.status, parsed.stderr).toBe(0);
    const script = readFileSync(join(dir, 'run.sh'), 'utf8');
    expect(script).toContain('SYMGRAD_CUDA_STREAMS=2 SYMGRAD_CUDA_STREAMS=1 SYMGRAD_CUDA_GEMM=cublas,SYMGRAD_CUDA_STREAMS=1');
    expect(script).toContain('DEADLINE=${DEADLINE:-540}');
    // webgpu-tuned times every candidate config per shape; a sweep is opt-in.
    expect(script).toContain('for cfg in ${MATMUL_CONFIGS:-}; do');
    expect(script).toContain('--part webgpu-tuned');
    expect(script).toContain('part webgpu-adapter 30 $B --part webgpu-adapter');
    expect(script).toContain('DAWN_FEATURES=${DAWN_FEATURES-disable_robustness}');
    expect(script).toContain('--part webgpu-tuned --reps 300 --dawn-features "$DAWN_FEATURES"');
  });

  // Where there is a GPU the check runs in full (minutes): that is the device session's job.
  it.skipIf(gpu)('its CUDA check says why it cannot run without a GPU', () => {
    const check = node([join(dir, 'cuda', 'check.mjs')]);
    expect(check.status, check.stdout + check.stderr).toBe(3);
    expect(check.stdout).toMatch(/^no usable GPU: .+/m);
    // Its CPU reference finds the native addon beside the bundle (the TypeScript path would take minutes there).
    expect(check.stdout).toContain('cpu backend (the reference): native');
  });
});
