import { afterAll, expect, it } from 'vitest';
import { unregisterBackend } from '@symgrad/core';
import { runConformanceSuite } from '@symgrad/core/testing';
import './index.js';
import { inCI, missingDeviceReason } from './testing-fixtures/device.js';

// Core's conformance suite on the device (SwiftShader in CI): every op on random awkward
// shapes against the float64 reference, every kernel kind against the reference Program
// interpreter, and the seed training step at a reduced size. Without an adapter every case
// reports itself skipped with the reason; in CI that is a failure (below).
const SKIP: string[] = [];

runConformanceSuite({ backend: 'webgpu', dtypes: ['float32'], skip: SKIP, seedStep: { sizes: [64, 48, 32, 10], rows: 37 } });

it('a WebGPU adapter exists when CI is set (CI must not skip the device suite)', async (ctx) => {
  const why = await missingDeviceReason();
  if (why !== undefined && !inCI()) ctx.skip(`no WebGPU adapter here: ${why}`);
  expect(why, 'CI needs SwiftShader: apt-get install chromium libvulkan1').toBeUndefined();
});

afterAll(() => {
  // Destroys the device, so an idle Dawn device never keeps the worker busy.
  unregisterBackend('webgpu');
});
