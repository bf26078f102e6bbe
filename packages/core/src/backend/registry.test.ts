import { afterEach, describe, expect, it } from 'vitest';
import { fn, getBackend, getBackendIfReady, listBackends, registerBackend, setBackend, skippedBackends, T, unregisterBackend, currentBackendName } from '../index.js';
import { ReferenceBackend } from '../testing/reference-backend.js';

const names = ['low', 'high', 'broken', 'other'];
afterEach(() => names.forEach(unregisterBackend));

const ok = (name: string) => ({ availability: () => ({ ok: true as const }), create: () => new ReferenceBackend(name) });

describe('backend registry', () => {
  it('lists backends by priority with availability and reasons', async () => {
    registerBackend('low', ok('low'), 1);
    registerBackend('high', ok('high'), 100);
    registerBackend('broken', { availability: async () => ({ ok: false, reason: 'no driver: install libfoo' }), create: () => { throw new Error('unreachable'); } }, 200);
    const list = (await listBackends()).filter((b) => names.includes(b.name));
    expect(list).toEqual([
      { name: 'broken', priority: 200, available: false, reason: 'no driver: install libfoo' },
      { name: 'high', priority: 100, available: true },
      { name: 'low', priority: 1, available: true },
    ]);
  });

  it('registration is idempotent: the first one stays', async () => {
    registerBackend('low', ok('low'), 1);
    registerBackend('low', ok('impostor'), 1000);
    expect((await getBackend('low')).name).toBe('low');
  });

  it('explicit choice, strict about availability', async () => {
    registerBackend('broken', { availability: () => ({ ok: false, reason: 'no adapter' }), create: () => new ReferenceBackend('broken') }, 200);
    registerBackend('low', ok('low'), 1);
    setBackend('low');
    expect(currentBackendName()).toBe('low');
    expect((await getBackend()).name).toBe('low');
    setBackend('broken');
    await expect(getBackend()).rejects.toThrow("backend 'broken' is unavailable: no adapter");
  });

  it('per-function override, and a function stays on its backend', async () => {
    registerBackend('low', ok('low'), 1);
    registerBackend('other', ok('other'), 2);
    setBackend('low');
    const x = T.vector('x');
    const f = fn([x], x.add(1), { backend: 'other' });
    await f([1]);
    expect(f.backendName).toBe('other');
    const g = fn([x], x.add(1));
    await g([1]);
    expect(g.backendName).toBe('low');
  });

  it('a function stays on the backend of its first call, even when the default changes during that call', async () => {
    registerBackend('low', ok('low'), 1);
    registerBackend('other', ok('other'), 2);
    setBackend('low');
    const x = T.vector('x');
    const f = fn([x], x.add(1));
    const first = f([1]);
    setBackend('other');
    const second = f([1]);
    expect((await first).toArray()).toEqual([2]);
    await expect(second).rejects.toThrow("fn: this function runs on backend 'low'; compile another function for 'other'");
  });

  it('getBackendIfReady reports an unavailable backend with its reason', () => {
    registerBackend('broken', { availability: () => ({ ok: false, reason: 'no adapter' }), create: () => new ReferenceBackend('broken') }, 200);
    expect(() => getBackendIfReady('broken')).toThrow("backend 'broken' is unavailable: no adapter");
    expect(() => getBackendIfReady('broken')).toThrow("backend 'broken' is unavailable: no adapter");
    expect(() => getBackendIfReady('tpu')).toThrow(/^unknown backend 'tpu': registered backends are .*'broken'/);
  });

  it('with nothing registered, says to import a backend package', async () => {
    expect((await listBackends()).map((b) => b.name)).toEqual([]);
    setBackend('auto');
    await expect(getBackend()).rejects.toThrow('no backend is available: none is registered (import a backend package, e.g. @symgrad/backend-cpu)');
    expect(() => setBackend('cpu')).toThrow("unknown backend 'cpu': registered backends are none (import a backend package, e.g. @symgrad/backend-cpu)");
  });

  it("'auto' with every backend unavailable gives each one's reason", async () => {
    registerBackend('broken', { availability: () => ({ ok: false, reason: 'needs a GPU' }), create: () => new ReferenceBackend('broken') }, 2);
    registerBackend('other', { availability: async () => { throw new Error('driver crashed'); }, create: () => new ReferenceBackend('other') }, 1);
    expect((await listBackends()).map((b) => b.name)).toEqual(['broken', 'other']);
    setBackend('auto');
    await expect(getBackend()).rejects.toThrow('no backend is available: broken: needs a GPU; other: availability check failed: driver crashed');
  });

  it('unknown backends list the known ones', () => {
    registerBackend('low', ok('low'), 1);
    expect(() => setBackend('tpu')).toThrow(/^unknown backend 'tpu': registered backends are .*'low'/);
  });

  it("'auto' skips unavailable backends and records why", async () => {
    // Other tests in this process may have chosen a backend; auto applies when none is chosen.
    registerBackend('broken', { availability: () => ({ ok: false, reason: 'needs a GPU' }), create: () => new ReferenceBackend('x') }, 1e9);
    registerBackend('high', ok('high'), 1e8);
    setBackend('auto');
    expect((await getBackend()).name).toBe('high');
    expect(currentBackendName()).toBe('high');
    expect(skippedBackends()).toEqual([{ name: 'broken', reason: 'needs a GPU' }]);
    setBackend('auto');
  });
});
