import type { Backend, DeviceBuffer, Executable, Precision } from '../backend/backend.js';
import type { TypedArray } from '../ir/dtype.js';
import { BackendError, currentBackendName, getBackend, getBackendIfReady } from '../backend/registry.js';
import { asVariable, type Operand } from '../api/operand.js';
import { atSite } from '../ir/call-site.js';
import { cloneReplace, GraphError, graphLeaves } from '../ir/graph.js';
import { SharedVariable } from '../ir/shared.js';
import { formatShape } from '../ir/type.js';
import { Variable } from '../ir/variable.js';
import { NDArray } from '../host/ndarray.js';
import { kindOf } from '../host/kind-of.js';
import { lowerGraph, type LoweredProgram } from '../lower/lower-graph.js';
import { optimizeProgram } from '../lower/passes/optimize-program.js';
import { programStats, type ProgramStats } from '../lower/program-stats.js';
import { buffersWritten, type Program } from '../lower/program.js';
import { formatProgram } from '../lower/format-program.js';
import { deviceAllocations } from './allocation.js';
import { coerceArgument, type InputValue } from './call-args.js';
import { checkProgramSupport } from './capability-check.js';
import { DeviceArray } from './device-array.js';
import { sharedBufferOn } from './shared-storage.js';
import { formatProfile, InstrumentedRun, type KernelProfile, type ProfileClock } from './instrumented-run.js';
import { enabledPasses, rewriteOutputs, type OptLevel, type PassName } from '../rewrite/pipeline.js';

/** An update: a shared variable and the expression of its next value. */
export type Update = readonly [SharedVariable, Operand];

export interface FnOptions {
  /** New values of shared variables, applied after all outputs are computed (every right-hand side sees old values). */
  readonly updates?: Iterable<Update> | ReadonlyMap<SharedVariable, Operand>;
  /** Substitutions made in the graph before compiling (Theano's givens). */
  readonly givens?: Iterable<readonly [Variable, Operand]> | ReadonlyMap<Variable, Operand>;
  /** Backend name; the default backend when omitted. The function stays on the backend of its first call. */
  readonly backend?: string;
  readonly precision?: Precision;
  /**
   * 'debug' checks inputs for NaN and Inf, and every kernel's output afterwards, naming the
   * first op (and where it was built) that produced a non-finite value. Awaited calls only.
   */
  readonly mode?: 'normal' | 'debug';
  /**
   * Times every kernel (awaited calls): on the device's own clock where the backend's
   * executables can (`Executable.runTimed`: the cpu's clock around each step, webgpu's
   * timestamp queries, cuda's events), else from the host, each kernel run alone and waited
   * for. Read the table with `f.profile()`.
   */
  readonly profile?: boolean;
  /** Optimization level: O0 no rewrites, O1 graph rewrites, O2 (default) also kernel fusion and memory planning. */
  readonly optimizer?: OptLevel;
  /** Rewrite passes to switch off by name, e.g. `{ exclude: ['fuseElementwise'] }`. */
  readonly rewrites?: { readonly exclude?: readonly PassName[] };
}

interface Compiled {
  readonly lowered: LoweredProgram;
  readonly executable: Executable;
  readonly table: DeviceBuffer[];
  readonly owned: DeviceBuffer[];
  /** Per output: whether its buffer may be handed over (`Backend.take`) instead of copied. */
  readonly takeable: readonly boolean[];
  /** Each input's own buffer, and whether the backend may read the argument in place instead. */
  readonly inputs: readonly { readonly id: number; readonly own: DeviceBuffer; readonly adoptable: boolean }[];
  readonly shared: readonly [SharedVariable, number][];
  readonly stats: FunctionStats;
  instrumented?: InstrumentedRun;
}

/** Cost and compile-time figures of a compiled function for one input signature. */
export interface FunctionStats extends ProgramStats {
  /** Milliseconds spent in each rewrite pass and in lowering, in order. */
  readonly passes: readonly { pass: string; ms: number }[];
}

type Outputs<O> = O extends readonly Variable[] ? NDArray[] : NDArray;
type DeviceOutputs<O> = O extends readonly Variable[] ? DeviceArray[] : DeviceArray;

/**
 * A compiled function: call it to run and read the outputs, `enqueue` to run without
 * waiting, `sync` to run and read synchronously where the backend can.
 */
export interface CompiledFunction<O extends Variable | readonly Variable[] = Variable | readonly Variable[]> {
  (...args: InputValue[]): Promise<Outputs<O>>;
  /** Runs and returns device arrays without waiting for the device. The backend must be ready (`await ready()`). */
  enqueue(...args: InputValue[]): DeviceOutputs<O>;
  /** Runs and reads synchronously (backends with `capabilities.syncRead`, such as cpu). */
  sync(...args: InputValue[]): Outputs<O>;
  /** The Program of the most recent input signature, if compiled; `String(f.program)` lists its kernels. */
  readonly program: Program | undefined;
  /** Kernel count, FLOPs, bytes moved, peak intermediate memory and compile time per pass, for the most recent input signature. */
  stats(): FunctionStats;
  /** Time per kernel and per source op of a function compiled with `{ profile: true }`, with a printable table. */
  profile(): { kernels: readonly KernelProfile[]; clock: ProfileClock; table: string };
  /** The kernels of the most recent signature with the ops and call sites they compute. */
  readonly sources: readonly (readonly { op: string; site: string | undefined }[])[] | undefined;
  /** How many input signatures (shape combinations) have been compiled. */
  readonly compiledSignatures: number;
  /** The backend the function is bound to, once it has run. */
  readonly backendName: string | undefined;
  /** Frees every buffer and executable the function holds. */
  dispose(): void;
}

/**
 * Compiles a function from inputs to outputs, with updates of shared variables
 * (Theano's `theano.function`). Compilation for concrete shapes happens on the first call
 * with each input signature and is cached.
 *
 * @example
 * ```ts
 * const train = fn([x, y], loss, { updates: [[w1, w1.sub(g1.mul(0.1))]] });
 * const l = await train(X, labels);   // NDArray
 * const predict = fn([x], yPred);
 * ```
 */
export function fn<O extends Variable | readonly Variable[]>(inputs: readonly Variable[], outputs: O, options: FnOptions = {}): CompiledFunction<O> {
  const site = new Error().stack?.split('\n')[2]?.trim().replace(/^at /, '');
  if (!Array.isArray(inputs)) {
    throw new GraphError(`fn: inputs must be an array of symbolic variables, got ${inputs instanceof Variable ? `${inputs.describe()}; write fn([${inputs.name ?? 'x'}], …)` : kindOf(inputs)}${atSite(site)}`);
  }
  const single = outputs instanceof Variable;
  if (!single && typeof (outputs as { [Symbol.iterator]?: unknown } | null | undefined)?.[Symbol.iterator] !== 'function') {
    throw new GraphError(`fn: outputs must be a symbolic variable or an array of them, got ${kindOf(outputs)}${atSite(site)}`);
  }
  const outList0: Variable[] = single ? [outputs as Variable] : [...(outputs as readonly Variable[])];
  outList0.forEach((o, i) => {
    if (!(o instanceof Variable)) throw new GraphError(`fn: output ${i} is ${kindOf(o)}, not a symbolic variable (wrap constants with T.constant)${atSite(site)}`);
  });
  checkInputs(inputs, site);
  let updates = normalizeUpdates(options.updates, site);
  let outList = outList0;
  if (options.givens) {
    const replace = new Map<Variable, Variable>();
    for (const [from, to] of options.givens instanceof Map ? options.givens.entries() : options.givens) {
      replace.set(from, asVariable('givens', to));
    }
    const cloned = cloneReplace([...outList, ...updates.map(([, r]) => r)], replace);
    outList = cloned.slice(0, outList.length);
    updates = updates.map(([s], i) => [s, cloned[outList.length + i]!] as const);
  }
  const needed = graphLeaves([...outList, ...updates.map(([, r]) => r)]).filter((v) => v.kind === 'input');
  const missing = needed.filter((v) => !inputs.includes(v));
  if (missing.length) {
    throw new GraphError(`fn: the outputs depend on ${missing.map((v) => v.describe()).join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not in the inputs [${inputs.map((v) => v.label()).join(', ')}]${atSite(site)}`);
  }

  // Debug mode checks every op's own result, so it keeps ops in separate kernels and buffers.
  const unfused: PassName[] = options.mode === 'debug' ? ['fuseElementwise', 'accumulateSlices', 'fuseReduce', 'fuseMatmulEpilogue', 'foldUpdateIntoMatmul', 'fuseSiblings', 'memoryPlan'] : [];
  const passes = enabledPasses({ level: options.optimizer ?? 'O2', exclude: [...(options.rewrites?.exclude ?? []), ...unfused] });
  const rewritten = rewriteOutputs([...outList, ...updates.map(([, r]) => r)], passes);
  outList = rewritten.outputs.slice(0, outList.length);
  updates = updates.map(([s], i) => [s, rewritten.outputs[outList.length + i]!] as const);
  const graphReport = rewritten.report;

  const cache = new Map<string, Compiled>();
  let bound: Backend | undefined;
  let last: Compiled | undefined;
  const debug = options.mode === 'debug';

  const bind = (b: Backend): Backend => {
    if (bound && bound !== b) throw new BackendError(`fn: this function runs on backend '${bound.name}'; compile another function for '${b.name}'`);
    bound = b;
    return b;
  };

  const compile = (backend: Backend, args: NDArray[]): Compiled => {
    const key = args.map((a) => a.shape.join('x')).join(',');
    const hit = cache.get(key);
    if (hit) return hit;
    const t0 = performance.now();
    const raw = lowerGraph({ inputs, inputShapes: args.map((a) => a.shape), outputs: outList, updates, kernels: backend.capabilities.kernels });
    const lowerMs = performance.now() - t0;
    const { lowered, report, memory } = optimizeProgram(raw, passes, backend.capabilities.maxKernelBuffers);
    checkProgramSupport(lowered.program, backend);
    const executable = backend.compile(lowered.program, { precision: options.precision ?? 'fp32' });
    const table: DeviceBuffer[] = [];
    const owned: DeviceBuffer[] = [];
    for (const spec of lowered.program.buffers) {
      if (spec.role === 'shared') continue;
      const buf = deviceAllocations.allocate(backend, spec.dtype, spec.size);
      table[spec.id] = buf;
      owned.push(buf);
      const data = lowered.constants.get(spec.id);
      if (data) backend.write(buf, data);
    }
    const stats: FunctionStats = {
      ...programStats(lowered.program, memory),
      passes: [...graphReport.map((r) => ({ pass: r.pass, ms: r.ms })), { pass: 'lower', ms: lowerMs }, ...report.map((r) => ({ pass: r.pass, ms: r.ms }))],
    };
    // An argument read in place must never be written (a kernel's output, in place or not)
    // nor handed back as an output, which would alias the caller's array.
    const written = buffersWritten(lowered.program);
    for (const o of lowered.outputs) written.add(o.buffer);
    const inputSlots = lowered.inputBuffers.map((id) => ({ id, own: table[id]!, adoptable: backend.adopt !== undefined && !written.has(id) }));
    // Only the function's own output buffers are handed over, each once: never a shared
    // variable's, an input's or a constant's, whose contents outlive the call.
    const outputIds = lowered.outputs.map((o) => o.buffer);
    const takeable = outputIds.map((id, i) =>
      backend.take !== undefined && lowered.program.buffers.find((b) => b.id === id)?.role === 'output' && outputIds.indexOf(id) === i && outputIds.lastIndexOf(id) === i);
    const compiled: Compiled = { lowered, executable, table, owned, takeable, inputs: inputSlots, shared: [...lowered.sharedBuffers], stats };
    cache.set(key, compiled);
    return compiled;
  };

  const instrument = debug || options.profile === true;

  /** Checks the arguments and finds or compiles the Program for their shapes. */
  const prepare = (backend: Backend, raw: InputValue[]): { c: Compiled; args: NDArray[] } => {
    if (raw.length !== inputs.length) {
      throw new GraphError(`fn: expected ${inputs.length} argument${inputs.length === 1 ? '' : 's'} (${inputs.map((v) => v.label()).join(', ')}), got ${raw.length}`);
    }
    const args = raw.map((v, i) => coerceArgument(inputs[i]!, v, i, debug));
    return { c: compile(backend, args), args };
  };

  /** Binds shared variables, uploads the inputs and enqueues the run (unless an instrumented run drives the kernels). */
  const launch = (backend: Backend, c: Compiled, args: NDArray[], instrumented = false): Compiled => {
    for (const [s, id] of c.shared) c.table[id] = sharedBufferOn(s, backend, deviceAllocations);
    c.inputs.forEach((slot, i) => {
      const data = args[i]!.data;
      const adopted = slot.adoptable ? backend.adopt!(data) : undefined;
      c.table[slot.id] = adopted ?? slot.own;
      if (!adopted) backend.write(slot.own, data);
    });
    if (!instrumented) c.executable.run(c.table);
    for (const s of c.lowered.updated) s.device!.deviceNewer = true;
    last = c;
    return c;
  };

  /** The outputs' contents: handed over where takeable, else read (in one wait where the backend can). */
  const readOutputs = async (backend: Backend, c: Compiled): Promise<TypedArray[]> => {
    const buffers = c.lowered.outputs.map((o) => c.table[o.buffer]!);
    const toRead = buffers.filter((_, i) => !c.takeable[i]);
    const read = toRead.length === 0 ? [] : backend.readMany ? await backend.readMany(toRead) : await Promise.all(toRead.map((b) => backend.read(b)));
    let next = 0;
    return buffers.map((b, i) => (c.takeable[i] ? backend.take!(b) : read[next++]!));
  };

  const backendSync = (who: string): Backend => {
    const name = options.backend ?? bound?.name ?? currentBackendName();
    const b = bound ?? getBackendIfReady(name);
    if (!b) {
      throw new BackendError(`${who}: backend '${name ?? '(default)'}' is not initialized yet: \`await ready(${name === undefined ? '' : `'${name}'`})\` first, or call the function with await`);
    }
    return bind(b);
  };

  const wrap = <T>(list: T[]): T | T[] => (single ? list[0]! : list);

  const call = (async (...raw: InputValue[]) => {
    const backend = bind(bound ?? (await getBackend(options.backend)));
    const { c, args } = prepare(backend, raw);
    // Asynchronous preparation (pipelines, modules) finishes before the first run is enqueued.
    if (c.executable.ready) await c.executable.ready;
    launch(backend, c, args, instrument);
    if (instrument) {
      c.instrumented ??= new InstrumentedRun(backend, c.lowered.program, c.lowered.sources, options.precision ?? 'fp32', c.executable);
      await c.instrumented.run(c.table, { debug, profile: options.profile === true });
    }
    const data = await readOutputs(backend, c);
    return wrap(c.lowered.outputs.map((o, i) => new NDArray(outList[i]!.dtype, o.shape, data[i]!)));
  }) as CompiledFunction<O>;

  Object.defineProperties(call, {
    enqueue: {
      value: (...raw: InputValue[]) => {
        const backend = backendSync('fn.enqueue');
        const { c, args } = prepare(backend, raw);
        launch(backend, c, args);
        return wrap(c.lowered.outputs.map((o, i) => new DeviceArray(backend, c.table[o.buffer]!, outList[i]!.dtype, o.shape)));
      },
    },
    sync: {
      value: (...raw: InputValue[]) => {
        const backend = backendSync('fn.sync');
        if (!backend.readSync) throw new BackendError(`fn.sync: backend '${backend.name}' cannot read synchronously; use await f(...) or f.enqueue(...)`);
        const { c, args } = prepare(backend, raw);
        launch(backend, c, args);
        return wrap(c.lowered.outputs.map((o, i) => new NDArray(outList[i]!.dtype, o.shape, c.takeable[i] ? backend.take!(c.table[o.buffer]!) : backend.readSync!(c.table[o.buffer]!))));
      },
    },
    program: { get: () => last && printable(last.lowered.program) },
    sources: { get: () => last?.lowered.sources },
    profile: {
      value: () => {
        const run = last?.instrumented;
        if (!run) throw new GraphError('fn.profile(): compile the function with { profile: true } and await a call first');
        return { kernels: run.profile, clock: run.clock, table: formatProfile(run.profile, run.clock) };
      },
    },
    stats: {
      value: () => {
        if (!last) throw new GraphError('fn.stats(): the function has not been called yet; stats describe a compiled input signature');
        return last.stats;
      },
    },
    backendName: { get: () => bound?.name },
    compiledSignatures: { get: () => cache.size },
    dispose: {
      value: () => {
        for (const c of cache.values()) {
          c.executable.dispose();
          c.instrumented?.dispose();
          for (const b of c.owned) bound?.free(b);
        }
        cache.clear();
        last = undefined;
      },
    },
  });
  return call;
}

/** The Program with a non-enumerable toString, so `console.log(String(f.program))` prints the kernel list. */
function printable(p: Program): Program {
  if (!Object.prototype.hasOwnProperty.call(p, 'toString')) Object.defineProperty(p, 'toString', { value: () => formatProgram(p), enumerable: false });
  return p;
}

function checkInputs(inputs: readonly Variable[], site: string | undefined): void {
  const seen = new Set<Variable>();
  inputs.forEach((v, i) => {
    if (!(v instanceof Variable)) throw new GraphError(`fn: input ${i} is ${kindOf(v)}, not a symbolic variable; inputs must be variables made with T.matrix, T.ivector, …${atSite(site)}`);
    if (v.kind === 'shared') throw new GraphError(`fn: input ${i} ${v.describe()} is a shared variable; shared variables are implicit inputs, leave it out${atSite(site)}`);
    if (v.kind !== 'input') throw new GraphError(`fn: input ${i} ${v.describe()} is ${v.kind === 'constant' ? 'a constant' : 'computed by an op'}; inputs must be variables made with T.matrix, T.ivector, …${atSite(site)}`);
    if (seen.has(v)) throw new GraphError(`fn: input ${v.describe()} is listed twice${atSite(site)}`);
    seen.add(v);
  });
}

function normalizeUpdates(updates: FnOptions['updates'], site: string | undefined): (readonly [SharedVariable, Variable])[] {
  if (!updates) return [];
  const list = updates instanceof Map ? [...updates.entries()] : [...(updates as Iterable<Update>)];
  const seen = new Set<SharedVariable>();
  return list.map(([s, rhs], i) => {
    if (!(s instanceof SharedVariable)) {
      throw new GraphError(`fn: update ${i} targets ${s instanceof Variable ? s.describe() : String(s)}, which is not a shared variable${atSite(site)}`);
    }
    if (seen.has(s)) throw new GraphError(`fn: shared variable ${s.label()} is updated twice${atSite(site)}`);
    seen.add(s);
    const v = asVariable('update', rhs);
    if (v.dtype !== s.dtype) {
      throw new GraphError(`fn: update of shared variable ${s.describe()} has dtype ${v.dtype} (${v.label()}); cast it with T.cast(…, '${s.dtype}')${atSite(v.callSite ?? site)}`);
    }
    const want = s.shape;
    if (v.ndim !== want.length || v.shape.some((d, k) => d !== null && d !== want[k])) {
      throw new GraphError(`fn: update of shared variable ${s.describe()} has shape ${formatShape(v.shape)} (${v.label()})${atSite(v.callSite ?? site)}`);
    }
    return [s, v] as const;
  });
}
