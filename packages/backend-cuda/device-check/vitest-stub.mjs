// core/testing's index re-exports the vitest-based conformance suite; the bundle never calls
// it, so vitest is replaced by inert functions (the device has no node_modules).
const inert = () => inert;
export const describe = inert, it = inert, expect = inert, test = inert, beforeAll = inert, afterAll = inert, vi = {};
