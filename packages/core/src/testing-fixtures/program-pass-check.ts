/**
 * What the tests of a Program pass check: the Program a graph compiles to at O2 (float32) on
 * the reference backend, with the pass on or off, its aliasing, and its largest relative error
 * against O0 in float64.
 */
import { expect } from 'vitest';
import { fn, programAliasingProblems, type Variable } from '../index.js';
import type { NDArray } from '../host/ndarray.js';
import type { PassName } from '../rewrite/pipeline.js';
import { relativeError } from '../testing/random.js';

/** A graph built in a dtype: its inputs and outputs. */
export type BuildGraph = (dtype: 'float32' | 'float64') => { inputs: Variable[]; outputs: Variable[] };

/** The Program's kernel labels and its error against float64 at O0, on `backend` with `exclude` switched off. */
export async function checkProgramPass(backend: string, build: BuildGraph, values: NDArray[], exclude: PassName[] = []): Promise<{ error: number; labels: string[] }> {
  const f32 = build('float32');
  const f64 = build('float64');
  const f = fn(f32.inputs, f32.outputs, { backend, rewrites: { exclude } });
  const got = await f(...values);
  const want = await fn(f64.inputs, f64.outputs, { backend, optimizer: 'O0' })(...values.map((v) => v.astype('float64')));
  const error = Math.max(...got.map((g, i) => relativeError(g.data, want[i]!.data)));
  expect(programAliasingProblems(f.program!)).toEqual([]);
  return { error, labels: f.program!.kernels.map((k) => k.label) };
}
