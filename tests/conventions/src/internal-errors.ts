/**
 * Thrown messages that no test asserts because only a bug in symgrad can reach them, keyed
 * by `file: message text` (the longest literal piece of the message, as the audit reports
 * it), each with the reason. An entry that no longer matches an untested message fails the
 * test, so the list only shrinks when a check gets a test or goes away.
 */
export const INTERNAL_ERRORS: Readonly<Record<string, string>> = {
  "packages/backend-cpu/src/codegen/bytecode.ts: ' has no native bytecode":
    'checkedScalarExprNodes admits only SCALAR_ARITY ops, and every one of them has an opcode',
  "packages/backend-gpujs/src/codegen/expr.ts: gpujs codegen: unsupported scalar op '":
    'checkedScalarExprNodes admits only SCALAR_ARITY ops, and the renderer handles every one',
  'packages/backend-webgpu/src/backend.ts: webgpu backend: a tuned matmul config does not fit:':
    "the tuner offers only candidates matmulConfigProblems accepts for the device's limits",
  "packages/core/src/ir/evaluate.ts: evaluateReference: no reference for op '":
    'every op core defines has a reference rule (the conformance suite runs each)',
  'packages/core/src/lower/lower-graph.ts: : no lowering rule (internal error)':
    'every op in listOps() has a lowering rule',
  'packages/core/src/lower/lower-graph.ts: is not concrete (internal error)':
    'concrete input shapes always infer concrete output shapes',
  'apps/bench/src/gpu/seed-gpu.ts: gave a wrong result: sampled error':
    "only a wrong GEMM from a symgrad backend reaches it; gemmSampleError, which decides it, is tested",
  'apps/bench/src/main.ts: the child exited with':
    "main.ts runs on import; a crashed SYMGRAD_CPU_NATIVE=0 child becomes a row's failure reason, not a crash",
  'apps/demo/src/testing/static-server.ts: static server: no port':
    'test-only server: listening on 127.0.0.1 always yields a port',
};
