import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheDir, cacheKey, CubinCache, decodeEntry, encodeEntry } from './cache.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'symgrad-cuda-cache-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const key = cacheKey({ source: 'extern "C" __global__ void k0() {}', arch: 'sm_90', nvrtcVersion: '13.0', driverVersion: '13.0' });

describe('cubin cache', () => {
  it('resolves its folder from SYMGRAD_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(cacheDir({ SYMGRAD_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }, '/h')).toBe('/c/cuda');
    expect(cacheDir({ XDG_CACHE_HOME: '/x' }, '/h')).toBe('/x/symgrad/cuda');
    expect(cacheDir({}, '/h')).toBe('/h/.cache/symgrad/cuda');
  });

  it('keys on source, arch, NVRTC and driver versions', () => {
    const base = { source: 's', arch: 'sm_90', nvrtcVersion: '13.0', driverVersion: '13.0' };
    const keys = new Set([base, { ...base, source: 't' }, { ...base, arch: 'sm_80' }, { ...base, nvrtcVersion: '12.4' }, { ...base, driverVersion: '12.8' }].map(cacheKey));
    expect(keys.size).toBe(5);
    expect(cacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
    // Parts are length-prefixed: moving a boundary changes the key.
    expect(cacheKey({ ...base, arch: 'sm_9', nvrtcVersion: '013.0' })).not.toBe(cacheKey(base));
  });

  it('round-trips, and rejects (and removes) corrupted or truncated entries', () => {
    const c = new CubinCache(tmp());
    expect(c.get(key)).toBeUndefined();
    const cubin = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(c.put(key, cubin)).toBe(true);
    expect([...c.get(key)!]).toEqual([...cubin]);
    const file = join(c.dir, `${key}.cubin`);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff; // flip a payload bit
    writeFileSync(file, bytes);
    expect(c.get(key)).toBeUndefined();
    expect(readdirSync(c.dir)).toEqual([]);
    writeFileSync(file, encodeEntry(cubin).subarray(0, 20)); // truncated
    expect(c.get(key)).toBeUndefined();
    writeFileSync(file, 'not a cubin at all, but long enough to hold a header of 40 bytes');
    expect(c.get(key)).toBeUndefined();
    expect(decodeEntry(encodeEntry(new Uint8Array(0)))?.length).toBe(0);
  });

  it('compiles on a miss only', () => {
    const c = new CubinCache(tmp());
    let compiles = 0;
    const compile = () => (compiles++, new Uint8Array([9, 9]));
    expect(c.getOrCompile(key, compile).hit).toBe(false);
    expect(c.getOrCompile(key, compile).hit).toBe(true);
    expect(compiles).toBe(1);
  });

  it('rejects keys that are not hashes (no path tricks)', () => {
    const c = new CubinCache(tmp());
    expect(() => c.get('../../etc/passwd')).toThrow("cuda cache: bad key '../../etc/passwd': expected 64 lowercase hex digits (a SHA-256)");
    expect(() => c.get('A'.repeat(64))).toThrow(`cuda cache: bad key '${'A'.repeat(64)}'`);
  });

  it('concurrent writers of one key leave one valid entry and no temp files', async () => {
    const dir = tmp();
    // Real processes, running this module (bundled to plain JS for plain node).
    const bundle = join(dir, 'cache.mjs');
    buildSync({ entryPoints: [join(import.meta.dirname, 'cache.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent' });
    const script = `
      const { CubinCache } = await import(${JSON.stringify(bundle)});
      const c = new CubinCache(${JSON.stringify(join(dir, 'entries'))});
      const id = Number(process.argv[1]);
      const payload = new Uint8Array(1 << 20).fill(id);
      for (let i = 0; i < 20; i++) {
        c.put(${JSON.stringify(key)}, payload);
        const got = c.get(${JSON.stringify(key)});
        if (!got || got.length !== payload.length || !got.every((b) => b === got[0])) { console.error('torn read'); process.exit(3); }
      }
    `;
    const codes = await Promise.all([1, 2, 3, 4].map((id) => new Promise<number>((resolve) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script, String(id)], { stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('exit', (code) => resolve(code ?? 1));
    })));
    expect(codes).toEqual([0, 0, 0, 0]);
    const files = readdirSync(join(dir, 'entries'));
    expect(files).toEqual([`${key}.cubin`]);
    const got = new CubinCache(join(dir, 'entries')).get(key)!;
    expect(got.length).toBe(1 << 20);
    expect([1, 2, 3, 4]).toContain(got[0]);
  }, 60_000);
});
