import { describe, expect, it } from 'vitest';
import { registerBackend } from '../backend/registry.js';
import '../index.js';
import { conformanceCaseNames, runConformanceSuite } from './conformance.js';
import { referenceBackendFactory } from './reference-backend.js';

// Lowering checked end to end: the Programs core produces, interpreted by the reference
// interpreter, must match the op-level float64 reference on every case.
registerBackend('reference', referenceBackendFactory(), -1);
runConformanceSuite({ backend: 'reference', dtypes: ['float32', 'float64'], seedStep: { sizes: [12, 10, 8, 5], rows: 7 } });

describe('runConformanceSuite options', () => {
  it('rejects a skip list that names unknown cases, saying how cases are named', () => {
    const [opCase] = conformanceCaseNames(['float32']);
    expect(opCase).toMatch(/\.float32$/);
    const float64Name = opCase!.replace(/\.float32$/, '.float64');
    expect(() => runConformanceSuite({ backend: 'reference', skip: [opCase!, float64Name, 'seed-stepp'] })).toThrow(
      `runConformanceSuite('reference'): the skip list names unknown cases '${float64Name}', 'seed-stepp'; op cases are named '<op case>.<dtype>' for dtypes [float32] (conformanceCaseNames() lists every name)`,
    );
  });
});
