import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The on-disk cubin cache. A key hashes the CUDA source with everything that changes the
 * binary (target arch, NVRTC version, driver version); an entry is
 * `SGCUBIN1` + sha256(payload) + payload, verified before use (a corrupted or truncated entry
 * is removed and treated as a miss), and written atomically (a private temp file, then
 * rename), so concurrent writers never leave a torn entry and readers never see one.
 */

const MAGIC = Buffer.from('SGCUBIN1');
const HASH_BYTES = 32;

/** `$SYMGRAD_CACHE_DIR`, else `$XDG_CACHE_HOME/symgrad`, else `~/.cache/symgrad`; cubins go in its `cuda/`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const base = env.SYMGRAD_CACHE_DIR || join(env.XDG_CACHE_HOME || join(home, '.cache'), 'symgrad');
  return join(base, 'cuda');
}

export interface CacheKeyParts {
  readonly source: string;
  readonly arch: string;
  readonly nvrtcVersion: string;
  readonly driverVersion: string;
}

/** A hex sha256 over the parts (file-name safe). */
export function cacheKey(p: CacheKeyParts): string {
  const h = createHash('sha256');
  for (const part of ['symgrad-cuda-1', p.arch, p.nvrtcVersion, p.driverVersion, p.source]) h.update(`${part.length}:${part}`);
  return h.digest('hex');
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

export function encodeEntry(payload: Uint8Array): Buffer {
  return Buffer.concat([MAGIC, sha256(payload), payload]);
}

/** The payload of a well-formed entry, or undefined. */
export function decodeEntry(file: Buffer): Buffer | undefined {
  if (file.length < MAGIC.length + HASH_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const hash = file.subarray(MAGIC.length, MAGIC.length + HASH_BYTES);
  const payload = file.subarray(MAGIC.length + HASH_BYTES);
  return sha256(payload).equals(hash) ? payload : undefined;
}

export class CubinCache {
  constructor(readonly dir: string = cacheDir()) {}

  private file(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`cuda cache: bad key '${key}': expected 64 lowercase hex digits (a SHA-256)`);
    return join(this.dir, `${key}.cubin`);
  }

  /** The cached cubin, or undefined (missing, unreadable or corrupted: a bad entry is removed). */
  get(key: string): Buffer | undefined {
    const file = this.file(key);
    let raw: Buffer;
    try {
      raw = readFileSync(file);
    } catch {
      return undefined;
    }
    const payload = decodeEntry(raw);
    if (!payload) rmSync(file, { force: true });
    return payload;
  }

  /** Stores a cubin; failures (read-only disk, quota) are ignored: the cache is an optimization. */
  put(key: string, cubin: Uint8Array): boolean {
    const file = this.file(key);
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, encodeEntry(cubin), { flag: 'wx' });
      renameSync(tmp, file);
      return true;
    } catch {
      rmSync(tmp, { force: true });
      return false;
    }
  }

  /** The cached cubin for `key`, compiling and storing it on a miss. */
  getOrCompile(key: string, compile: () => Uint8Array): { cubin: Uint8Array; hit: boolean } {
    const hit = this.get(key);
    if (hit) return { cubin: hit, hit: true };
    const cubin = compile();
    this.put(key, cubin);
    return { cubin, hit: false };
  }
}
