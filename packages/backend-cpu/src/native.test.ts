import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fn, T } from '@symgrad/core';
import { CpuBackend } from './backend.js';
import { OPCODES } from './codegen/bytecode.js';
import { describeNative, loadNativeCpu, nativeCpuStatus } from './native.js';
import { registerTestCpuBackends } from './testing-fixtures/backends.js';

const status = nativeCpuStatus();

type Loader = (module: { exports: unknown }, file: string) => void;

/**
 * Runs `f` with a package root whose build/Release holds a `.node` file that loads as `fake`
 * (Node's `.node` loader is swapped for that one path), as a stale build of the addon would.
 */
async function withFakeAddon(fake: Record<string, unknown>, f: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'symgrad-fake-addon-'));
  mkdirSync(join(root, 'build', 'Release'), { recursive: true });
  writeFileSync(join(root, 'build', 'Release', 'symgrad_cpu.node'), '');
  const extensions = (createRequire(import.meta.url)('node:module') as { _extensions: Record<string, Loader> })._extensions;
  const real = extensions['.node']!;
  extensions['.node'] = (m, file) => (file.startsWith(root) ? void (m.exports = fake) : real(m, file));
  try {
    await f(root);
  } finally {
    extensions['.node'] = real;
    rmSync(root, { recursive: true, force: true });
  }
}

const ADDON_FUNCTIONS = [
  'gemm', 'packedBSize', 'isa', 'setIsa', 'numThreads', 'setNumThreads', 'elementwise', 'reduce', 'softmaxCrossEntropy', 'softmax', 'gather', 'oneHot', 'take', 'scatterAdd', 'random', 'bytecodeOps',
];
const fakeAddon = (ops: readonly string[], without: readonly string[] = []) =>
  Object.fromEntries(ADDON_FUNCTIONS.filter((f) => !without.includes(f)).map((f) => [f, f === 'isa' ? () => 'generic' : f === 'bytecodeOps' ? () => [...ops] : () => undefined]));

describe('the native addon loader', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it.skipIf(!status.ok)('loads the addon and names its path, ISA and threads in the device string', () => {
    if (!status.ok) return;
    const isa = status.addon.isa();
    expect(['avx512', 'avx2', 'generic']).toContain(isa);
    expect(describeNative(status.addon)).toMatch(/^native (avx512|avx2|generic), \d+ threads?$/);
    expect(new CpuBackend().capabilities.device).toBe(describeNative(status.addon));
    expect(new CpuBackend({ native: false }).capabilities.device).toBe('TypeScript (JavaScript engine)');
  });

  it.skipIf(!status.ok)('loads an addon whose bytecode opcodes are those of src/codegen/bytecode.ts', () => {
    if (!status.ok) return;
    expect(status.addon.bytecodeOps()).toEqual([...OPCODES]);
  });

  it('reports why an addon cannot be found, without throwing', async () => {
    vi.stubEnv('SYMGRAD_CPU_NATIVE', '');
    const s = await loadNativeCpu('/nonexistent-symgrad-root/');
    expect(s.ok).toBe(false);
    if (!s.ok) {
      expect(s.disabled).toBe(false);
      expect(s.reason).not.toContain('\n');
    }
  });

  it('reports a stale addon (missing functions, other bytecode opcodes) as the reason, without throwing', async () => {
    vi.stubEnv('SYMGRAD_CPU_NATIVE', '');
    await withFakeAddon(fakeAddon(OPCODES, ['random', 'bytecodeOps']), async (root) => {
      expect(await loadNativeCpu(root)).toEqual({ ok: false, reason: 'the addon lacks random, bytecodeOps', disabled: false });
    });
    const older = OPCODES.slice(0, -1);
    await withFakeAddon(fakeAddon(older), async (root) => {
      expect(await loadNativeCpu(root)).toEqual({
        ok: false, reason: `the addon's bytecode opcodes (${older.join(', ')}) differ from src/codegen/bytecode.ts`, disabled: false,
      });
    });
    await withFakeAddon(fakeAddon(OPCODES), async (root) => {
      expect((await loadNativeCpu(root)).ok).toBe(true);
    });
  });

  it('SYMGRAD_CPU_NATIVE=0 forces the TypeScript path, silently, and it computes', async () => {
    vi.stubEnv('SYMGRAD_CPU_NATIVE', '0');
    const warn = vi.spyOn(console, 'warn');
    const native = await import('./native.js');
    expect(native.nativeCpuStatus()).toEqual({ ok: false, reason: 'SYMGRAD_CPU_NATIVE=0', disabled: true });
    expect(native.nativeCpuAddon()).toBeUndefined();
    const { CpuBackend: Fresh } = await import('./backend.js');
    const cpu = new Fresh();
    expect(cpu.capabilities.device).toBe('TypeScript (JavaScript engine)');
    expect(() => new Fresh({ native: true })).toThrow('the native kernels were asked for but are unavailable');
    expect(warn).not.toHaveBeenCalled();
  });

  it('the fallback (TypeScript) backend runs a matmul program under fn', async () => {
    registerTestCpuBackends();
    const x = T.matrix('x');
    const f = fn([x], T.dot(x, x.T), { backend: 'cpu-ts' });
    expect((await f([[1, 2], [3, 4]])).toArray()).toEqual([[5, 11], [11, 25]]);
    f.dispose();
  });
});
