/**
 * @symgrad/core/testing/reference — the test data and float64 references of the
 * conformance suite, without vitest: for device checks and scripts that run outside a
 * test runner.
 *
 * @example
 * ```ts
 * import { KERNEL_CASES, interpretProgram, TestRandom } from '@symgrad/core/testing/reference';
 * ```
 */
export { evaluateReference } from '../ir/evaluate.js';
export { interpretProgram } from './reference-program.js';
export { TestRandom, relativeError, SPECIAL_VALUES } from './random.js';
export { OP_CASES, AWKWARD_SIZES, type OpCase, type OpCaseFactory } from './op-cases.js';
export { KERNEL_CASES, OPTIONAL_KERNEL_CASES, kernelCasesFor, runKernelCase, type KernelCase } from './kernel-cases.js';
export { buildSeedStep, heNormalForTest, type SeedStep } from './seed-step.js';
export { ReferenceBackend, referenceBackendFactory } from './reference-backend.js';
export { conformanceRows, type ConformanceRow } from './conformance-rows.js';
