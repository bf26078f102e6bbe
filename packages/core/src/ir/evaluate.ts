import { roundTo, SCALAR_SEMANTICS } from '../codegen/scalar-expr.js';
import { topoSort } from './graph.js';
import { getOp, type OpName } from './op.js';
import { SharedVariable } from './shared.js';
import { contiguousStrides, sizeOf } from './type.js';
import { ConstantVariable, type Apply, type Variable } from './variable.js';
import type { DType } from './dtype.js';
import { NDArray } from '../host/ndarray.js';
import { resolveSliceAxis } from '../ops/movement.js';
import { takeFill, takeGeometry, takeIndex } from '../ops/indexing.js';
import { advanceRandomState, fillRandom, type RandomDistribution } from '../random/philox.js';

/** A float64 tensor for the reference evaluator, with the dtype the graph says it has. */
interface Ref {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

const mk = (dtype: DType, shape: readonly number[], data?: Float64Array): Ref => ({ dtype, shape: [...shape], data: data ?? new Float64Array(sizeOf(shape)) });

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let o = 0;
  for (let d = 0; d < shape.length; d++) o = o * shape[d]! + idx[d]!;
  return o;
}

/** Reads `x` at a multi-index of a broadcast target shape. */
function bget(x: Ref, idx: readonly number[]): number {
  const off = idx.length - x.shape.length;
  let o = 0;
  for (let d = 0; d < x.shape.length; d++) o = o * x.shape[d]! + (x.shape[d] === 1 ? 0 : idx[off + d]!);
  return x.data[o]!;
}

/** Values of an integer or bool dtype are exact; floats are kept in float64. */
function exact(dtype: DType, v: number): number {
  return dtype === 'int32' || dtype === 'bool' ? roundTo(dtype, v) : v;
}

function mapShape(out: Ref, f: (idx: number[], i: number) => number): Ref {
  for (let i = 0; i < out.data.length; i++) out.data[i] = exact(out.dtype, f(unravel(i, out.shape), i));
  return out;
}

function reduceRef(x: Ref, axes: readonly number[], out: Ref, init: number, step: (acc: number, v: number) => number): Ref {
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const acc = new Float64Array(out.data.length).fill(init);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    const o = ravel(kept.map((k) => idx[k]!), kept.map((k) => x.shape[k]!));
    acc[o] = step(acc[o]!, x.data[i]!);
  }
  for (let i = 0; i < acc.length; i++) out.data[i] = exact(out.dtype, acc[i]!);
  return out;
}

type RefRule = (node: Apply, ins: Ref[], outs: { dtype: DType; shape: number[] }[]) => Ref[];

const elementwise = (node: Apply, ins: Ref[], [o]: { dtype: DType; shape: number[] }[]): Ref[] => {
  const f = node.op === 'where' ? (c: number, a: number, b: number) => (c ? a : b)
    : node.op === 'cast' ? (x: number) => x
    : (SCALAR_SEMANTICS as Record<string, (...a: number[]) => number>)[node.op]!;
  return [mapShape(mk(o!.dtype, o!.shape), (idx) => f(...ins.map((x) => bget(x, idx))))];
};

const RULES: Partial<Record<OpName, RefRule>> = {
  sum: (n, [x], [o]) => [reduceRef(x!, (n.props as { axes: number[] }).axes, mk(o!.dtype, o!.shape), 0, (a, v) => a + v)],
  max: (n, [x], [o]) => [reduceRef(x!, (n.props as { axes: number[] }).axes, mk(o!.dtype, o!.shape), -Infinity, (a, v) => (Number.isNaN(a) ? a : v > a || Number.isNaN(v) ? v : a))],
  min: (n, [x], [o]) => [reduceRef(x!, (n.props as { axes: number[] }).axes, mk(o!.dtype, o!.shape), Infinity, (a, v) => (Number.isNaN(a) ? a : v < a || Number.isNaN(v) ? v : a))],
  argmax: (n, [x], [o]) => {
    const axis = (n.props as { axis: number }).axis;
    const out = mk('int32', o!.shape);
    const best = new Float64Array(out.data.length).fill(-Infinity);
    const seen = new Uint8Array(out.data.length);
    const kept = x!.shape.map((_, i) => i).filter((i) => i !== axis);
    for (let i = 0; i < x!.data.length; i++) {
      const idx = unravel(i, x!.shape);
      const k = ravel(kept.map((d) => idx[d]!), kept.map((d) => x!.shape[d]!));
      const v = x!.data[i]!;
      if (!seen[k] || (!Number.isNaN(best[k]!) && (v > best[k]! || Number.isNaN(v)))) {
        best[k] = v; out.data[k] = idx[axis]!; seen[k] = 1;
      }
    }
    return [out];
  },
  matmul: (n, [a, b], [o]) => {
    const { transA, transB } = n.props as { transA: boolean; transB: boolean };
    const out = mk(o!.dtype, o!.shape);
    const r = o!.shape.length;
    const k = transA ? a!.shape[a!.shape.length - 2]! : a!.shape[a!.shape.length - 1]!;
    mapShape(out, (idx) => {
      const i = idx[r - 2]!;
      const j = idx[r - 1]!;
      let s = 0;
      for (let p = 0; p < k; p++) {
        const ai = [...idx.slice(0, r - 2), transA ? p : i, transA ? i : p];
        const bi = [...idx.slice(0, r - 2), transB ? j : p, transB ? p : j];
        s += bget(a!, ai) * bget(b!, bi);
      }
      return s;
    });
    return [out];
  },
  transpose: (n, [x], [o]) => {
    const perm = (n.props as { perm: number[] }).perm;
    return [mapShape(mk(o!.dtype, o!.shape), (idx) => {
      const src = new Array<number>(perm.length);
      perm.forEach((p, i) => (src[p] = idx[i]!));
      return x!.data[ravel(src, x!.shape)]!;
    })];
  },
  reshape: (_n, [x], [o]) => [mk(o!.dtype, o!.shape, x!.data)],
  reshapeLike: (_n, [x], [o]) => [mk(o!.dtype, o!.shape, x!.data)],
  broadcastTo: (_n, [x], [o]) => [mapShape(mk(o!.dtype, o!.shape), (idx) => bget(x!, idx))],
  broadcastLike: (_n, [x], [o]) => [mapShape(mk(o!.dtype, o!.shape), (idx) => bget(x!, idx))],
  slice: (n, [x], [o]) => {
    const p = n.props as { begin: number[]; end: (number | null)[]; step: number[] };
    const ax = x!.shape.map((d, i) => resolveSliceAxis(d, p.begin[i]!, p.end[i]!, p.step[i]!));
    return [mapShape(mk(o!.dtype, o!.shape), (idx) => x!.data[ravel(idx.map((v, i) => ax[i]!.start + v * p.step[i]!), x!.shape)]!)];
  },
  padSlice: (n, [x, like], [o]) => {
    const p = n.props as { begin: number[]; end: (number | null)[]; step: number[] };
    const out = mk(o!.dtype, o!.shape);
    const ax = like!.shape.map((d, i) => resolveSliceAxis(d, p.begin[i]!, p.end[i]!, p.step[i]!));
    for (let i = 0; i < x!.data.length; i++) {
      const idx = unravel(i, x!.shape);
      out.data[ravel(idx.map((v, d) => ax[d]!.start + v * p.step[d]!), out.shape)] = x!.data[i]!;
    }
    return [out];
  },
  concat: (n, ins, [o]) => {
    const axis = (n.props as { axis: number }).axis;
    const out = mk(o!.dtype, o!.shape);
    let at = 0;
    for (const x of ins) {
      for (let i = 0; i < x.data.length; i++) {
        const idx = unravel(i, x.shape);
        idx[axis]! += at;
        out.data[ravel(idx, out.shape)] = x.data[i]!;
      }
      at += x.shape[axis]!;
    }
    return [out];
  },
  splitLike: (n, [x, ...refs], outs) => {
    const axis = (n.props as { axis: number }).axis;
    let at = 0;
    return refs.map((r, k) => {
      const start = at;
      at += r.shape[axis]!;
      return mapShape(mk(outs[k]!.dtype, outs[k]!.shape), (idx) => x!.data[ravel(idx.map((v, d) => (d === axis ? v + start : v)), x!.shape)]!);
    });
  },
  take: (n, [x, idx], [o]) => {
    const props = n.props as { axis: number; fill: number | null };
    const g = takeGeometry(x!.shape, props.axis, idx!.data.length);
    const fill = props.fill ?? takeFill(o!.dtype);
    return [mapShape(mk(o!.dtype, o!.shape), (_idx, f) => {
      const i = f % g.inner, j = Math.floor(f / g.inner) % g.n, outer = Math.floor(f / (g.inner * g.n));
      const y = takeIndex(idx!.data[j]!, g.size);
      return y === undefined ? fill : x!.data[(outer * g.size + y) * g.inner + i]!;
    })];
  },
  scatterAdd: (n, [x, idx, u], [o]) => {
    const g = takeGeometry(x!.shape, (n.props as { axis: number }).axis, idx!.data.length);
    const out = mk(o!.dtype, o!.shape, Float64Array.from(x!.data));
    for (let f = 0; f < u!.data.length; f++) {
      const i = f % g.inner, j = Math.floor(f / g.inner) % g.n, outer = Math.floor(f / (g.inner * g.n));
      const y = takeIndex(idx!.data[j]!, g.size);
      if (y !== undefined) out.data[(outer * g.size + y) * g.inner + i]! += u!.data[f]!;
    }
    return [mapShape(out, (_idx, f) => out.data[f]!)];
  },
  oneHot: (n, [x], [o]) => {
    const depth = (n.props as { depth: number }).depth;
    return [mapShape(mk(o!.dtype, o!.shape), (idx, i) => (x!.data[Math.floor(i / depth)] === idx[idx.length - 1] ? 1 : 0))];
  },
  softmax: (n, [x], [o]) => [softmaxRef(x!, (n.props as { axis: number }).axis, o!.dtype, false)],
  logSoftmax: (n, [x], [o]) => [softmaxRef(x!, (n.props as { axis: number }).axis, o!.dtype, true)],
  categoricalCrossentropy: (_n, [p, t], [o]) => {
    const c = p!.shape[p!.shape.length - 1]!;
    return [mapShape(mk(o!.dtype, o!.shape), (_idx, r) => {
      if (t!.dtype === 'int32') {
        const y = t!.data[r]!;
        return y >= 0 && y < c ? -Math.log(p!.data[r * c + y]!) : NaN;
      }
      let s = 0;
      for (let j = 0; j < c; j++) s -= t!.data[r * c + j]! * Math.log(p!.data[r * c + j]!);
      return s;
    })];
  },
  softmaxCrossEntropy: (_n, [z, y], [o]) => {
    const c = z!.shape[z!.shape.length - 1]!;
    const ls = softmaxRef(z!, z!.shape.length - 1, z!.dtype, true);
    return [mapShape(mk(o!.dtype, o!.shape), (_idx, r) => {
      const t = y!.data[r]!;
      return t >= 0 && t < c ? -ls.data[r * c + t]! : NaN;
    })];
  },
  softmaxCrossEntropyGrad: (_n, [z, y, g], [o]) => {
    const c = z!.shape[z!.shape.length - 1]!;
    const s = softmaxRef(z!, z!.shape.length - 1, z!.dtype, false);
    return [mapShape(mk(o!.dtype, o!.shape), (idx, i) => {
      const r = Math.floor(i / c);
      return (s.data[i]! - (y!.data[r] === idx[idx.length - 1] ? 1 : 0)) * g!.data[r]!;
    })];
  },
  random: (n, [state], [o, next]) => {
    const { distribution } = n.props as { distribution: RandomDistribution };
    const values = mk(o!.dtype, o!.shape);
    fillRandom(distribution, o!.dtype, state!.data, values.data);
    return [values, mk('int32', [4], Float64Array.from(advanceRandomState(state!.data, values.data.length)))];
  },
  sizeOf: (n, [x], [o]) => [mk(o!.dtype, [], Float64Array.of((n.props as { axes: number[] }).axes.reduce((a, ax) => a * x!.shape[ax]!, 1)))],
};

function softmaxRef(x: Ref, axis: number, dtype: DType, log: boolean): Ref {
  const out = mk(dtype, x.shape);
  const strides = contiguousStrides(x.shape);
  const n = x.shape[axis]!;
  const s = strides[axis]!;
  for (let i = 0; i < x.data.length; i++) {
    if (unravel(i, x.shape)[axis] !== 0) continue;
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, x.data[i + j * s]!);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(x.data[i + j * s]! - m);
    for (let j = 0; j < n; j++) {
      const v = x.data[i + j * s]! - m;
      out.data[i + j * s] = log ? v - Math.log(sum) : Math.exp(v) / sum;
    }
  }
  return out;
}

/**
 * Evaluates a graph in float64 straight from the op definitions, independent of lowering
 * and of every backend: the reference the conformance suite compares backends against.
 * Integer and bool results are exact; float results are not rounded to float32.
 *
 * @example
 * ```ts
 * const [out] = evaluateReference([y], new Map([[x, NDArray.from([1, 2])]]));
 * ```
 */
export function evaluateReference(outputs: readonly Variable[], bindings: ReadonlyMap<Variable, NDArray>): NDArray[] {
  const vals = new Map<Variable, Ref>();
  const value = (v: Variable): Ref => {
    const have = vals.get(v);
    if (have) return have;
    const nd = bindings.get(v) ?? (v instanceof ConstantVariable ? v.value : v instanceof SharedVariable ? v.get() : undefined);
    if (!nd) throw new Error(`evaluateReference: no value for ${v.describe()}: bind every input the outputs depend on in \`bindings\``);
    const r = mk(v.dtype, nd.shape, Float64Array.from(nd.data as ArrayLike<number>));
    vals.set(v, r);
    return r;
  };
  for (const node of topoSort(outputs)) {
    const ins = node.inputs.map(value);
    const concrete = outputShapes(node, ins);
    const shapes = node.outputs.map((o, i) => ({ dtype: o.dtype, shape: concrete[i]! }));
    const rule = RULES[node.op] ?? (getOp(node.op).family === 'elementwise' ? elementwise : undefined);
    if (!rule) throw new Error(`evaluateReference: no reference for op '${node.op}'`);
    rule(node, ins, shapes).forEach((r, i) => vals.set(node.outputs[i]!, r));
  }
  return outputs.map((o) => {
    const r = value(o);
    return new NDArray('float64', r.shape, r.data);
  });
}

function outputShapes(node: Apply, ins: Ref[]): number[][] {
  return getOp(node.op).inferType(ins.map((r) => ({ dtype: r.dtype, shape: r.shape })), node.props as never).map((t) => t.shape as number[]);
}
