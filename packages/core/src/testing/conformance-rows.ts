import type { DType, TypedArray } from '../ir/dtype.js';
import { evaluateReference } from '../ir/evaluate.js';
import type { Backend } from '../backend/backend.js';
import { fn } from '../runtime/function.js';
import { KERNEL_CASES, OPTIONAL_KERNEL_CASES, runKernelCase } from './kernel-cases.js';
import { OP_CASES } from './op-cases.js';
import { relativeError, TestRandom } from './random.js';

/** One case of the conformance material run outside vitest: its name, whether it passed, and the error against its tolerance (or what was thrown). */
export interface ConformanceRow {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const thrown = (e: unknown) => String((e as Error)?.stack ?? e).split('\n').slice(0, 8).join(' | ');

/**
 * The conformance suite's kernel cases (those of optional kinds only where the backend lists
 * the kind) and op cases in each dtype, run on `backend` with the suite's seeds and
 * tolerances: kernel cases against the reference Program interpreter (`tol` or 1e-6), op
 * cases against the float64 evaluator (`tol` or 1e-5; 1e-12 in float64; int and bool
 * outputs exactly). For device checks and child processes, where vitest does not run; a
 * case that throws is a failed row.
 *
 * @example
 * ```ts
 * const rows = await conformanceRows(await getBackend('cuda'));
 * rows.filter((r) => !r.ok); // []
 * ```
 */
export async function conformanceRows(backend: Backend, opts: { dtypes?: readonly DType[]; seed?: number } = {}): Promise<ConformanceRow[]> {
  const seed = opts.seed ?? 1234;
  const rows: ConformanceRow[] = [];
  const entries = Object.entries(KERNEL_CASES);
  for (let k = 0; k < entries.length; k++) {
    const [name, make] = entries[k]!;
    const needs = OPTIONAL_KERNEL_CASES[name];
    if (needs && !backend.capabilities.kernels.includes(needs)) continue;
    try {
      const c = make(new TestRandom(seed + 31 * k));
      const errs = await runKernelCase(backend, c);
      const worst = Math.max(...errs), tol = c.tol ?? 1e-6;
      rows.push({ name, ok: worst <= tol, detail: `rel err ${worst.toExponential(2)} (tolerance ${tol})` });
    } catch (e) {
      rows.push({ name, ok: false, detail: thrown(e) });
    }
  }
  for (const dtype of opts.dtypes ?? (['float32', 'float64'] as const)) {
    const ops = Object.entries(OP_CASES);
    for (let k = 0; k < ops.length; k++) {
      const [caseName, make] = ops[k]!;
      const name = `${caseName}.${dtype}`;
      try {
        const c = make(new TestRandom(seed + k * 7919 + (dtype === 'float64' ? 1 : 0)), dtype);
        const f = fn(c.inputs, c.outputs, { backend: backend.name });
        const got = await f(...c.values);
        f.dispose();
        const want = evaluateReference(c.outputs, new Map(c.inputs.map((v, i) => [v, c.values[i]!])));
        let worst = 0;
        got.forEach((g, i) => {
          const w = want[i]!;
          const exact = g.dtype === 'int32' || g.dtype === 'bool';
          worst = Math.max(worst, exact ? (Array.from(g.data as TypedArray).every((v, j) => v === w.data[j]) ? 0 : 1) : relativeError(g.data, w.data));
        });
        const tol = dtype === 'float64' ? 1e-12 : c.tol ?? 1e-5;
        rows.push({ name, ok: worst <= tol, detail: `rel err ${worst.toExponential(2)} (tolerance ${tol})` });
      } catch (e) {
        rows.push({ name, ok: false, detail: thrown(e) });
      }
    }
  }
  return rows;
}
