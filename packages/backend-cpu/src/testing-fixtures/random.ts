// The seeded generator, edge-case values and relative error shared by every package's tests.
export { TestRandom as Rng, SPECIAL_VALUES, relativeError as relError } from '@symgrad/core/testing/reference';
