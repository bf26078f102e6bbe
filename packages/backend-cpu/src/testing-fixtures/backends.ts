import { registerBackend } from '@symgrad/core';
import { CpuBackend } from '../backend.js';
import { nativeCpuStatus } from '../native.js';

/**
 * Two more registrations of the cpu backend for tests, so core's suites can run each path by
 * name whatever 'cpu' picked: 'cpu-ts' always runs the TypeScript kernels; 'cpu-native'
 * runs the addon and reports itself unavailable (the suite skips, with the reason) where it
 * did not load.
 */
export function registerTestCpuBackends(): void {
  registerBackend('cpu-ts', { availability: () => ({ ok: true }), create: () => new CpuBackend({ native: false }) });
  registerBackend('cpu-native', {
    availability: () => {
      const s = nativeCpuStatus();
      return s.ok ? { ok: true } : { ok: false, reason: `native CPU kernels unavailable: ${s.reason}` };
    },
    create: () => new CpuBackend({ native: true }),
  });
}
