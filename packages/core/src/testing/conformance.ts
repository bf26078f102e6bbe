import { describe, expect, it } from 'vitest';
import { getBackend, listBackends } from '../backend/registry.js';
import type { Backend } from '../backend/backend.js';
import type { DType, TypedArray } from '../ir/dtype.js';
import type { NDArray } from '../host/ndarray.js';
import { fn } from '../runtime/function.js';
import { KERNEL_CASES, OPTIONAL_KERNEL_CASES, runKernelCase } from './kernel-cases.js';
import { OP_CASES } from './op-cases.js';
import { evaluateReference } from '../ir/evaluate.js';
import { relativeError, TestRandom } from './random.js';
import { buildSeedStep } from './seed-step.js';

export interface ConformanceOptions {
  /** The registered backend under test. */
  readonly backend: string;
  /** Case names this backend does not pass yet (a checked-in list, so gaps stay visible). */
  readonly skip?: readonly string[];
  /** Float dtypes to run op cases in; float64 only where the backend supports it. */
  readonly dtypes?: readonly DType[];
  readonly seed?: number;
  /** Seed-step sizes (input, hidden, hidden, classes) and rows; small by default. */
  readonly seedStep?: { sizes: [number, number, number, number]; rows: number };
}

/**
 * Every conformance case name, for skip lists and coverage tests: op cases as
 * `<op case>.<dtype>`, then the kernel cases and `seed-step`.
 *
 * @example
 * ```ts
 * const names = conformanceCaseNames(['float32', 'float64']);
 * runConformanceSuite({ backend: 'mine', dtypes: ['float32'], skip: names.filter((n) => n.startsWith('kernel.random')) });
 * ```
 */
export function conformanceCaseNames(dtypes: readonly DType[] = ['float32']): string[] {
  return [
    ...dtypes.flatMap((d) => Object.keys(OP_CASES).map((n) => `${n}.${d}`)),
    ...Object.keys(KERNEL_CASES),
    'seed-step',
  ];
}

async function availability(name: string): Promise<{ ok: boolean; reason: string }> {
  const entry = (await listBackends()).find((b) => b.name === name);
  if (!entry) return { ok: false, reason: `backend '${name}' is not registered` };
  return { ok: entry.available, reason: entry.reason ?? '' };
}

/**
 * Registers the conformance suite under vitest for one backend: every op (random awkward
 * shapes) against the float64 reference evaluator, every kernel kind against the reference
 * Program interpreter, and the seed step at a reduced size. Cases in `skip` are reported
 * as skipped; an unavailable backend skips everything with its reason.
 *
 * @example
 * ```ts
 * // packages/backend-cpu/src/conformance.test.ts
 * import '@symgrad/backend-cpu';
 * import { runConformanceSuite } from '@symgrad/core/testing';
 * runConformanceSuite({ backend: 'cpu', dtypes: ['float32', 'float64'], skip: [] });
 * ```
 */
export function runConformanceSuite(opts: ConformanceOptions): void {
  const skip = new Set(opts.skip ?? []);
  const dtypes = opts.dtypes ?? ['float32'];
  const known = new Set(conformanceCaseNames(dtypes));
  const unknown = [...skip].filter((s) => !known.has(s));
  if (unknown.length) {
    throw new Error(
      `runConformanceSuite('${opts.backend}'): the skip list names unknown case${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => `'${s}'`).join(', ')}; ` +
      `op cases are named '<op case>.<dtype>' for dtypes [${dtypes.join(', ')}] (conformanceCaseNames() lists every name)`,
    );
  }
  const seed = opts.seed ?? 1234;
  let backendP: Promise<Backend | string> | undefined;
  const backend = (): Promise<Backend | string> =>
    (backendP ??= availability(opts.backend).then(async (a) => (a.ok ? await getBackend(opts.backend) : a.reason)));

  const caseTest = (name: string, body: (b: Backend, skip: (why: string) => void) => Promise<void>) => {
    if (skip.has(name)) {
      it.skip(`${name} (on the skip list)`, () => {});
      return;
    }
    it(name, async (ctx) => {
      const b = await backend();
      if (typeof b === 'string') {
        ctx.skip(`backend '${opts.backend}' unavailable: ${b}`);
        return;
      }
      await body(b, (why) => ctx.skip(why));
    });
  };

  describe(`conformance: ${opts.backend}`, () => {
    describe('ops', () => {
      for (const dtype of dtypes) {
        Object.entries(OP_CASES).forEach(([caseName, make], k) => {
          caseTest(`${caseName}.${dtype}`, async () => {
            const rng = new TestRandom(seed + k * 7919 + (dtype === 'float64' ? 1 : 0));
            const c = make(rng, dtype);
            const f = fn(c.inputs, c.outputs, { backend: opts.backend });
            const got = await f(...c.values);
            const want = evaluateReference(c.outputs, new Map(c.inputs.map((v, i) => [v, c.values[i]!])));
            got.forEach((g, i) => compare(`${caseName} output ${i}`, g, want[i]!, dtype === 'float64' ? 1e-12 : c.tol ?? 1e-5));
            f.dispose();
          });
        });
      }
    });

    describe('kernels', () => {
      Object.entries(KERNEL_CASES).forEach(([caseName, make], k) => {
        caseTest(caseName, async (b, skipCase) => {
          const needs = OPTIONAL_KERNEL_CASES[caseName];
          if (needs && !b.capabilities.kernels.includes(needs)) {
            skipCase(`backend '${opts.backend}' does not run the optional '${needs}' kernel kind`);
            return;
          }
          const c = make(new TestRandom(seed + 31 * k));
          const errors = await runKernelCase(b, c);
          errors.forEach((err, i) => expect(err, `${caseName}: buffer ${i} relative error ${err}`).toBeLessThanOrEqual(c.tol ?? 1e-6));
        });
      });
    });

    caseTest('seed-step', async () => {
      const { sizes, rows } = opts.seedStep ?? { sizes: [64, 48, 32, 10] as [number, number, number, number], rows: 37 };
      const rng = new TestRandom(seed);
      const s = buildSeedStep(rng, sizes, 0.1);
      const X = rng.array([rows, sizes[0]], 'float32', -1, 1);
      const Y = rng.array([rows], 'int32', 0, sizes[3] - 1);
      const before = s.weights.map((w) => w.get());
      const train = fn([s.x, s.y], [s.loss, ...s.grads], { updates: s.updates, backend: opts.backend });
      const got = await train(X, Y);
      const bind = new Map<import('../ir/variable.js').Variable, NDArray>([[s.x, X], [s.y, Y]]);
      s.weights.forEach((w, i) => bind.set(w, before[i]!));
      const want = evaluateReference([s.loss, ...s.grads], bind);
      got.forEach((g, i) => compare(`seed step output ${i}`, g, want[i]!, 1e-4));
      // Updates used the old weights on every right-hand side.
      const after = await Promise.all(s.weights.map((w) => w.read()));
      after.forEach((w, i) => {
        const expected = before[i]!.data.map((v, j) => v - 0.1 * want[i + 1]!.data[j]!);
        const err = relativeError(w.data, expected);
        expect(err, `updated w${i + 1} relative error ${err}`).toBeLessThanOrEqual(1e-4);
      });
      const second = await train(X, Y);
      expect(second[0]!.item()).toBeLessThan(got[0]!.item());
      train.dispose();
      s.weights.forEach((w) => w.dispose());
    });
  });
}

function compare(what: string, got: NDArray, want: NDArray, tol: number): void {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  if (got.dtype === 'int32' || got.dtype === 'bool') {
    expect(Array.from(got.data as TypedArray), `${what}: exact values`).toEqual(Array.from(want.data as TypedArray));
    return;
  }
  const err = relativeError(got.data, want.data);
  expect(err, `${what}: relative error ${err} over tolerance ${tol}`).toBeLessThanOrEqual(tol);
}
