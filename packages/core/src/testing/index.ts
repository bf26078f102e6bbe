/**
 * @symgrad/core/testing — the conformance suite every backend runs under vitest, with the
 * float64 reference evaluators it compares against and seeded test data (also available
 * without vitest from `@symgrad/core/testing/reference`).
 *
 * @example
 * ```ts
 * import { runConformanceSuite } from '@symgrad/core/testing';
 * runConformanceSuite({ backend: 'cpu', skip: [] });
 * ```
 */
export { runConformanceSuite, conformanceCaseNames, type ConformanceOptions } from './conformance.js';
export * from './reference.js';
