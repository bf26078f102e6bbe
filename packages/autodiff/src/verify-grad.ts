import { constant, fn, getBackendIfReady, isFloat, kindOf, NDArray, T, tensor, Variable, type CompiledFunction, type Dim, type FnOptions, type NestedArray } from '@symgrad/core';
import { grad } from './grad.js';
import { mulberry32, sampleIndices } from './random.js';

export interface VerifyGradOptions {
  /** Central-difference step (absolute), default 1e-6. */
  readonly eps?: number;
  /** Relative tolerance, default 1e-4. */
  readonly rtol?: number;
  /** Absolute tolerance, default 1e-6. */
  readonly atol?: number;
  /** Backend the functions are compiled for, default 'cpu' (float64 needs it). */
  readonly backend?: string;
  /** Seed of the random projection and the element sample, default 42. */
  readonly seed?: number;
  /** Elements checked per input: all when the input has at most this many, else a seeded sample; default 200. */
  readonly sample?: number;
  /**
   * Static shapes of the variables: 'static' (default) gives them the inputs' exact shapes;
   * 'dynamic' leaves every dimension unknown (`null`) except those of size 1, to check the
   * gradient graph with unknown shapes; or one static shape per input.
   */
  readonly shapes?: 'static' | 'dynamic' | readonly (readonly Dim[])[];
  /** Names of the variables, default x0, x1, … */
  readonly names?: readonly string[];
  /** Further options of the compiled functions (`optimizer`, `rewrites`, `mode`…); `backend` above wins. */
  readonly fnOptions?: Omit<FnOptions, 'backend' | 'updates' | 'givens'>;
}

/** One checked element. */
export interface GradCheckElement {
  /** Index of the input in `inputs`. */
  readonly input: number;
  /** The variable's name. */
  readonly name: string;
  /** Multi-index of the element in the input. */
  readonly element: number[];
  readonly symbolic: number;
  readonly numeric: number;
  readonly absError: number;
  /** |symbolic − numeric| / max(|symbolic|, |numeric|, atol). */
  readonly relError: number;
}

export interface GradCheckReport {
  /** Whether every checked element satisfies |symbolic − numeric| ≤ atol + rtol·max(|symbolic|, |numeric|). */
  readonly ok: boolean;
  readonly maxRelError: number;
  readonly maxAbsError: number;
  /** The element furthest outside (or least inside) the tolerance; undefined when nothing was checked. */
  readonly worst: GradCheckElement | undefined;
  /** Number of elements checked. */
  readonly checked: number;
}

/**
 * Compares the symbolic gradient of `f` with central finite differences, in the spirit of
 * Theano's `verify_grad`, and returns a report (see `verifyGrad` for a throwing variant).
 * `f` receives one float64 variable per input, shaped like it; when `f` returns a
 * non-scalar, the cost is Σ f(x)·P for a fixed seeded random projection P. Each input
 * element (or a seeded sample of `sample` elements) is nudged by ±eps, in float64.
 *
 * @example
 * ```ts
 * import '@symgrad/backend-cpu';
 * const report = await checkGrad((a, b) => T.sum(T.mul(a, T.exp(b))), [[1, 2, 3], [0.1, 0.2, 0.3]]);
 * report.ok; // true
 * ```
 */
export async function checkGrad(f: (...vars: Variable[]) => Variable, inputs: readonly (NDArray | NestedArray)[], opts: VerifyGradOptions = {}): Promise<GradCheckReport> {
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-4;
  const atol = opts.atol ?? 1e-6;
  const backend = opts.backend ?? 'cpu';
  const rand = mulberry32(opts.seed ?? 42);
  const arrays = inputs.map((x) => NDArray.from(x, 'float64').clone());
  const names = arrays.map((_, i) => opts.names?.[i] ?? `x${i}`);
  const vars = arrays.map((a, i) => {
    const given = opts.shapes;
    const shape: Dim[] = given === 'dynamic' ? a.shape.map((d) => (d === 1 ? 1 : null)) : Array.isArray(given) ? [...given[i]!] : [...a.shape];
    return tensor('float64', shape, names[i]);
  });
  const out = f(...vars);
  if (!(out instanceof Variable)) throw new Error(`checkGrad: f must return a symbolic variable, got ${kindOf(out)}`);
  if (!isFloat(out.dtype)) throw new Error(`checkGrad: f must return a float tensor, got ${out.describe()}`);

  const compiled: CompiledFunction[] = [];
  const compile = <O extends Variable | Variable[]>(o: O): CompiledFunction<O> => {
    const c = fn(vars, o, { ...opts.fnOptions, backend });
    compiled.push(c as CompiledFunction);
    return c;
  };
  try {
    let cost = out.dtype === 'float64' ? out : T.cast(out, 'float64');
    if (out.ndim > 0) {
      const value = await compile(cost)(...arrays);
      const proj = new NDArray('float64', value.shape);
      for (let i = 0; i < proj.size; i++) proj.data[i] = 2 * rand() - 1;
      cost = T.sum(T.mul(cost, constant(proj)));
    }
    const fCost = compile(cost);
    const fGrad = compile(grad(cost, vars, { disconnected: 'zero' }));
    const symbolic = await fGrad(...arrays);
    const sync = getBackendIfReady(fGrad.backendName ?? backend)?.capabilities.syncRead ?? false;
    const evaluate = async (): Promise<number> => (sync ? fCost.sync(...arrays) : await fCost(...arrays)).item();

    let worst: GradCheckElement | undefined;
    let worstScore = -1;
    let maxRelError = 0;
    let maxAbsError = 0;
    let checked = 0;
    for (let i = 0; i < arrays.length; i++) {
      const a = arrays[i]!;
      const s = symbolic[i]!;
      for (const j of sampleIndices(a.size, opts.sample ?? 200, rand)) {
        const v = a.data[j]!;
        a.data[j] = v + eps;
        const up = await evaluate();
        a.data[j] = v - eps;
        const down = await evaluate();
        a.data[j] = v;
        const numeric = (up - down) / (2 * eps);
        const sym = s.data[j]!;
        const absError = Math.abs(sym - numeric);
        const scale = Math.max(Math.abs(sym), Math.abs(numeric));
        const relError = absError / Math.max(scale, atol);
        const score = Number.isNaN(absError) ? Infinity : absError / (atol + rtol * scale);
        checked++;
        maxAbsError = Math.max(maxAbsError, Number.isNaN(absError) ? Infinity : absError);
        maxRelError = Math.max(maxRelError, Number.isNaN(relError) ? Infinity : relError);
        if (score > worstScore) {
          worstScore = score;
          worst = { input: i, name: names[i]!, element: unravel(j, a.shape), symbolic: sym, numeric, absError, relError };
        }
      }
    }
    return { ok: worstScore <= 1, maxRelError, maxAbsError, worst, checked };
  } finally {
    compiled.forEach((c) => c.dispose());
  }
}

/**
 * Checks the symbolic gradient of `f` against central finite differences (see `checkGrad`)
 * and throws an Error naming the worst element, its input and both values when it is
 * outside the tolerance; returns the report otherwise.
 *
 * @example
 * ```ts
 * import '@symgrad/backend-cpu';
 * await verifyGrad((x) => T.softmax(x, 1), [[[0.1, 0.5, -0.3], [1.2, -0.7, 0.4]]]);
 * await verifyGrad((a, b) => T.matmul(a, b, { transB: true }), [randA, randB], { rtol: 1e-5 });
 * ```
 */
export async function verifyGrad(f: (...vars: Variable[]) => Variable, inputs: readonly (NDArray | NestedArray)[], opts: VerifyGradOptions = {}): Promise<GradCheckReport> {
  const report = await checkGrad(f, inputs, opts);
  if (!report.ok) {
    const w = report.worst!;
    const shape = NDArray.from(inputs[w.input]!, 'float64').shape;
    throw new Error(
      `verifyGrad: the symbolic gradient of input ${w.input} '${w.name}' (float64[${shape.join(', ')}]) at element [${w.element.join(', ')}] ` +
      `is ${w.symbolic}, but finite differences give ${w.numeric} (abs error ${w.absError.toExponential(3)}, rel error ${w.relError.toExponential(3)}; ` +
      `tolerance atol ${opts.atol ?? 1e-6} + rtol ${opts.rtol ?? 1e-4}·|value|; ${report.checked} elements checked)`,
    );
  }
  return report;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k]!;
    idx[k] = flat % d;
    flat = Math.floor(flat / d);
  }
  return idx;
}
