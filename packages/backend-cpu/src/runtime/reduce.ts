import type { DType, ReduceKernel, ReduceKind, TypedArray } from '@symgrad/core';
import { storeJs } from '../codegen/elementwise.js';
import { compileCached } from '../codegen/function-cache.js';
import { renderScalarExprs, roundJs } from '../codegen/render-js.js';
import { emitNest, geometryPrelude, packGeometry, simplifyGeometry, strideClass, type Geometry, type StrideClass } from '../codegen/strided-loops.js';
import type { BufferTable, KernelStep } from './kernel-step.js';
import { checkView } from './view-check.js';

/**
 * Reduce kernels: output[kept] = epilogue(reduce over `axes` of prologue(inputs…)).
 * The generated loop walks the kept dims outside and the reduced dims inside, with a
 * scalar accumulator: a sum accumulates in float64 and is rounded to the prologue's dtype
 * once; max/min propagate NaN (the first of equal values wins, as in the reference);
 * argmax keeps the first index of the maximum, NaN counting as the maximum. An empty sum is
 * 0, an empty max/min -Infinity/+Infinity (then rounded to the prologue's dtype), an empty
 * argmax 0.
 */

type ReduceFn = (data: readonly TypedArray[], ids: Int32Array, g: Int32Array) => void;

const OPS: readonly ReduceKind[] = ['sum', 'max', 'min', 'argmax'];

const INIT: Readonly<Record<ReduceKind, string>> = { sum: '0', max: '-Infinity', min: 'Infinity', argmax: '-Infinity' };

function accumulateJs(op: ReduceKind, v: string, index: string): string {
  switch (op) {
    case 'sum': return `acc += ${v};\n`;
    case 'max': return `if (${v} > acc || ${v} !== ${v}) acc = ${v};\n`;
    case 'min': return `if (${v} < acc || ${v} !== ${v}) acc = ${v};\n`;
    // Once the maximum is NaN nothing replaces it, so the first NaN's index is kept.
    case 'argmax': return `if (${v} > acc || (${v} !== ${v} && acc === acc)) { acc = ${v}; at = ${index}; }\n`;
  }
}

/** How each view moves along the last of `dims` (for specializing the innermost loops). */
function innerClasses(geo: Geometry, dims: readonly number[]): StrideClass[] {
  const d = dims[dims.length - 1];
  return geo.views.map((v) => (d === undefined ? 'any' : strideClass(v.strides[d]!)));
}

/**
 * The source of a reduce loop: `kept` outer geometry dims, `reduced` inner ones, inputs as
 * views 0…n−1 and the output as view n.
 */
export function reduceSource(k: ReduceKernel, geo: Geometry, kept: readonly number[], reduced: readonly number[], storage: readonly DType[]): string {
  const outerClass = innerClasses(geo, kept);
  const innerClass = innerClasses(geo, reduced);
  const nIn = k.inputs.length;
  const rank = kept.length + reduced.length;
  const inputs = Array.from({ length: nIn }, (_, v) => v);
  const accDtype: DType = k.op === 'argmax' ? 'int32' : k.prologue.dtype;
  const outer = (ptr: (v: number) => string): string => {
    const inner = emitNest({
      prefix: 'q', dims: reduced, views: inputs, start: ptr, inner: (v) => innerClass[v]!,
      body: (q, index) => {
        const r = renderScalarExprs([k.prologue], { inputCount: nIn, load: (i) => `I${i}[${q(i)}]`, storage: (i) => storage[i] });
        return r.code + accumulateJs(k.op, r.results[0]!, reduced.length ? index(0) : '0');
      },
    });
    const result = k.op === 'argmax' ? 'at' : roundJs(accDtype, 'acc');
    let tail = `const red = ${result};\n`;
    let value = 'red';
    let dtype = accDtype;
    if (k.epilogue) {
      const e = renderScalarExprs([k.epilogue], { inputCount: 1, load: () => 'red', storage: () => accDtype, prefix: 'e' });
      tail += e.code;
      value = e.results[0]!;
      dtype = k.epilogue.dtype;
    }
    tail += `O[${ptr(nIn)}] = ${storeJs(storage[nIn]!, dtype, value)};\n`;
    return `let acc = ${INIT[k.op]};\n${k.op === 'argmax' ? 'let at = 0;\n' : ''}${inner}${tail}`;
  };
  const arrays = [...inputs.map((i) => `I${i} = data[ids[${i}]]`), `O = data[ids[${nIn}]]`];
  return `return function reduce(data, ids, g) {\n${geometryPrelude(rank, nIn + 1)}const ${arrays.join(', ')};\n${
    emitNest({ prefix: 'p', dims: kept, views: [...inputs, nIn], start: (v) => `o${v}`, inner: (v) => outerClass[v]!, body: outer })}};`;
}

function checkAxes(k: ReduceKernel): void {
  const rank = k.shape.length;
  const seen = new Set<number>();
  for (const a of k.axes) {
    if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`axis ${a} is out of range for rank ${rank}`);
    if (seen.has(a)) throw new Error(`axis ${a} is repeated`);
    seen.add(a);
  }
  if (k.op === 'argmax' && k.axes.length !== 1) throw new Error(`argmax reduces exactly one axis, got ${k.axes.length}`);
}

/** A checked reduce kernel's geometry: kept dims first, then reduced ones, each group simplified; inputs then the output. */
export interface ReducePlan {
  readonly geo: Geometry;
  readonly kept: readonly number[];
  readonly reduced: readonly number[];
  /** Storage dtypes of the inputs, then of the output. */
  readonly storage: readonly DType[];
}

/**
 * Checks a reduce kernel, orders its dims kept-then-reduced and simplifies the geometry
 * within each group (shared by the TypeScript and the native path).
 */
export function planReduce(k: ReduceKernel, buffers: BufferTable): ReducePlan {
  if (!OPS.includes(k.op)) throw new Error(`unknown reduce op '${String(k.op)}'`);
  checkAxes(k);
  const rank = k.shape.length;
  const keptDims = k.shape.map((_, d) => d).filter((d) => !k.axes.includes(d));
  const order = [...keptDims, ...k.axes];
  k.inputs.forEach((v, i) => checkView(v, `input ${i}`, buffers, k.shape));
  checkView(k.output, 'output', buffers, keptDims.map((d) => k.shape[d]!));
  // The output walks the kept dims; it stays put (stride 0) along reduced ones.
  const outStrides = new Array<number>(rank).fill(0);
  keptDims.forEach((d, i) => { outStrides[d] = k.output.strides[i]!; });
  const views = [...k.inputs.map((v) => ({ offset: v.offset, strides: v.strides })), { offset: k.output.offset, strides: outStrides }];
  const geo = simplifyGeometry(
    { shape: order.map((d) => k.shape[d]!), views: views.map((v) => ({ offset: v.offset, strides: order.map((d) => v.strides[d]!) })) },
    order.map((d) => (k.axes.includes(d) ? 1 : 0)),
  );
  const kept: number[] = [];
  const reduced: number[] = [];
  geo.groups.forEach((grp, d) => (grp ? reduced : kept).push(d));
  // A size-1 argmax axis is dropped by the simplification: the index is then always 0.
  const storage = [...k.inputs, k.output].map((v) => buffers.dtype(v.buffer));
  return { geo, kept, reduced, storage };
}

/** Compiles a reduce kernel: plans it and binds the shared generated loop to its buffers. */
export function compileReduce(k: ReduceKernel, buffers: BufferTable): KernelStep {
  const { geo, kept, reduced, storage } = planReduce(k, buffers);
  const fn = compileCached<ReduceFn>(reduceSource(k, geo, kept, reduced, storage));
  const ids = Int32Array.from([...k.inputs, k.output], (v) => v.buffer);
  const g = packGeometry(geo);
  return (data) => fn(data, ids, g);
}
