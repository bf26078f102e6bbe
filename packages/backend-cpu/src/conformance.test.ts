import './index.js';
import { runConformanceSuite } from '@symgrad/core/testing';

// Core's conformance suite: every op (random awkward shapes) against the float64 reference,
// every kernel kind against the reference Program interpreter, and the seed training step.
runConformanceSuite({ backend: 'cpu', dtypes: ['float32', 'float64'], skip: [] });
