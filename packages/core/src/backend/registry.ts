import type { Availability, Backend, BackendFactory } from './backend.js';

interface Entry {
  readonly name: string;
  readonly factory: BackendFactory;
  readonly priority: number;
  instance?: Backend;
  pending?: Promise<Backend>;
  availability?: Availability;
}

interface RegistryState {
  entries: Map<string, Entry>;
  current: string | undefined;
  /** Why backends were skipped when 'auto' picked the current one. */
  skipped: { name: string; reason: string }[];
}

// One registry per process, even when a bundle holds two copies of core.
const KEY = Symbol.for('symgrad.backendRegistry');
const g = globalThis as unknown as { [KEY]?: RegistryState };
const state: RegistryState = (g[KEY] ??= { entries: new Map(), current: undefined, skipped: [] });

/**
 * A backend could not be found or started, or cannot run a function; the message gives
 * the reason (e.g. the backend's availability check).
 *
 * @example
 * ```ts
 * try {
 *   await getBackend('webgpu');
 * } catch (e) {
 *   if (e instanceof BackendError) console.warn(e.message); // e.g. "unknown backend 'webgpu': registered backends are 'cpu'"
 * }
 * ```
 */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

/**
 * Registers a backend under a name. Idempotent: registering the same name again keeps the
 * first registration (importing a backend package twice is not an error). Higher priority
 * wins when no backend is chosen explicitly.
 *
 * @example
 * ```ts
 * registerBackend('cpu', { availability: () => ({ ok: true }), create: () => new CpuBackend() }, 1);
 * ```
 */
export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
  if (state.entries.has(name)) return;
  state.entries.set(name, { name, factory, priority });
}

/**
 * Removes a backend (tests); disposes a created instance, so a test can register a fake
 * backend without leaking it into the next.
 *
 * @example
 * ```ts
 * afterEach(() => unregisterBackend('fake'));
 * ```
 */
export function unregisterBackend(name: string): void {
  const e = state.entries.get(name);
  e?.instance?.dispose?.();
  state.entries.delete(name);
  if (state.current === name) state.current = undefined;
}

function knownNames(): string {
  const names = [...state.entries.keys()];
  return names.length ? names.map((n) => `'${n}'`).join(', ') : 'none (import a backend package, e.g. @symgrad/backend-cpu)';
}

function entryOrThrow(name: string): Entry {
  const e = state.entries.get(name);
  if (!e) throw new BackendError(`unknown backend '${name}': registered backends are ${knownNames()}`);
  return e;
}

async function availabilityOf(e: Entry): Promise<Availability> {
  if (!e.availability) {
    try {
      e.availability = await e.factory.availability();
    } catch (err) {
      e.availability = { ok: false, reason: `availability check failed: ${(err as Error).message}` };
    }
  }
  return e.availability;
}

/**
 * Chooses the default backend (strict: using it throws with the reason when it is
 * unavailable; nothing falls back silently). Without a choice, the best available backend
 * by priority is picked ('auto') and `skippedBackends()` says why others were passed over.
 *
 * @example
 * ```ts
 * setBackend('cpu');
 * ```
 */
export function setBackend(name: string | 'auto'): void {
  if (name === 'auto') {
    state.current = undefined;
    state.skipped = [];
    return;
  }
  entryOrThrow(name);
  state.current = name;
  state.skipped = [];
}

/**
 * The chosen default backend's name, if one was chosen or picked ('auto' picks on the
 * first `getBackend()` or `ready()`).
 *
 * @example
 * ```ts
 * await ready();
 * console.log(`running on ${currentBackendName()}`); // e.g. 'running on cpu'
 * ```
 */
export function currentBackendName(): string | undefined {
  return state.current;
}

/**
 * Every registered backend with its priority and availability (the reason when
 * unavailable), highest priority first: what a user checks when a GPU backend is not used.
 *
 * @example
 * ```ts
 * for (const b of await listBackends()) console.log(b.name, b.available ? 'available' : b.reason);
 * ```
 */
export async function listBackends(): Promise<{ name: string; priority: number; available: boolean; reason?: string }[]> {
  const out = [];
  for (const e of [...state.entries.values()].sort((a, b) => b.priority - a.priority)) {
    const a = await availabilityOf(e);
    out.push(a.ok ? { name: e.name, priority: e.priority, available: true } : { name: e.name, priority: e.priority, available: false, reason: a.reason });
  }
  return out;
}

/**
 * Why 'auto' skipped backends of higher priority when it picked the current one.
 *
 * @example
 * ```ts
 * await ready();
 * for (const s of skippedBackends()) console.warn(`${s.name} skipped: ${s.reason}`);
 * ```
 */
export function skippedBackends(): readonly { name: string; reason: string }[] {
  return state.skipped;
}

async function pickAuto(): Promise<string> {
  const skipped: { name: string; reason: string }[] = [];
  for (const e of [...state.entries.values()].sort((a, b) => b.priority - a.priority)) {
    const a = await availabilityOf(e);
    if (a.ok) {
      state.skipped = skipped;
      return e.name;
    }
    skipped.push({ name: e.name, reason: a.reason });
  }
  const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new BackendError(`no backend is available: ${state.entries.size ? why : 'none is registered (import a backend package, e.g. @symgrad/backend-cpu)'}`);
}

/**
 * The backend by name (or the default), created and initialized. Throws with the reason
 * when it is unavailable: a function never silently runs on another backend.
 *
 * @example
 * ```ts
 * const cpu = await getBackend('cpu');
 * ```
 */
export async function getBackend(name?: string): Promise<Backend> {
  const chosen = name ?? state.current ?? (state.current = await pickAuto());
  const e = entryOrThrow(chosen);
  if (e.instance) return e.instance;
  const a = await availabilityOf(e);
  if (!a.ok) throw new BackendError(`backend '${chosen}' is unavailable: ${a.reason}`);
  e.pending ??= Promise.resolve(e.factory.create()).then((b) => (e.instance = b));
  return e.pending;
}

/**
 * Initializes the default backend (or the named one), so synchronous calls such as
 * `f.enqueue` and `f.sync` can use it.
 *
 * @example
 * ```ts
 * await ready();
 * const out = f.enqueue(X); // a DeviceArray, without waiting for the device
 * ```
 */
export async function ready(name?: string): Promise<Backend> {
  return getBackend(name);
}

/**
 * The backend if it is already created, else undefined. Creates backends whose factory is
 * synchronous and available without a check (such as the CPU backend) on first use.
 * For code that cannot await.
 *
 * @example
 * ```ts
 * const canSync = getBackendIfReady()?.capabilities.syncRead ?? false;
 * ```
 */
export function getBackendIfReady(name?: string): Backend | undefined {
  const chosen = name ?? state.current;
  if (chosen === undefined) return undefined;
  const e = state.entries.get(chosen);
  if (!e) throw new BackendError(`unknown backend '${chosen}': registered backends are ${knownNames()}`);
  if (e.instance) return e.instance;
  if (e.availability && !e.availability.ok) throw new BackendError(`backend '${chosen}' is unavailable: ${e.availability.reason}`);
  const a = e.factory.availability();
  if (a instanceof Promise) return undefined;
  e.availability = a;
  if (!a.ok) throw new BackendError(`backend '${chosen}' is unavailable: ${a.reason}`);
  const b = e.factory.create();
  if (b instanceof Promise) {
    e.pending ??= b.then((x) => (e.instance = x));
    return undefined;
  }
  e.instance = b;
  return b;
}
