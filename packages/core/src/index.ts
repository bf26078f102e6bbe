/**
 * @symgrad/core — symbolic tensors, ops, lowering to the Program IR, `fn`, and the backend
 * registry. Import a backend package (e.g. `@symgrad/backend-cpu`) to run functions.
 *
 * @example
 * ```ts
 * import { T, fn, shared } from '@symgrad/core';
 * import '@symgrad/backend-cpu';
 * const x = T.vector('x');
 * const f = fn([x], x.mul(2).sum());
 * await f([1, 2, 3]); // NDArray 12
 * ```
 */
import './ops/index.js';
import './api/methods.js';

export * from './ir/dtype.js';
export * from './ir/type.js';
export { OpTypeError, defineOp, getOp, listOps, propsKey, UNARY_OPS, BINARY_OPS, COMPARE_OPS, REDUCE_OPS } from './ir/op.js';
export type { OpDef, OpFamily, OpName, OpProps, UnaryOp, BinaryOp, CompareOp, ReduceOp } from './ir/op.js';
export { Variable, ConstantVariable, Apply, type VariableKind } from './ir/variable.js';
export { SharedVariable, type DeviceCopy } from './ir/shared.js';
export { GraphError, applyOp, apply1, topoSort, graphLeaves, cloneReplace } from './ir/graph.js';
export { captureCallSite, atSite } from './ir/call-site.js';
export { debugPrint, toDot } from './ir/debug-print.js';
export * from './ops/index.js';
export { NDArray, type NestedArray, type ArrayLike } from './host/ndarray.js';
export { kindOf } from './host/kind-of.js';

export { T } from './api/t.js';
export { constant, shared, tensor, type TensorOptions } from './api/constructors.js';
export { asVariable, asVariables, type Operand } from './api/operand.js';
export type { Axes } from './api/reduce.js';
export type { SliceSpec } from './api/movement.js';
export { RandomStreams, type RandomDraw, type RandomShape } from './api/random.js';
export {
  philox4x32, seedToKey, initialRandomState, advanceRandomState, fillRandom, wordToUniform, randomBlocks, RANDOM_DISTRIBUTIONS, type RandomDistribution,
} from './random/philox.js';

export * from './codegen/scalar-expr.js';
export { matmulEpiloguePattern, type MatmulEpiloguePattern } from './codegen/matmul-epilogue-pattern.js';
export * from './lower/program.js';
export { lowerGraph, type LoweredProgram, type LowerRequest } from './lower/lower-graph.js';
export { formatProgram } from './lower/format-program.js';
export { contiguousView, isContiguous, broadcastView, transposeView, sliceView, reshapeView, sameView } from './lower/view.js';

export * from './backend/backend.js';
export {
  registerBackend, unregisterBackend, setBackend, getBackend, getBackendIfReady, listBackends, ready,
  currentBackendName, skippedBackends, BackendError,
} from './backend/registry.js';

export { fn, type CompiledFunction, type FnOptions, type Update } from './runtime/function.js';
export { DeviceArray } from './runtime/device-array.js';
export { deviceAllocations, AllocationCounter } from './runtime/allocation.js';
export { checkProgramSupport } from './runtime/capability-check.js';
export type { InputValue } from './runtime/call-args.js';
export { optimizeGraph, enabledPasses, rewriteOutputs, GRAPH_PASSES, PROGRAM_PASSES, type OptLevel, type PassName, type RewriteOptions, type PassReport } from './rewrite/pipeline.js';
export { rewriteGraph, rewriteToFixpoint, type LocalRewrite } from './rewrite/rewrite-graph.js';
export type { FunctionStats } from './runtime/function.js';
export type { ProgramStats } from './lower/program-stats.js';
export { formatProfile, type KernelProfile, type ProfileClock } from './runtime/instrumented-run.js';
export type { KernelSource } from './lower/passes/draft.js';
export { checkedScalarExprNodes, SCALAR_ARITY } from './codegen/check-scalar-expr.js';
