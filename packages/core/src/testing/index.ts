/**
 * @symgrad/core/testing — the conformance suite every backend runs, the float64 reference
 * evaluators it compares against, and seeded test data.
 *
 * @example
 * ```ts
 * import { runConformanceSuite } from '@symgrad/core/testing';
 * runConformanceSuite({ backend: 'cpu', skip: [] });
 * ```
 */
export { runConformanceSuite, conformanceCaseNames, type ConformanceOptions } from './conformance.js';
export { evaluateReference } from '../ir/evaluate.js';
export { interpretProgram } from './reference-program.js';
export { TestRandom, relativeError } from './random.js';
export { OP_CASES, AWKWARD_SIZES, type OpCase, type OpCaseFactory } from './op-cases.js';
export { KERNEL_CASES, type KernelCase } from './kernel-cases.js';
export { buildSeedStep, heNormalForTest, type SeedStep } from './seed-step.js';
export { ReferenceBackend, referenceBackendFactory } from './reference-backend.js';
