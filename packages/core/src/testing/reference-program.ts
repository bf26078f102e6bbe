import { evalScalarExpr, roundTo } from '../codegen/scalar-expr.js';
import type { Kernel, Program, View } from '../lower/program.js';
import { takeIndex } from '../ops/indexing.js';
import { advanceRandomState, fillRandom } from '../random/philox.js';

function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    yield idx;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

const at = (v: View, idx: readonly number[]): number => idx.reduce((o, x, d) => o + x * v.strides[d]!, v.offset);

/**
 * Runs a Program kernel by kernel with the reference scalar evaluator, on float64 arrays
 * indexed by buffer id. Values are rounded to each buffer's dtype as a backend would.
 * The conformance suite compares backends against it kernel kind by kernel kind.
 *
 * @example
 * ```ts
 * const buffers = program.buffers.map((b) => new Float64Array(b.size));
 * buffers[0]!.set(inputValues);          // the Program's inputs, by buffer id
 * interpretProgram(program, buffers);
 * relativeError(backendResult, buffers[program.buffers.length - 1]!); // against a backend's output
 * ```
 */
export function interpretProgram(program: Program, buffers: Float64Array[]): void {
  const dt = (v: View) => program.buffers[v.buffer]!.dtype;
  const read = (v: View, idx: readonly number[]) => buffers[v.buffer]![at(v, idx)]!;
  const write = (v: View, idx: readonly number[], x: number) => { buffers[v.buffer]![at(v, idx)] = roundTo(dt(v), x); };
  for (const k of program.kernels) run(k);

  function run(k: Kernel): void {
    switch (k.kind) {
      case 'elementwise': {
        const results: [number[], number[]][] = [];
        for (const idx of indices(k.shape)) {
          const ins = k.inputs.map((v) => read(v, idx));
          results.push([[...idx], k.exprs.map((e) => evalScalarExpr(e, ins))]);
        }
        for (const [idx, vals] of results) k.outputs.forEach((o, j) => write(o, idx, vals[j]!));
        return;
      }
      case 'reduce': {
        const kept = k.shape.map((_, i) => i).filter((i) => !k.axes.includes(i));
        const acc = new Map<string, { v: number; i: number; seen: boolean }>();
        for (const idx of indices(k.shape)) {
          const key = kept.map((d) => idx[d]).join(',');
          const x = evalScalarExpr(k.prologue, k.inputs.map((v) => read(v, idx)));
          const a = acc.get(key) ?? { v: k.op === 'sum' ? 0 : k.op === 'min' ? Infinity : -Infinity, i: 0, seen: false };
          const pos = k.axes.length ? idx[k.axes[0]!]! : 0;
          if (k.op === 'sum') a.v += x;
          else if (k.op === 'max' || k.op === 'argmax') {
            if (!a.seen || (!Number.isNaN(a.v) && (x > a.v || Number.isNaN(x)))) { a.v = x; a.i = pos; }
          } else if (!a.seen || (!Number.isNaN(a.v) && (x < a.v || Number.isNaN(x)))) a.v = x;
          a.seen = true;
          acc.set(key, a);
        }
        for (const idx of indices(k.output.shape)) {
          const a = acc.get(idx.join(',')) ?? { v: k.op === 'sum' ? 0 : k.op === 'min' ? Infinity : -Infinity, i: 0, seen: false };
          const v = k.op === 'argmax' ? a.i : roundTo(k.prologue.dtype, a.v);
          write(k.output, idx, k.epilogue ? evalScalarExpr(k.epilogue, [v]) : v);
        }
        return;
      }
      case 'matmul': {
        const { batch, m, n } = k;
        for (const bi of indices([...batch, m, n])) {
          const b = bi.slice(0, batch.length);
          const i = bi[batch.length]!;
          const j = bi[batch.length + 1]!;
          let s = 0;
          for (let p = 0; p < k.k; p++) {
            s += read(k.a, [...b, ...(k.transA ? [p, i] : [i, p])]) * read(k.b, [...b, ...(k.transB ? [j, p] : [p, j])]);
          }
          let v = k.alpha * s + (k.beta !== 0 ? k.beta * read(k.out, bi) : 0);
          if (k.epilogue) v = evalScalarExpr(k.epilogue.expr, [roundTo(k.dtype, v), ...k.epilogue.inputs.map((e) => read(e, bi))]);
          write(k.out, bi, v);
        }
        return;
      }
      case 'gather': {
        const classes = k.input.shape[1]!;
        for (const [r] of indices(k.output.shape)) {
          const y = read(k.indices, [r!]);
          write(k.output, [r!], y >= 0 && y < classes ? read(k.input, [r!, y]) : NaN);
        }
        return;
      }
      case 'take': {
        const size = k.input.shape[1]!;
        for (const [o, j, i] of indices(k.output.shape)) {
          const y = takeIndex(read(k.indices, [j!]), size);
          write(k.output, [o!, j!, i!], y === undefined ? k.fill : read(k.input, [o!, y, i!]));
        }
        return;
      }
      case 'scatterAdd': {
        const size = k.output.shape[1]!;
        for (const [o, j, i] of indices(k.updates.shape)) {
          const y = takeIndex(read(k.indices, [j!]), size);
          if (y !== undefined) write(k.output, [o!, y, i!], read(k.output, [o!, y, i!]) + read(k.updates, [o!, j!, i!]));
        }
        return;
      }
      case 'oneHot': {
        for (const idx of indices(k.output.shape)) {
          write(k.output, idx, read(k.indices, idx.slice(0, -1)) === idx[idx.length - 1] ? 1 : 0);
        }
        return;
      }
      case 'random': {
        const state = [0, 1, 2, 3].map((i) => read(k.state, [i]));
        const n = k.output.shape.reduce((a, b) => a * b, 1);
        const values = new Float64Array(n);
        fillRandom(k.distribution, k.dtype, state, values);
        let i = 0;
        for (const idx of indices(k.output.shape)) write(k.output, idx, values[i++]!);
        if (k.next) advanceRandomState(state, n).forEach((w, j) => write(k.next!, [j], w));
        return;
      }
      case 'softmax': {
        const [rows, cols] = k.input.shape as [number, number];
        for (let r = 0; r < rows; r++) {
          const x = Array.from({ length: cols }, (_, c) => read(k.input, [r, c]));
          const m = x.some(Number.isNaN) ? NaN : x.reduce((a, v) => (v > a ? v : a), -Infinity);
          const s = x.reduce((a, v) => a + Math.exp(v - m), 0);
          x.forEach((v, c) => write(k.output, [r, c], k.log ? v - m - Math.log(s) : Math.exp(v - m) / s));
        }
        return;
      }
      case 'softmaxCrossEntropy': {
        const [rows, classes] = k.logits.shape as [number, number];
        for (let r = 0; r < rows; r++) {
          const z = Array.from({ length: classes }, (_, c) => read(k.logits, [r, c]));
          const m = Math.max(...z);
          const s = z.reduce((a, x) => a + Math.exp(x - m), 0);
          const y = read(k.labels, [r]);
          const ok = y >= 0 && y < classes;
          write(k.loss, [r], ok ? m + Math.log(s) - z[y]! : NaN);
          if (k.grad) {
            const sc = read(k.grad.scale, [r]);
            z.forEach((x, c) => write(k.grad!.output, [r, c], (Math.exp(x - m) / s - (c === y ? 1 : 0)) * sc));
          }
        }
        return;
      }
    }
  }
}
