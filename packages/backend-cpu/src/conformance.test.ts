import './index.js';
import { runConformanceSuite } from '@symgrad/core/testing';
import { registerTestCpuBackends } from './testing-fixtures/backends.js';

// Core's conformance suite: every op (random awkward shapes) against the float64 reference,
// every kernel kind against the reference Program interpreter, and the seed training step.
// 'cpu-native' is the addon's path (skipped, with the reason, where it did not load);
// conformance-ts.test.ts runs the TypeScript path in another worker.
registerTestCpuBackends();
runConformanceSuite({ backend: 'cpu-native', dtypes: ['float32', 'float64'], skip: [] });
