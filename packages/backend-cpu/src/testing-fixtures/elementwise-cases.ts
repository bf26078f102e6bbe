import { evalScalarExpr, roundTo, type BufferSpec, type DType, type ElementwiseKernel, type TypedArray, type View } from '@symgrad/core';
import { ALL_DTYPES, randomExprs, randomScalar } from './random-expr.js';
import type { Rng } from './random.js';
import { forEachIndex, offsetOf, randomLayout, typed } from './strided.js';

/** Random elementwise kernels over random views and dtypes, and their expected buffers (shared by the TypeScript and native tests). */

export const AWKWARD = [1, 2, 3, 7, 13, 37];

export interface ElementwiseCase {
  kernel: ElementwiseKernel;
  buffers: BufferSpec[];
  data: TypedArray[];
}

export function randomElementwiseCase(rng: Rng, dtypes: readonly DType[], sizes: readonly number[] = AWKWARD, ranks: readonly [number, number] = [0, 4]): ElementwiseCase {
  const rank = rng.int(ranks[0], ranks[1]);
  const shape = Array.from({ length: rank }, () => rng.pick(rank > 2 ? sizes.slice(0, 5) : sizes));
  const buffers: BufferSpec[] = [];
  const data: TypedArray[] = [];
  const add = (dtype: DType, size: number, fill: () => number) => {
    const id = buffers.length;
    buffers.push({ id, dtype, size, role: 'temp' });
    data.push(typed(dtype, Array.from({ length: size }, fill)));
    return id;
  };
  const nIn = rng.int(0, 3);
  const inputs: View[] = [];
  const inDtypes: DType[] = [];
  for (let k = 0; k < nIn; k++) {
    const dtype = rng.pick(dtypes);
    const { view, size } = randomLayout(rng, buffers.length, shape, true);
    add(dtype, size, () => randomScalar(rng));
    inputs.push(view);
    inDtypes.push(dtype);
  }
  const nOut = rng.int(1, 2);
  const outputs: View[] = [];
  const outDtypes: DType[] = [];
  for (let j = 0; j < nOut; j++) {
    const dtype = rng.pick(dtypes);
    const { view, size } = randomLayout(rng, buffers.length, shape, false);
    add(dtype, size, () => 7);
    outputs.push(view);
    outDtypes.push(rng.bool(0.8) ? dtype : rng.pick(ALL_DTYPES));
  }
  // Input nodes usually carry their buffer's dtype (the lowering's case), sometimes another.
  const exprs = randomExprs(rng, nIn, rng.int(1, 10), outDtypes, { inputDtypes: inDtypes.map((d) => (rng.bool(0.8) ? d : rng.pick(ALL_DTYPES))), dtypes });
  return { kernel: { kind: 'elementwise', shape, inputs, outputs, exprs, label: 'random' }, buffers, data };
}

/** The expected buffers: every output element is roundTo(its buffer's dtype, evalScalarExpr(...)); the rest untouched. */
export function elementwiseReference(c: ElementwiseCase): number[][] {
  const want = c.data.map((d) => Array.from(d));
  const k = c.kernel;
  forEachIndex(k.shape, (idx) => {
    const ins = k.inputs.map((v) => c.data[v.buffer]![offsetOf(v, idx)]!);
    k.outputs.forEach((o, j) => {
      want[o.buffer]![offsetOf(o, idx)] = roundTo(c.buffers[o.buffer]!.dtype, evalScalarExpr(k.exprs[j]!, ins));
    });
  });
  return want;
}

