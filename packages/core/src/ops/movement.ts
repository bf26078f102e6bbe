import { defineOp, OpTypeError } from '../ir/op.js';
import { formatShape, type Dim } from '../ir/type.js';
import { checkBroadcastTo } from './broadcast.js';

/**
 * Python slice semantics on one axis of a known size (a positive step): the clamped start
 * and the length, what `sliceView` takes.
 *
 * @example
 * ```ts
 * resolveSliceAxis(10, -3, null, 1); // { start: 7, length: 3 }: x[-3:]
 * resolveSliceAxis(10, 1, 8, 3); // { start: 1, length: 3 }: x[1:8:3]
 * ```
 */
export function resolveSliceAxis(dim: number, begin: number, end: number | null, step: number): { start: number; length: number } {
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
  const start = clamp(begin);
  const stop = end === null ? dim : clamp(end);
  return { start, length: Math.max(0, Math.ceil((stop - start) / step)) };
}

/**
 * The shape reshape produces from a (static or concrete) input shape, resolving one -1;
 * throws an OpTypeError when the sizes cannot match. With an unknown input dimension the
 * -1 stays unknown (`null`) until call time.
 *
 * @example
 * ```ts
 * resolveReshape([2, 3, 4], [-1, 4]); // [6, 4]
 * resolveReshape([null, 4], [-1, 2]); // [null, 2]
 * ```
 */
export function resolveReshape(from: readonly Dim[], shape: readonly number[]): Dim[] {
  const negs = shape.filter((d) => d === -1).length;
  if (negs > 1) throw new OpTypeError(`only one dimension can be -1, got [${shape.join(', ')}]`);
  const bad = shape.findIndex((d) => !Number.isInteger(d) || d < -1);
  if (bad >= 0) throw new OpTypeError(`invalid target shape [${shape.join(', ')}]: dimension ${bad} is ${shape[bad]}, not a non-negative integer or -1`);
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = from.every((d) => d !== null) ? (from as number[]).reduce((a, b) => a * b, 1) : null;
  if (total === null) return shape.map((d) => (d === -1 ? null : d));
  if (negs === 1) {
    if (known === 0 || total % known !== 0) throw new OpTypeError(`cannot reshape ${formatShape(from)} (${total} elements) to [${shape.join(', ')}]`);
    return shape.map((d) => (d === -1 ? total / known : d));
  }
  if (known !== total) throw new OpTypeError(`cannot reshape ${formatShape(from)} (${total} elements) to [${shape.join(', ')}] (${known} elements)`);
  return [...shape];
}

function staticSize(shape: readonly Dim[]): number | null {
  return shape.every((d) => d !== null) ? (shape as number[]).reduce((a, b) => a * b, 1) : null;
}

defineOp({
  name: 'transpose',
  family: 'movement',
  arity: 1,
  inferType: ([x], { perm }) => {
    const r = x!.shape.length;
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== r || sorted.some((p, i) => p !== i)) throw new OpTypeError(`perm [${perm.join(', ')}] is not a permutation of ${r} axes`);
    return [{ dtype: x!.dtype, shape: perm.map((p) => x!.shape[p]!) }];
  },
});

defineOp({
  name: 'reshape',
  family: 'movement',
  arity: 1,
  inferType: ([x], { shape }) => [{ dtype: x!.dtype, shape: resolveReshape(x!.shape, shape) }],
});

defineOp({
  name: 'reshapeLike',
  family: 'movement',
  arity: 2,
  inferType: ([x, like]) => {
    const a = staticSize(x!.shape);
    const b = staticSize(like!.shape);
    if (a !== null && b !== null && a !== b) throw new OpTypeError(`cannot reshape ${formatShape(x!.shape)} (${a} elements) to the shape ${formatShape(like!.shape)} (${b} elements) of the second input`);
    return [{ dtype: x!.dtype, shape: [...like!.shape] }];
  },
});

defineOp({
  name: 'broadcastTo',
  family: 'movement',
  arity: 1,
  inferType: ([x], { shape }) => {
    const bad = shape.findIndex((d) => !Number.isInteger(d) || d < 0);
    if (bad >= 0) throw new OpTypeError(`invalid target shape [${shape.join(', ')}]: dimension ${bad} is ${shape[bad]}, not a non-negative integer`);
    checkBroadcastTo(x!.shape, shape);
    return [{ dtype: x!.dtype, shape: [...shape] }];
  },
});

defineOp({
  name: 'broadcastLike',
  family: 'movement',
  arity: 2,
  inferType: ([x, like]) => {
    checkBroadcastTo(x!.shape, like!.shape);
    return [{ dtype: x!.dtype, shape: [...like!.shape] }];
  },
});

function sliceShape(shape: readonly Dim[], p: { begin: number[]; end: (number | null)[]; step: number[] }): Dim[] {
  const r = shape.length;
  if (p.begin.length !== r || p.end.length !== r || p.step.length !== r) {
    throw new OpTypeError(`slice needs begin, end and step for each of ${r} axes, got ${p.begin.length}, ${p.end.length} and ${p.step.length}`);
  }
  return shape.map((d, i) => {
    const step = p.step[i]!;
    if (!Number.isInteger(step) || step <= 0) throw new OpTypeError(`slice step must be a positive integer, got ${step} on axis ${i}`);
    if (!Number.isInteger(p.begin[i]) || (p.end[i] !== null && !Number.isInteger(p.end[i]))) throw new OpTypeError(`slice bounds must be integers, got begin ${p.begin[i]} and end ${p.end[i]} on axis ${i}`);
    if (d === null) return null;
    return resolveSliceAxis(d, p.begin[i]!, p.end[i]!, step).length;
  });
}

defineOp({
  name: 'slice',
  family: 'movement',
  arity: 1,
  inferType: ([x], p) => [{ dtype: x!.dtype, shape: sliceShape(x!.shape, p) }],
});

defineOp({
  name: 'padSlice',
  family: 'movement',
  arity: 2,
  inferType: ([x, like], p) => {
    const s = sliceShape(like!.shape, p);
    if (s.length !== x!.shape.length || s.some((d, i) => d !== null && x!.shape[i] !== null && d !== x!.shape[i])) {
      throw new OpTypeError(`a slice of ${formatShape(like!.shape)} has shape ${formatShape(s)}, not ${formatShape(x!.shape)}`);
    }
    return [{ dtype: x!.dtype, shape: [...like!.shape] }];
  },
});

function concatShape(parts: readonly (readonly Dim[])[], axis: number, op: string): Dim[] {
  const r = parts[0]!.length;
  if (!Number.isInteger(axis) || axis < 0 || axis >= r) throw new OpTypeError(`axis ${axis} is out of range for rank ${r}`);
  const out: Dim[] = [...parts[0]!];
  let total: number | null = 0;
  parts.forEach((s, k) => {
    if (s.length !== r) throw new OpTypeError(`${op} input ${k} has rank ${s.length}, expected ${r}`);
    s.forEach((d, i) => {
      if (i === axis) return;
      if (out[i] === null) out[i] = d;
      else if (d !== null && d !== out[i]) throw new OpTypeError(`${op} input ${k} has shape ${formatShape(s)}: axis ${i} must be ${out[i]}`);
    });
    total = total === null || s[axis] === null ? null : total + (s[axis] as number);
  });
  out[axis] = total;
  return out;
}

defineOp({
  name: 'concat',
  family: 'movement',
  arity: { min: 1 },
  inferType: (xs, { axis }) => {
    const dtype = xs[0]!.dtype;
    xs.forEach((x, k) => {
      if (x.dtype !== dtype) throw new OpTypeError(`all inputs must share a dtype: input 0 is ${dtype}, input ${k} is ${x.dtype}`);
    });
    return [{ dtype, shape: concatShape(xs.map((x) => x.shape), axis, 'concat') }];
  },
});

defineOp({
  name: 'splitLike',
  family: 'movement',
  arity: { min: 2 },
  inferType: ([x, ...refs], { axis }) => {
    const whole = concatShape(refs.map((r) => r.shape), axis, 'splitLike');
    if (whole.length !== x!.shape.length || whole.some((d, i) => d !== null && x!.shape[i] !== null && d !== x!.shape[i])) {
      throw new OpTypeError(`pieces ${refs.map((r) => formatShape(r.shape)).join(', ')} do not tile ${formatShape(x!.shape)} along axis ${axis}`);
    }
    return refs.map((r) => ({ dtype: x!.dtype, shape: [...r.shape] }));
  },
});

defineOp({
  name: 'sizeOf',
  family: 'movement',
  arity: 1,
  inferType: ([x], { axes, dtype }) => {
    for (const a of axes) if (!Number.isInteger(a) || a < 0 || a >= x!.shape.length) throw new OpTypeError(`axis ${a} is out of range for rank ${x!.shape.length}`);
    return [{ dtype, shape: [] }];
  },
});
