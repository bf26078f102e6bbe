import './index.js';
import { runConformanceSuite } from '@symgrad/core/testing';
import { registerTestCpuBackends } from './testing-fixtures/backends.js';

// Core's conformance suite on the TypeScript kernels (the browser path and the fallback).
registerTestCpuBackends();
runConformanceSuite({ backend: 'cpu-ts', dtypes: ['float32', 'float64'], skip: [] });
