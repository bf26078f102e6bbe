import { afterAll } from 'vitest';
import { unregisterBackend } from '@symgrad/core';
import { runConformanceSuite } from '@symgrad/core/testing';
import './index.js';

// Core's conformance suite in whatever mode gpu.js picks here (webasm in Node on Debian 12).
const SKIP: string[] = [];

runConformanceSuite({ backend: 'gpujs', dtypes: ['float32'], skip: SKIP, seedStep: { sizes: [64, 48, 32, 10], rows: 37 } });

afterAll(() => {
  unregisterBackend('gpujs');
});
