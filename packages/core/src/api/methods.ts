import type { DType } from '../ir/dtype.js';
import { Variable } from '../ir/variable.js';
import { elementwise as E } from './elementwise.js';
import { linalg as L } from './linalg.js';
import { movement as M, type SliceSpec } from './movement.js';
import { nnet as N } from './nnet.js';
import type { Operand } from './operand.js';
import { reductions as R, type Axes } from './reduce.js';

/** The tensor functions as methods, so `w.sub(g.mul(0.1))` reads as in Theano. */
interface TensorMethods {
  add(o: Operand): Variable; sub(o: Operand): Variable; mul(o: Operand): Variable; div(o: Operand): Variable;
  pow(o: Operand): Variable; minimum(o: Operand): Variable; maximum(o: Operand): Variable;
  lt(o: Operand): Variable; le(o: Operand): Variable; gt(o: Operand): Variable; ge(o: Operand): Variable;
  eq(o: Operand): Variable; ne(o: Operand): Variable;
  neg(): Variable; exp(): Variable; log(): Variable; log1p(): Variable; expm1(): Variable; sqrt(): Variable;
  rsqrt(): Variable; square(): Variable; abs(): Variable; sign(): Variable; tanh(): Variable; sigmoid(): Variable; relu(): Variable;
  cast(dtype: DType): Variable;
  sum(axis?: Axes, keepdims?: boolean): Variable; mean(axis?: Axes, keepdims?: boolean): Variable;
  max(axis?: Axes, keepdims?: boolean): Variable; min(axis?: Axes, keepdims?: boolean): Variable;
  argmax(axis?: number, keepdims?: boolean): Variable;
  dot(o: Operand): Variable; matmul(o: Operand, opts?: { transA?: boolean; transB?: boolean }): Variable;
  reshape(shape: readonly number[]): Variable; flatten(): Variable; transpose(perm?: readonly number[]): Variable;
  /** The transpose (axes reversed). */
  readonly T: Variable;
  broadcastTo(shape: readonly number[]): Variable; slice(...specs: SliceSpec[]): Variable; expandDims(axis: number): Variable;
  softmax(axis?: number): Variable; logSoftmax(axis?: number): Variable;
}

declare module '../ir/variable.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Variable extends TensorMethods {}
}

const proto = Variable.prototype as unknown as Record<string, unknown>;
for (const k of ['add', 'sub', 'mul', 'div', 'pow', 'minimum', 'maximum', 'lt', 'le', 'gt', 'ge', 'eq', 'ne'] as const) {
  proto[k] = function (this: Variable, o: Operand) { return E[k](this, o); };
}
for (const k of ['neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'square', 'abs', 'sign', 'tanh', 'sigmoid', 'relu'] as const) {
  proto[k] = function (this: Variable) { return E[k](this); };
}
Object.assign(proto, {
  cast(this: Variable, d: DType) { return E.cast(this, d); },
  sum(this: Variable, a?: Axes, k?: boolean) { return R.sum(this, a, k); },
  mean(this: Variable, a?: Axes, k?: boolean) { return R.mean(this, a, k); },
  max(this: Variable, a?: Axes, k?: boolean) { return R.max(this, a, k); },
  min(this: Variable, a?: Axes, k?: boolean) { return R.min(this, a, k); },
  argmax(this: Variable, a?: number, k?: boolean) { return R.argmax(this, a, k); },
  dot(this: Variable, o: Operand) { return L.dot(this, o); },
  matmul(this: Variable, o: Operand, opts?: { transA?: boolean; transB?: boolean }) { return L.matmul(this, o, opts); },
  reshape(this: Variable, s: readonly number[]) { return M.reshape(this, s); },
  flatten(this: Variable) { return M.flatten(this); },
  transpose(this: Variable, p?: readonly number[]) { return M.transpose(this, p); },
  broadcastTo(this: Variable, s: readonly number[]) { return M.broadcastTo(this, s); },
  slice(this: Variable, ...s: SliceSpec[]) { return M.slice(this, ...s); },
  expandDims(this: Variable, a: number) { return M.expandDims(this, a); },
  softmax(this: Variable, a?: number) { return N.softmax(this, a); },
  logSoftmax(this: Variable, a?: number) { return N.logSoftmax(this, a); },
});
Object.defineProperty(proto, 'T', {
  get(this: Variable) { return M.transpose(this); },
});
