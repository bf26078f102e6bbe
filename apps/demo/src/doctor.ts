/** `symgrad doctor`: every backend with its availability or reason, devices, versions, precisions. */
import os from 'node:os';
import { BACKEND_PACKAGES, type BackendStatus } from './backends.js';
import { packageVersion } from './package-dir.js';
import { formatTable } from './table.js';

export const LIBRARIES = [
  '@symgrad/core', '@symgrad/autodiff', '@symgrad/nn', ...BACKEND_PACKAGES.map((p) => p.pkg),
  'webgpu', 'gpu.js', 'chart.js', 'cli-progress', 'mnist',
] as const;

export interface DoctorReport {
  readonly runtime: { readonly node: string; readonly v8: string; readonly platform: string; readonly cpu: string; readonly cores: number };
  readonly backends: readonly BackendStatus[];
  readonly libraries: readonly { readonly name: string; readonly version: string | null }[];
}

export function doctorReport(backends: readonly BackendStatus[], version: (name: string) => string | undefined = packageVersion): DoctorReport {
  const cpus = os.cpus();
  return {
    runtime: {
      node: process.versions.node, v8: process.versions.v8, platform: `${process.platform} ${process.arch}`,
      cpu: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length,
    },
    backends,
    libraries: LIBRARIES.map((name) => ({ name, version: version(name) ?? null })),
  };
}

/** The doctor report as text. */
export function formatDoctor(d: DoctorReport): string {
  const r = d.runtime;
  const backendRows = d.backends.map((b) => [
    b.name, b.installed ? (b.available ? 'available' : 'unavailable') : 'not installed',
    b.device ?? '—', b.precisions?.join(', ') ?? '—', b.priority === undefined ? '—' : String(b.priority),
  ]);
  const reasons = d.backends.filter((b) => !b.available).map((b) => `  ${b.name}: ${b.reason}`);
  const libs = formatTable(['library', 'version'], d.libraries.map((l) => [l.name, l.version ?? 'not installed']));
  const usable = d.backends.filter((b) => b.available).map((b) => b.name);
  return [
    `symgrad doctor — Node ${r.node} (V8 ${r.v8}), ${r.platform}, ${r.cores} × ${r.cpu}`,
    '',
    formatTable(['backend', 'status', 'device', 'precision modes', 'priority'], backendRows),
    '',
    reasons.length ? `why not:\n${reasons.join('\n')}\n` : '',
    libs,
    '',
    usable.length ? `usable here: ${usable.join(', ')} (the default pick is the available backend of highest priority)` : 'no backend is usable here',
  ].join('\n');
}
