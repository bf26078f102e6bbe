import { sx } from '../codegen/scalar-expr.js';
import type { DType } from '../ir/dtype.js';
import type { BufferSpec, Kernel, KernelKind, Program, View } from '../lower/program.js';
import { contiguousView } from '../lower/view.js';
import { relativeError, type TestRandom } from './random.js';
import { interpretProgram } from './reference-program.js';
import { allocTyped } from '../ir/dtype.js';
import type { Backend } from '../backend/backend.js';

/** A hand-built Program exercising one kernel kind's options, with initial buffer contents. */
export interface KernelCase {
  readonly program: Program;
  readonly init: readonly Float64Array[];
  readonly tol?: number;
}

class Builder {
  buffers: BufferSpec[] = [];
  init: Float64Array[] = [];
  constructor(private rng: TestRandom) {}
  buf(dtype: DType, size: number, lo = -1, hi = 1): number {
    const id = this.buffers.length;
    this.buffers.push({ id, dtype, size, role: 'temp' });
    const d = new Float64Array(size);
    for (let i = 0; i < size; i++) d[i] = dtype === 'int32' ? this.rng.int(lo, hi) : dtype === 'float32' ? Math.fround(this.rng.uniform(lo, hi)) : this.rng.uniform(lo, hi);
    this.init.push(d);
    return id;
  }
  done(kernels: Kernel[], tol?: number): KernelCase {
    return { program: { buffers: this.buffers, kernels }, init: this.init, ...(tol === undefined ? {} : { tol }) };
  }
}

const f = (i: number, dt: DType = 'float32') => sx.input(i, dt);

/** Kernel-level cases: options the lowering of today's ops does not emit, but the IR allows. */
export const KERNEL_CASES: Record<string, (rng: TestRandom) => KernelCase> = {
  'kernel.elementwise.multi-output-strided': (rng) => {
    const b = new Builder(rng);
    const x = b.buf('float32', 60);
    const y = b.buf('float32', 6);
    const o1 = b.buf('float32', 200);
    const o2 = b.buf('int32', 30);
    const xv: View = { buffer: x, offset: 3, shape: [5, 6], strides: [1, 9] };
    const yv: View = { buffer: y, offset: 0, shape: [5, 6], strides: [0, 1] };
    const sum = sx.binary('add', f(0), f(1), 'float32');
    return b.done([{
      kind: 'elementwise', shape: [5, 6], inputs: [xv, yv],
      outputs: [{ buffer: o1, offset: 7, shape: [5, 6], strides: [12, 2] }, contiguousView(o2, [5, 6])],
      exprs: [sx.unary('tanh', sum), sx.binary('gt', sum, sx.const(0, 'float32'), 'bool')].map((e, i) => (i === 1 ? sx.unary('cast', e, 'int32') : e)), label: 'test',
    }]);
  },
  // Outputs written in place over the inputs (the same views) while sibling outputs still read
  // those inputs: every output must see the inputs as they were, as one pass per element would.
  'kernel.elementwise.in-place-multi-output': (rng) => {
    const b = new Builder(rng);
    const x = b.buf('float32', 37 * 29);
    const y = b.buf('float32', 37 * 29);
    const o = b.buf('float32', 37 * 29);
    const [xv, yv] = [contiguousView(x, [37, 29]), contiguousView(y, [37, 29])];
    return b.done([{
      kind: 'elementwise', shape: [37, 29], inputs: [xv, yv], outputs: [xv, contiguousView(o, [37, 29]), yv],
      exprs: [
        sx.binary('add', sx.binary('mul', f(0), f(1), 'float32'), sx.const(1, 'float32'), 'float32'),
        sx.binary('sub', f(0), f(1), 'float32'),
        sx.unary('tanh', sx.binary('add', f(0), f(1), 'float32')),
      ],
      label: 'test',
    }]);
  },
  'kernel.reduce.prologue-epilogue': (rng) => {
    const b = new Builder(rng);
    const x = b.buf('float32', 3 * 7 * 5);
    const w = b.buf('float32', 5);
    const o = b.buf('float32', 7);
    const prologue = sx.unary('square', sx.binary('mul', f(0), f(1), 'float32'));
    return b.done([{
      kind: 'reduce', op: 'sum', shape: [3, 7, 5], axes: [0, 2],
      inputs: [contiguousView(x, [3, 7, 5]), { buffer: w, offset: 0, shape: [3, 7, 5], strides: [0, 0, 1] }],
      prologue, epilogue: sx.unary('sqrt', f(0)), output: contiguousView(o, [7]), label: 'test',
    }], 1e-5);
  },
  'kernel.reduce.max-min-argmax-strided': (rng) => {
    const b = new Builder(rng);
    const x = b.buf('float32', 13 * 11);
    const view: View = { buffer: x, offset: 0, shape: [11, 13], strides: [1, 11] };
    const outs = (['max', 'min', 'argmax'] as const).map((op) => [op, b.buf(op === 'argmax' ? 'int32' : 'float32', 13)] as const);
    return b.done(outs.map(([op, o]) => ({ kind: 'reduce', op, shape: [11, 13], axes: [0], inputs: [view], prologue: f(0), output: contiguousView(o, [13]), label: op } as Kernel)));
  },
  'kernel.reduce.long-axis-nan-ties': (rng) => {
    const b = new Builder(rng);
    const [rows, len] = [3, 1031];
    const x = b.buf('float32', rows * len);
    const data = b.init[x]!;
    data[len + 17] = NaN; // row 1 holds a NaN: max, min and sum are NaN, argmax points at it
    data[2 * len + 5] = 7; // row 2 has a tie for the maximum: argmax takes the first
    data[2 * len + 900] = 7;
    const view = contiguousView(x, [rows, len]);
    const outs = (['sum', 'max', 'min', 'argmax'] as const).map((op) => [op, b.buf(op === 'argmax' ? 'int32' : 'float32', rows)] as const);
    return b.done(outs.map(([op, o]) => ({ kind: 'reduce', op, shape: [rows, len], axes: [1], inputs: [view], prologue: f(0), output: contiguousView(o, [rows]), label: op } as Kernel)), 1e-5);
  },
  'kernel.matmul.alpha-beta-epilogue': (rng) => {
    const b = new Builder(rng);
    const [m, n, k] = [13, 17, 29];
    const a = b.buf('float32', m * k);
    const bb = b.buf('float32', n * k);
    const bias = b.buf('float32', n);
    const o = b.buf('float32', m * n);
    return b.done([{
      kind: 'matmul', batch: [], m, n, k, a: contiguousView(a, [k, m]), b: contiguousView(bb, [n, k]), transA: true, transB: true,
      alpha: 0.5, beta: 2, out: contiguousView(o, [m, n]), dtype: 'float32', label: 'test',
      epilogue: { expr: sx.unary('relu', sx.binary('add', f(0), f(1), 'float32')), inputs: [{ buffer: bias, offset: 0, shape: [m, n], strides: [0, 1] }] },
    }], 2e-5);
  },
  'kernel.matmul.batched-strided': (rng) => {
    const b = new Builder(rng);
    const a = b.buf('float32', 2 * 5 * 16);
    const bb = b.buf('float32', 7 * 3);
    const o = b.buf('float32', 2 * 5 * 3);
    return b.done([{
      kind: 'matmul', batch: [2], m: 5, n: 3, k: 7,
      a: { buffer: a, offset: 1, shape: [2, 5, 7], strides: [80, 16, 1] }, b: { buffer: bb, offset: 0, shape: [2, 7, 3], strides: [0, 3, 1] },
      transA: false, transB: false, alpha: 1, beta: 0, out: contiguousView(o, [2, 5, 3]), dtype: 'float32', label: 'test',
    }], 2e-5);
  },
  // An attention's heads written back in step order (the permuteInPlace pass): [2, 3 heads] batches of 4×5 into a [2, 4, 3, 5] buffer.
  'kernel.matmul.permuted-output': (rng) => {
    const b = new Builder(rng);
    const a = b.buf('float32', 2 * 3 * 4 * 6);
    const bb = b.buf('float32', 2 * 3 * 6 * 5);
    const o = b.buf('float32', 2 * 4 * 3 * 5);
    return b.done([{
      kind: 'matmul', batch: [2, 3], m: 4, n: 5, k: 6, a: contiguousView(a, [2, 3, 4, 6]), b: contiguousView(bb, [2, 3, 6, 5]),
      transA: false, transB: false, alpha: 1, beta: 0, out: { buffer: o, offset: 0, shape: [2, 3, 4, 5], strides: [60, 5, 15, 1] }, dtype: 'float32', label: 'test',
    }], 2e-5);
  },
  'kernel.gather-onehot': (rng) => {
    const b = new Builder(rng);
    const x = b.buf('float32', 9 * 4);
    const idx = b.buf('int32', 9, -1, 4);
    const g = b.buf('float32', 9);
    const oh = b.buf('float32', 9 * 4);
    return b.done([
      { kind: 'gather', input: contiguousView(x, [9, 4]), indices: contiguousView(idx, [9]), output: contiguousView(g, [9]), label: 'gather' },
      { kind: 'oneHot', indices: contiguousView(idx, [9]), depth: 4, output: contiguousView(oh, [9, 4]), dtype: 'float32', label: 'oneHot' },
    ]);
  },
  // Strided views on every side: a transposed input, indices read every other element from
  // offset 1, an output with an offset; scatterAdd into an int32 buffer and a float one, with
  // repeated, negative and out-of-range indices (filled by take, dropped by scatterAdd).
  'kernel.take-scatter-add': (rng) => {
    const b = new Builder(rng);
    const x = b.buf('float32', 3 * 7 * 5);
    const idx = b.buf('int32', 1 + 2 * 11, -9, 9);
    const t = b.buf('float32', 4 + 3 * 11 * 5);
    const acc = b.buf('float32', 2 * 7 * 3);
    const upd = b.buf('float32', 2 * 11 * 3);
    const iacc = b.buf('int32', 7 * 4, -50, 50);
    const iupd = b.buf('int32', 11 * 4, -50, 50);
    const itake = b.buf('int32', 11 * 4);
    const zfill = b.buf('float32', 2 * 11 * 3);
    const indices = { buffer: idx, offset: 1, shape: [11], strides: [2] };
    return b.done([
      // x is [5, 7, 3] in memory; the kernel reads it as [3, 7, 5] through strides.
      { kind: 'take', input: { buffer: x, offset: 0, shape: [3, 7, 5], strides: [1, 3, 21] }, indices, output: { buffer: t, offset: 4, shape: [3, 11, 5], strides: [55, 5, 1] }, fill: NaN, label: 'take' },
      { kind: 'take', input: contiguousView(iacc, [1, 7, 4]), indices, output: contiguousView(itake, [1, 11, 4]), fill: -(2 ** 31), label: 'take int32' },
      { kind: 'take', input: contiguousView(acc, [2, 7, 3]), indices, output: contiguousView(zfill, [2, 11, 3]), fill: 0, label: 'take, zero fill' },
      { kind: 'scatterAdd', updates: { buffer: upd, offset: 0, shape: [2, 11, 3], strides: [3, 6, 1] }, indices, output: contiguousView(acc, [2, 7, 3]), label: 'scatterAdd' },
      { kind: 'scatterAdd', updates: contiguousView(iupd, [1, 11, 4]), indices, output: contiguousView(iacc, [1, 7, 4]), label: 'scatterAdd int32' },
    ]);
  },
  'kernel.random': (rng) => {
    const b = new Builder(rng);
    const state = b.buf('int32', 6);
    // The state sits at offset 1; its block offset is 2⁶⁴ − 3, so a draw carries into the
    // high word and wraps modulo 2⁶⁴.
    b.init[state]!.set([11, rng.int(-(2 ** 31), 2 ** 31 - 1), rng.int(-(2 ** 31), 2 ** 31 - 1), -3, -1, 12]);
    const stateView = { buffer: state, offset: 1, shape: [4], strides: [1] };
    const draws = [['uniform', 'float32', 37], ['normal', 'float32', 1021], ['bits', 'int32', 5], ['uniform', 'float32', 1], ['normal', 'float32', 3]] as const;
    return b.done(draws.map(([distribution, dtype, n], i) => ({
      kind: 'random', distribution, dtype, state: stateView, output: contiguousView(b.buf(dtype, n), [n]),
      ...(i < 3 ? { next: contiguousView(b.buf('int32', 4), [4]) } : {}), label: `random.${distribution}`,
    } as Kernel)), 1e-5);
  },
  'kernel.softmax-rows': (rng) => {
    const b = new Builder(rng);
    const [rows, cols] = [7, 1031];
    const x = b.buf('float32', rows * cols + 5, -30, 30);
    b.init[x]![2 * cols + 9] = NaN; // row 2 is NaN throughout
    for (let c = 0; c < cols; c++) b.init[x]![3 * cols + c] = -Infinity; // row 3: no finite logit
    b.init[x]![4 * cols + 1] = Infinity;
    const input: View = { buffer: x, offset: 5, shape: [rows, cols], strides: [cols, 1] };
    const transposed: View = { buffer: x, offset: 5, shape: [cols, rows], strides: [1, cols] };
    const o1 = b.buf('float32', rows * cols);
    const o2 = b.buf('float32', rows * cols);
    const o3 = b.buf('float32', rows * cols);
    return b.done([
      { kind: 'softmax', input, output: contiguousView(o1, [rows, cols]), log: false, dtype: 'float32', label: 'softmax' },
      { kind: 'softmax', input, output: contiguousView(o2, [rows, cols]), log: true, dtype: 'float32', label: 'logSoftmax' },
      { kind: 'softmax', input: transposed, output: { buffer: o3, offset: 0, shape: [cols, rows], strides: [1, cols] }, log: false, dtype: 'float32', label: 'softmax.strided' },
    ], 1e-5);
  },
  'kernel.softmax-cross-entropy': (rng) => {
    const b = new Builder(rng);
    const [rows, classes] = [11, 10];
    const z = b.buf('float32', rows * classes, -20, 20);
    const y = b.buf('int32', rows, 0, classes - 1);
    const loss = b.buf('float32', rows);
    const grad = b.buf('float32', rows * classes);
    const scale = b.buf('float32', 1, 0.1, 0.2);
    return b.done([{
      kind: 'softmaxCrossEntropy', logits: contiguousView(z, [rows, classes]), labels: contiguousView(y, [rows]), loss: contiguousView(loss, [rows]),
      grad: { output: contiguousView(grad, [rows, classes]), scale: { buffer: scale, offset: 0, shape: [rows], strides: [0] } }, dtype: 'float32', label: 'test',
    }], 1e-5);
  },
};

/** Cases of an optional kernel kind (OPTIONAL_KERNEL_KINDS), which only backends listing it run. */
export const OPTIONAL_KERNEL_CASES: Readonly<Record<string, KernelKind>> = { 'kernel.softmax-rows': 'softmax' };

/**
 * The kernel cases a backend with these kernel kinds runs: every case but those of an
 * optional kind it does not list.
 *
 * @example
 * ```ts
 * for (const [name, make] of kernelCasesFor(backend.capabilities.kernels)) await runKernelCase(backend, make(rng));
 * ```
 */
export function kernelCasesFor(kinds: readonly KernelKind[]): [string, (rng: TestRandom) => KernelCase][] {
  return Object.entries(KERNEL_CASES).filter(([name]) => {
    const needs = OPTIONAL_KERNEL_CASES[name];
    return needs === undefined || kinds.includes(needs);
  });
}

/**
 * Runs a kernel case on a backend and returns, per buffer, the relative error against the
 * reference Program interpreter (buffers the case only reads come out 0).
 *
 * @example
 * ```ts
 * const errs = await runKernelCase(backend, KERNEL_CASES['kernel.gather-onehot']!(new TestRandom(1)));
 * ```
 */
export async function runKernelCase(b: Backend, c: KernelCase): Promise<number[]> {
  const want = c.init.map((d) => d.slice());
  interpretProgram(c.program, want);
  const bufs = c.program.buffers.map((s, i) => {
    const buf = b.allocate(s.dtype, s.size);
    const data = allocTyped(s.dtype, s.size);
    data.set(c.init[i]!);
    b.write(buf, data);
    return buf;
  });
  const exe = b.compile(c.program, { precision: 'fp32' });
  try {
    if (exe.ready) await exe.ready;
    exe.run(bufs);
    const errors: number[] = [];
    for (let i = 0; i < bufs.length; i++) errors.push(relativeError(await b.read(bufs[i]!), want[i]!));
    return errors;
  } finally {
    exe.dispose();
    bufs.forEach((x) => b.free(x));
  }
}
