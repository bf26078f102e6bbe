import { describe, expect } from 'vitest';
import { kernelCasesFor } from '@symgrad/core/testing';
import { conformanceRows } from '@symgrad/core/testing/reference';
import { WebGPUBackend } from '../backend.js';
import { deviceTests } from '../testing-fixtures/device.js';
import { withDawnFeatures } from './gpu-loader.js';

// Without Tint's robustness transform (Dawn's `disable_robustness`) nothing clamps the
// kernels' indices but their own bounds checks: every kernel kind must still match the
// reference interpreter. This file's process creates Dawn with these flags only.
const dawnFlags = withDawnFeatures(['disable_robustness']);
const deviceIt = deviceTests(() => WebGPUBackend.create({ dawnFlags }), { dawnFlags });

describe("Dawn's disable_robustness", () => {
  deviceIt('every kernel case against the reference interpreter', async (backend) => {
    const rows = await conformanceRows(backend, { dtypes: [] });
    expect(rows.map((r) => r.name)).toEqual(kernelCasesFor(backend.capabilities.kernels).map(([name]) => name));
    expect(rows.filter((r) => !r.ok)).toEqual([]);
  });
});
