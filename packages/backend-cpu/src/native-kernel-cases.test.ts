import { afterAll, describe, expect, it, vi } from 'vitest';
import { KERNEL_CASES, runKernelCase, TestRandom } from '@symgrad/core/testing/reference';
import { CpuBackend } from './backend.js';
import { nativeCpuStatus } from './native.js';
import type { CpuExecutable } from './runtime/executable.js';

/**
 * Core's hand-built kernel cases (every kernel kind with the options the IR allows) on the
 * native kernels: against core's reference Program interpreter, with no kernel falling back
 * to TypeScript, on 1 and 2 threads.
 */

const status = nativeCpuStatus();
const initialThreads = status.ok ? status.addon.numThreads() : 1;
afterAll(() => { if (status.ok) status.addon.setNumThreads(initialThreads); });

describe.skipIf(!status.ok)('core kernel cases on the native kernels', () => {
  for (const [name, make] of Object.entries(KERNEL_CASES)) {
    it(`${name} matches the reference on 1 and 2 threads, all native`, async () => {
      if (!status.ok) return;
      for (const threads of [1, 2]) {
        status.addon.setNumThreads(threads);
        const backend = new CpuBackend({ native: true });
        const compile = vi.spyOn(backend, 'compile');
        const c = make(new TestRandom(5));
        const errors = await runKernelCase(backend, c);
        const exe = compile.mock.results[0]!.value as CpuExecutable;
        expect(exe.nativeFallbacks).toEqual([]);
        errors.forEach((e, i) => expect(e, `${name}, buffer ${i}, ${threads} thread(s)`).toBeLessThanOrEqual(c.tol ?? 1e-6));
      }
    });
  }
});
