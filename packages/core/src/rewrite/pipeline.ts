import { GraphError } from '../ir/graph.js';
import { topoSort } from '../ir/graph.js';
import type { Variable } from '../ir/variable.js';
import { canonicalize } from './passes/canonicalize.js';
import { concatSums } from './passes/concat-sums.js';
import { constantFold } from './passes/constant-fold.js';
import { createMerge } from './passes/merge.js';
import { stabilize } from './passes/stabilize.js';
import { rewriteToFixpoint, type LocalRewrite } from './rewrite-graph.js';

/** Optimization levels: O0 runs no rewrite, O1 the graph rewrites, O2 adds kernel fusion and memory planning. */
export type OptLevel = 'O0' | 'O1' | 'O2';

/** Every pass by name, graph passes first, in pipeline order. Program passes run after lowering. */
export const GRAPH_PASSES = ['canonicalize', 'constantFold', 'merge', 'stabilize', 'concatSums'] as const;
/** The Program passes (O2), in the order they run after lowering; name one in `rewrites.exclude` to switch it off. */
export const PROGRAM_PASSES = ['inlineConstants', 'foldConstantKernels', 'mergeSoftmaxCrossEntropy', 'fuseElementwise', 'accumulateSlices', 'scatterInPlace', 'foldUpdateIntoMatmul', 'fuseMatmulEpilogue', 'specializeMatmul', 'concatInPlace', 'permuteInPlace', 'fuseReduce', 'fuseSiblings', 'deadCode', 'memoryPlan'] as const;
export type PassName = (typeof GRAPH_PASSES)[number] | (typeof PROGRAM_PASSES)[number];

export interface RewriteOptions {
  readonly level?: OptLevel;
  /** Passes to skip, by name. */
  readonly exclude?: readonly PassName[];
}

/** Time spent in one pass and the graph's size after it. */
export interface PassReport {
  readonly pass: string;
  readonly ms: number;
  readonly nodes: number;
}

const LOCAL: Record<(typeof GRAPH_PASSES)[number], () => LocalRewrite> = {
  canonicalize: () => canonicalize,
  constantFold: () => constantFold,
  merge: createMerge,
  stabilize: () => stabilize,
  concatSums: () => concatSums,
};

/**
 * The passes a level (default O2) and an exclude list enable; throws a GraphError for an
 * excluded name that is no pass, so a typo does not go unnoticed.
 *
 * @example
 * ```ts
 * enabledPasses({ level: 'O1' }); // Set { 'canonicalize', 'constantFold', 'merge', 'stabilize', 'concatSums' }
 * enabledPasses({ exclude: ['fuseElementwise'] }).has('memoryPlan'); // true
 * ```
 */
export function enabledPasses(opts: RewriteOptions = {}): Set<PassName> {
  const level = opts.level ?? 'O2';
  const all = [...GRAPH_PASSES, ...PROGRAM_PASSES] as PassName[];
  for (const p of opts.exclude ?? []) {
    if (!all.includes(p)) throw new GraphError(`unknown rewrite pass '${p}': passes are ${all.join(', ')}`);
  }
  const on = level === 'O0' ? [] : level === 'O1' ? [...GRAPH_PASSES] : all;
  return new Set(on.filter((p) => !(opts.exclude ?? []).includes(p)));
}

/**
 * Runs the graph rewrites in order over a function's outputs (and update right-hand
 * sides), each to a fixpoint, and reports time per pass.
 *
 * @example
 * ```ts
 * const { outputs, report } = rewriteOutputs([loss], enabledPasses({ level: 'O1' }));
 * for (const r of report) console.log(`${r.pass}: ${r.ms.toFixed(2)} ms, ${r.nodes} nodes`);
 * ```
 */
export function rewriteOutputs(outputs: readonly Variable[], enabled: ReadonlySet<PassName>): { outputs: Variable[]; report: PassReport[] } {
  let cur = [...outputs];
  const report: PassReport[] = [];
  // Stabilize exposes constants and duplicates; a second canonical sweep cleans them.
  const order: (typeof GRAPH_PASSES)[number][] = ['canonicalize', 'constantFold', 'merge', 'stabilize', 'concatSums', 'canonicalize', 'merge'];
  for (const name of order) {
    if (!enabled.has(name)) continue;
    const t0 = performance.now();
    cur = rewriteToFixpoint(cur, LOCAL[name]());
    report.push({ pass: name, ms: performance.now() - t0, nodes: topoSort(cur).length });
  }
  return { outputs: cur, report };
}

/**
 * The graph a function would compile, after the graph rewrites of a level: for inspecting
 * rewrites with `debugPrint`.
 *
 * @example
 * ```ts
 * console.log(debugPrint(optimizeGraph([T.log(T.softmax(x))])));  // logSoftmax …
 * ```
 */
export function optimizeGraph(outputs: readonly Variable[], opts: RewriteOptions = {}): Variable[] {
  return rewriteOutputs(outputs, enabledPasses(opts)).outputs;
}
