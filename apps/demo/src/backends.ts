/**
 * Which backend packages the demo knows, loading them, and each backend's status. Node only
 * (backend packages are imported by name at run time, so one that is not installed is
 * reported with how to install it instead of failing the build).
 */
import { getBackend, listBackends } from '@symgrad/core';
import { KNOWN_BACKENDS, UsageError, type BackendName } from './args.js';

export interface BackendPackage {
  readonly name: BackendName;
  readonly pkg: string;
  /** What it runs on. */
  readonly about: string;
}

export const BACKEND_PACKAGES: readonly BackendPackage[] = [
  { name: 'cpu', pkg: '@symgrad/backend-cpu', about: 'TypeScript kernels (native addon where it loads)' },
  { name: 'webgpu', pkg: '@symgrad/backend-webgpu', about: "WGSL kernels: navigator.gpu in browsers, the 'webgpu' package (Dawn) in Node" },
  { name: 'cuda', pkg: '@symgrad/backend-cuda', about: 'CUDA driver, NVRTC and cuBLAS loaded at run time' },
  { name: 'gpujs', pkg: '@symgrad/backend-gpujs', about: 'gpu.js kernels (WebGL2 in browsers)' },
];

/** The command that installs a backend package for the demo. */
export const installHint = (p: BackendPackage): string => `pnpm --filter @symgrad/demo add ${p.pkg}`;

export interface BackendStatus {
  readonly name: BackendName;
  readonly pkg: string;
  readonly installed: boolean;
  readonly available: boolean;
  /** Why it cannot run here (absent when available). */
  readonly reason?: string;
  /** Device name, where the backend could be created. */
  readonly device?: string;
  readonly precisions?: readonly string[];
  readonly priority?: number;
}

/** Imports a backend package by name; resolves to the import error when it is missing. */
export type Importer = (pkg: string) => Promise<unknown>;
const defaultImporter: Importer = (pkg) => import(pkg);

function isMissing(err: unknown, pkg: string): boolean {
  const m = err instanceof Error ? err.message : String(err);
  return m.includes(`'${pkg}'`) && /Cannot find (package|module)|Failed to resolve/.test(m);
}

/** Imports every known backend package (registering its backend) and reports each one's status. */
export async function backendStatuses(importer: Importer = defaultImporter): Promise<BackendStatus[]> {
  const loadErrors = new Map<BackendName, string>();
  for (const p of BACKEND_PACKAGES) {
    try {
      await importer(p.pkg);
    } catch (err) {
      loadErrors.set(p.name, isMissing(err, p.pkg)
        ? `not installed: the package ${p.pkg} is not a dependency of the demo; install it with: ${installHint(p)}`
        : `installed but failed to load: ${p.pkg}: ${(err as Error).message}`);
    }
  }
  const registered = new Map((await listBackends()).map((b) => [b.name, b]));
  const out: BackendStatus[] = [];
  for (const p of BACKEND_PACKAGES) {
    const loadError = loadErrors.get(p.name);
    const reg = registered.get(p.name);
    if (loadError !== undefined || !reg) {
      out.push({ name: p.name, pkg: p.pkg, installed: false, available: false, reason: loadError ?? `${p.pkg} did not register a backend named '${p.name}'` });
      continue;
    }
    if (!reg.available) {
      out.push({ name: p.name, pkg: p.pkg, installed: true, available: false, reason: reg.reason ?? 'unavailable', priority: reg.priority });
      continue;
    }
    try {
      const b = await getBackend(p.name);
      out.push({ name: p.name, pkg: p.pkg, installed: true, available: true, device: b.capabilities.device, precisions: b.capabilities.precisions, priority: reg.priority });
    } catch (err) {
      out.push({ name: p.name, pkg: p.pkg, installed: true, available: false, reason: (err as Error).message, priority: reg.priority });
    }
  }
  return out;
}

/**
 * The backends to run for a selection: every available one for 'all'; for named ones, a
 * UsageError when one is not installed (saying how to install it). Unavailable named
 * backends are returned as skipped, with their reason.
 */
export function selectBackends(statuses: readonly BackendStatus[], selection: readonly BackendName[] | 'all'): { run: BackendStatus[]; skipped: BackendStatus[] } {
  const names = selection === 'all' ? [...KNOWN_BACKENDS] : selection;
  const chosen = names.map((n) => statuses.find((s) => s.name === n)!);
  if (selection !== 'all') {
    const missing = chosen.filter((s) => !s.installed);
    if (missing.length) {
      const lines = missing.map((s) => `backend '${s.name}' is ${s.reason}`);
      throw new UsageError(lines.join('\n'));
    }
  }
  // With 'all', a backend that only emulates a GPU on the CPU (gpu.js without WebGL) is
  // listed with the reason instead of running: it would take minutes and show nothing a GPU does.
  const emulated = (s: BackendStatus) => selection === 'all' && s.available && isCpuEmulation(s);
  return {
    run: chosen.filter((s) => s.available && !emulated(s)),
    skipped: chosen.filter((s) => !s.available || emulated(s)).map((s) => (emulated(s) ? { ...s, available: false, reason: `runs as ${s.device} here, a CPU emulation without WebGL; pass --backend ${s.name} to run it anyway` } : s)),
  };
}

/** gpu.js in its 'webasm' or 'cpu' mode computes on the CPU. */
export function isCpuEmulation(s: BackendStatus): boolean {
  return s.name === 'gpujs' && /\((webasm|cpu)\)/.test(s.device ?? '');
}
