import { registerBackend } from '../backend/registry.js';
import '../index.js';
import { runConformanceSuite } from './conformance.js';
import { referenceBackendFactory } from './reference-backend.js';

// Lowering checked end to end: the Programs core produces, interpreted by the reference
// interpreter, must match the op-level float64 reference on every case.
registerBackend('reference', referenceBackendFactory(), -1);
runConformanceSuite({ backend: 'reference', dtypes: ['float32', 'float64'], seedStep: { sizes: [12, 10, 8, 5], rows: 7 } });
