import { T } from '../api/t.js';
import { tensor } from '../api/constructors.js';
import { apply1 } from '../ir/graph.js';
import type { DType } from '../ir/dtype.js';
import { BINARY_OPS, COMPARE_OPS, UNARY_OPS, type UnaryOp } from '../ir/op.js';
import type { Dim } from '../ir/type.js';
import type { Variable } from '../ir/variable.js';
import type { NDArray } from '../host/ndarray.js';
import type { TestRandom } from './random.js';

/** One op-level conformance case: inputs with values, and the outputs to compare. */
export interface OpCase {
  readonly inputs: readonly Variable[];
  readonly values: readonly NDArray[];
  readonly outputs: readonly Variable[];
  /** Norm-wise relative tolerance for float32 results (float64 uses 1e-12 unless stated). */
  readonly tol?: number;
}

export type OpCaseFactory = (rng: TestRandom, dtype: DType) => OpCase;

/** Sizes that catch tiling and edge bugs: 1, primes, and non-multiples of common tiles. */
export const AWKWARD_SIZES = [1, 2, 3, 5, 7, 13, 17, 31, 37, 64, 65];

const DOMAIN: Partial<Record<UnaryOp, [number, number]>> = {
  log: [0.1, 4], sqrt: [0.01, 4], rsqrt: [0.1, 4], log1p: [-0.9, 3], exp: [-5, 5], expm1: [-3, 3],
};

function input(rng: TestRandom, dtype: DType, shape: number[], lo = -2, hi = 2, staticShape?: Dim[]): [Variable, NDArray] {
  return [tensor(dtype, staticShape ?? shape.map((d) => (d === 1 ? 1 : null)), 'in'), rng.array(shape, dtype, lo, hi)];
}

function one(rng: TestRandom, pairs: [Variable, NDArray][], out: (...v: Variable[]) => Variable | Variable[], tol?: number): OpCase {
  const inputs = pairs.map((p) => p[0]);
  const o = out(...inputs);
  return { inputs, values: pairs.map((p) => p[1]), outputs: Array.isArray(o) ? o : [o], ...(tol === undefined ? {} : { tol }) };
}

const shape2 = (rng: TestRandom) => [rng.pick(AWKWARD_SIZES), rng.pick(AWKWARD_SIZES)];

/** Every op (and the API's decompositions) with random awkward shapes, keyed by case name. */
export const OP_CASES: Record<string, OpCaseFactory> = {};

for (const op of UNARY_OPS) {
  OP_CASES[`unary.${op}`] = (rng, dt) => {
    const [lo, hi] = DOMAIN[op] ?? [-3, 3];
    return one(rng, [input(rng, dt, [rng.pick(AWKWARD_SIZES), rng.int(1, 9)], lo, hi)], (x) => T[op](x));
  };
}
for (const op of BINARY_OPS) {
  OP_CASES[`binary.${op}`] = (rng, dt) => {
    const [m, n] = shape2(rng);
    const lo = op === 'pow' ? 0.2 : op === 'div' ? 0.5 : -3;
    return one(rng, [input(rng, dt, [m, 1], lo, 3), input(rng, dt, [1, n], lo, 3)], (a, b) => T[op](a, b));
  };
  OP_CASES[`binary.${op}.rank-broadcast`] = (rng, dt) => {
    const [m, n] = shape2(rng);
    return one(rng, [input(rng, dt, [n], 0.5, 2), input(rng, dt, [m, n], 0.5, 2)], (a, b) => T[op](a, b));
  };
}
for (const op of COMPARE_OPS) {
  OP_CASES[`compare.${op}`] = (rng, dt) => {
    const [m, n] = shape2(rng);
    const pairs = [input(rng, dt, [m, n], -2, 2), input(rng, dt, [m, n], -2, 2)];
    // Equal elements make eq/ne/le/ge meaningful.
    for (let i = 0; i < pairs[0]![1].size; i += 3) pairs[1]![1].data[i] = pairs[0]![1].data[i]!;
    return one(rng, pairs, (a, b) => T[op](a, b));
  };
}

Object.assign(OP_CASES, {
  'int.arith': (rng) => one(rng, [input(rng, 'int32', [7, 5], -9, 9), input(rng, 'int32', [7, 5], -9, 9)], (a, b) => [T.add(a, b), T.mul(a, b), T.sub(a, b), T.maximum(a, b), T.neg(a), T.abs(b), T.square(a)]),
  'int.scalar-weak': (rng) => one(rng, [input(rng, 'int32', [13], -9, 9)], (a) => [T.mul(a, 3), T.add(a, 0.5)]),
  'bool.sum': (rng) => one(rng, [input(rng, 'bool', [17, 3])], (a) => [T.sum(a, 0), T.sum(a)]),
  'where': (rng, dt) => one(rng, [input(rng, dt, [5, 7]), input(rng, dt, [1, 7])], (a, b) => T.where(T.gt(a, 0), a, b)),
  'cast.float-int': (rng, dt) => one(rng, [input(rng, dt, [37], -50, 50)], (a) => [T.cast(a, 'int32'), T.cast(T.cast(a, 'int32'), dt), T.cast(T.gt(a, 0), dt)]),
  'reduce.all-axes': (rng, dt) => one(rng, [input(rng, dt, [rng.pick(AWKWARD_SIZES), 3, rng.pick(AWKWARD_SIZES)])], (a) => [T.sum(a), T.max(a), T.min(a), T.mean(a)], 2e-5),
  'reduce.axes': (rng, dt) => one(rng, [input(rng, dt, [rng.pick(AWKWARD_SIZES), 4, rng.pick(AWKWARD_SIZES)])], (a) =>
    [T.sum(a, 0), T.sum(a, [0, 2]), T.max(a, 1, true), T.min(a, -1), T.mean(a, [1, 2], true), T.sum(a, 1, true)], 2e-5),
  'reduce.argmax': (rng, dt) => one(rng, [input(rng, dt, [rng.pick(AWKWARD_SIZES), rng.pick(AWKWARD_SIZES)])], (a) => [T.argmax(a), T.argmax(a, 0), T.argmax(a, 1, true)]),
  'matmul.2d': (rng, dt) => {
    const [m, k, n] = [rng.pick(AWKWARD_SIZES), rng.pick(AWKWARD_SIZES), rng.pick(AWKWARD_SIZES)];
    return one(rng, [input(rng, dt, [m, k]), input(rng, dt, [k, n])], (a, b) => T.dot(a, b), 2e-5);
  },
  'matmul.large-odd': (rng, dt) => one(rng, [input(rng, dt, [67, 131]), input(rng, dt, [131, 45])], (a, b) => T.dot(a, b), 2e-5),
  'matmul.trans': (rng, dt) => {
    const [m, k, n] = [rng.pick(AWKWARD_SIZES), rng.pick(AWKWARD_SIZES), rng.pick(AWKWARD_SIZES)];
    return one(rng, [input(rng, dt, [k, m]), input(rng, dt, [n, k])], (a, b) => [T.matmul(a, b, { transA: true, transB: true }), T.dot(T.transpose(a), T.transpose(b))], 2e-5);
  },
  'matmul.batched-broadcast': (rng, dt) => one(rng, [input(rng, dt, [3, 1, 5, 7]), input(rng, dt, [4, 7, 2])], (a, b) => T.matmul(a, b), 2e-5),
  'dot.vectors': (rng, dt) => one(rng, [input(rng, dt, [13]), input(rng, dt, [13, 5]), input(rng, dt, [5])], (v, m, w) => [T.dot(v, m), T.dot(m, w), T.dot(w, w)], 2e-5),
  'movement.transpose-reshape': (rng, dt) => one(rng, [input(rng, dt, [3, 5, 7])], (a) => [T.transpose(a, [2, 0, 1]), T.reshape(T.transpose(a), [-1, 3]), T.flatten(a), T.exp(T.transpose(a))]),
  'movement.broadcast-slice': (rng, dt) => one(rng, [input(rng, dt, [1, 7]), input(rng, dt, [11, 9])], (a, b) =>
    [T.broadcastTo(a, [4, 7]), T.slice(b, [1, -1, 2], [null, null, 3]), T.slice(b, -1), T.slice(b, null, 4), T.add(T.slice(b, [2, 6]), 1)]),
  'movement.concat': (rng, dt) => one(rng, [input(rng, dt, [3, 5]), input(rng, dt, [2, 5]), input(rng, dt, [3, 4])], (a, b, c) => [T.concat([a, b], 0), T.concat([a, c], 1), T.concat([T.transpose(a), T.transpose(b)], 1)]),
  // A tensor's gradient through overlapping strided slices (a convolution's windows): a sum
  // of zero-padded slices, which the compiler accumulates into one buffer in place.
  'movement.slice-gradients': (rng, dt) => {
    const windows = [[0, 0], [1, 1], [2, 0]].map(([i, j]) => ({ begin: [0, i!, j!, 0], end: [null, i! + 5, j! + 3, null], step: [1, 2, 2, 1] }));
    return one(rng, [input(rng, dt, [2, 7, 5, 3]), ...windows.map(() => input(rng, dt, [2, 3, 2, 3]))], (like, ...gs) => {
      const padded = gs.map((g, n) => apply1('padSlice', windows[n]!, [g, like]));
      const sum = T.add(T.add(padded[0]!, padded[1]!), padded[2]!);
      return [sum, T.mul(T.add(sum, like), 2)];
    });
  },
  // What reverse mode makes of an unrolled recurrence, for the compiler's concat passes and
  // multi-output fusion: states that feed the next step and are stacked (concats written in
  // place, by elementwise kernels and by matmuls), a sum of products over the steps (one
  // product over concatenated operands) and a sum of per-step padded slices (one concat).
  'compile.recurrence': (rng, dt) => {
    const [batch, units, steps] = [rng.pick([1, 2, 3, 5, 7]), rng.pick([1, 3, 5, 13]), rng.int(2, 4)];
    const xs = Array.from({ length: steps }, () => input(rng, dt, [batch, 2 * units], -1, 1, [batch, 2 * units]));
    return one(rng, [input(rng, dt, [units, 2 * units], -1, 1, [units, 2 * units]), input(rng, dt, [batch, units], -1, 1, [batch, units]), ...xs], (w, g, ...x) => {
      const states: Variable[] = [];
      const cells: Variable[] = [];
      let h: Variable | undefined;
      let c: Variable | undefined;
      for (const xt of x) {
        const z = h ? T.add(T.dot(h, w), xt) : xt;
        const [i, u] = [T.sigmoid(T.slice(z, null, [0, units])), T.tanh(T.slice(z, null, [units, 2 * units]))];
        c = c ? T.add(T.mul(c, 0.5), T.mul(i, u)) : T.mul(i, u);
        h = T.tanh(c);
        states.push(h);
        cells.push(c);
      }
      const grads = states.slice(1).map((_, t) => T.matmul(states[t]!, T.mul(g, cells[t + 1]!), { transA: true }));
      const like = T.concat(states, 1);
      const padded = states.map((s, t) => apply1('padSlice', { begin: [0, t * units], end: [null, (t + 1) * units], step: [1, 1] }, [T.mul(s, 2), like]));
      return [T.concat(states, 0), T.concat(states.map((s) => T.expandDims(s, 1)), 1), grads.reduce((a, b) => T.add(a, b)), padded.reduce((a, b) => T.add(a, b)), T.sum(c!)];
    }, 1e-4);
  },
  // Along each axis, with indices of several shapes: repeated, negative (from the end) and
  // out of range (take fills NaN; scatterAdd drops them).
  'indexing.take': (rng, dt) => {
    const [a, b, c] = [rng.pick(AWKWARD_SIZES), rng.pick([1, 2, 3, 5, 7]), rng.pick(AWKWARD_SIZES)];
    const ids = (n: number, size: number): [Variable, NDArray] => input(rng, 'int32', [n], -size - 1, size);
    return one(rng, [input(rng, dt, [a, b, c]), ids(rng.pick(AWKWARD_SIZES), a), input(rng, 'int32', [2, 3], -b, b - 1), ids(5, c)], (x, i0, i1, i2) =>
      [T.take(x, i0), T.take(x, i1, 1), T.take(x, i2, -1), T.mul(T.take(x, i0), 2)]);
  },
  'indexing.scatter-add': (rng, dt) => {
    const [a, b] = [rng.pick(AWKWARD_SIZES), rng.pick(AWKWARD_SIZES)];
    const n = rng.pick(AWKWARD_SIZES);
    return one(rng, [input(rng, dt, [a, b]), input(rng, 'int32', [n], -a - 1, a), input(rng, dt, [n, b]), input(rng, 'int32', [3, 2], -b, b - 1), input(rng, dt, [a, 3, 2])], (x, i0, u0, i1, u1) =>
      [T.scatterAdd(x, i0, u0), T.scatterAdd(x, i1, u1, 1), T.add(T.scatterAdd(x, i0, u0), x)]);
  },
  // An embedding lookup and its gradient: rows of a table at a batch of token ids, and the
  // rows' gradients summed back into a table of zeros.
  'indexing.embedding': (rng, dt) => {
    const [v, d] = [rng.pick([2, 5, 13, 31]), rng.pick([1, 3, 8, 17])];
    const [bsz, len] = [rng.pick([1, 3, 4]), rng.pick([1, 5, 7])];
    return one(rng, [input(rng, dt, [v, d]), input(rng, 'int32', [bsz, len], 0, v - 1), input(rng, dt, [bsz, len, d])], (table, ids, g) =>
      [T.take(table, ids), T.scatterAdd(T.mul(table, 0), ids, g)]);
  },
  'nnet.softmax': (rng, dt) => one(rng, [input(rng, dt, [rng.pick(AWKWARD_SIZES), rng.pick(AWKWARD_SIZES)], -5, 5)], (a) => [T.softmax(a), T.softmax(a, 0), T.logSoftmax(a), T.logSoftmax(a, 0)]),
  'nnet.softmax-extreme': (rng, dt) => one(rng, [input(rng, dt, [4, 9], -5, 5)], (a) => [T.softmax(T.mul(a, 30)), T.logSoftmax(T.mul(a, 30))]),
  'nnet.cce-int': (rng, dt) => {
    const n = rng.pick(AWKWARD_SIZES);
    return one(rng, [input(rng, dt, [n, 10], -3, 3), input(rng, 'int32', [n], 0, 9)], (z, y) => [T.categoricalCrossentropy(T.softmax(z), y), T.mean(T.categoricalCrossentropy(T.softmax(z), y))]);
  },
  'nnet.cce-onehot': (rng, dt) => {
    const n = rng.pick(AWKWARD_SIZES);
    return one(rng, [input(rng, dt, [n, 6], -3, 3), input(rng, 'int32', [n], 0, 5)], (z, y) => T.categoricalCrossentropy(T.softmax(z), T.oneHot(y, 6, dt)));
  },
  'nnet.softmax-cross-entropy': (rng, dt) => {
    const n = rng.pick(AWKWARD_SIZES);
    return one(rng, [input(rng, dt, [n, 7], -20, 20), input(rng, 'int32', [n], 0, 6), input(rng, dt, [n], 0.1, 2)], (z, y, g) =>
      [T.softmaxCrossEntropy(z, y), apply1('softmaxCrossEntropyGrad', {}, [z, y, g]), T.mean(T.softmaxCrossEntropy(z, y))]);
  },
  // A state over the whole uint32 range (carries included); draws chained as RandomStreams does.
  'random.draws': (rng, dt) => {
    const [m, n] = shape2(rng);
    return one(rng, [input(rng, 'int32', [4], -(2 ** 31), 2 ** 31 - 1), input(rng, dt, [m, n])], (state, x) => {
      const u = T.random.uniform(state, x, dt);
      const z = T.random.normal(u.next, [n, 3], dt);
      const b = T.random.bits(z.next, [m]);
      return [u.values, z.values, b.values, b.next, T.mul(x, T.cast(T.lt(u.values, 0.5), dt))];
    });
  },
  'nnet.onehot': (rng) => one(rng, [input(rng, 'int32', [7, 3], -1, 5)], (y) => [T.oneHot(y, 5), T.oneHot(y, 5, 'int32')]),
  'nnet.bce-softplus-lse': (rng, dt) => one(rng, [input(rng, dt, [5, 7], 0.05, 0.95), input(rng, dt, [5, 7], 0, 1), input(rng, dt, [5, 7], -30, 30)], (p, t, z) =>
    [T.binaryCrossentropy(p, t), T.softplus(z), T.logSumExp(z, 1), T.logSumExp(z, 0, true)]),
} satisfies Record<string, OpCaseFactory>);
