import { beforeAll, describe, expect, it } from 'vitest';
import { getBackend, KERNEL_KINDS, registerBackend } from '../index.js';
import { conformanceRows } from './conformance-rows.js';
import { KERNEL_CASES, kernelCasesFor } from './kernel-cases.js';
import { OP_CASES } from './op-cases.js';
import { ReferenceBackend, referenceBackendFactory } from './reference-backend.js';

/** Runs nothing: every result stays as allocated, so every comparison must fail. */
class IdleBackend extends ReferenceBackend {
  override compile() {
    return { run: () => {}, dispose: () => {} };
  }
}

beforeAll(() => {
  registerBackend('ref-rows', referenceBackendFactory('ref-rows'), -5);
  registerBackend('idle-rows', { availability: () => ({ ok: true }), create: () => new IdleBackend('idle-rows', KERNEL_KINDS) }, -6);
});

describe('conformanceRows', () => {
  it('runs every kernel case the backend can take and every op case per dtype, all passing on the reference backend', async () => {
    const b = await getBackend('ref-rows');
    const rows = await conformanceRows(b, { dtypes: ['float32'] });
    expect(rows.map((r) => r.name)).toEqual([...kernelCasesFor(b.capabilities.kernels).map(([n]) => n), ...Object.keys(OP_CASES).map((n) => `${n}.float32`)]);
    expect(rows.filter((r) => !r.ok)).toEqual([]);
    // A backend without the optional kinds gets fewer kernel cases.
    const idle = await conformanceRows(await getBackend('idle-rows'), { dtypes: [] });
    expect(idle.map((r) => r.name)).toEqual(kernelCasesFor(KERNEL_KINDS).map(([n]) => n));
    expect(idle.length).toBeLessThan(Object.keys(KERNEL_CASES).length);
  }, 60_000);

  it('fails the rows of a backend that computes nothing, with the error in the detail', async () => {
    const rows = await conformanceRows(await getBackend('idle-rows'), { dtypes: ['float32'] });
    const failed = rows.filter((r) => !r.ok);
    expect(failed.length).toBeGreaterThan(rows.length / 2);
    expect(failed[0]!.detail).toMatch(/^rel err \S+ \(tolerance [\d.e-]+\)$/);
  }, 60_000);
});
