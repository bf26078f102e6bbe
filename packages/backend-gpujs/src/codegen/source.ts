import type { DType, View } from '@symgrad/core';
import { floatLiteral } from './expr.js';

/**
 * One gpu.js kernel: a function over `this.thread.x` (the flat, row-major index into
 * `output.shape`) returning one float per output element; the runtime copies the results
 * into the output view. Parameters are whole buffers, named `b<id>`.
 */
export interface KernelLaunch {
  readonly label: string;
  /** Buffer ids, in parameter order. */
  readonly params: readonly number[];
  /** `function (b0, b3) { … }`: gpu.js kernel source. */
  readonly source: string;
  /** Number of output elements (threads). */
  readonly size: number;
  readonly output: View;
  /** The output buffer's dtype (results are rounded to it when stored). */
  readonly dtype: DType;
  /**
   * The body without the thread binding and the return, so codegen/buffer-launch.ts can
   * re-render it over a whole output buffer (texture mode) with a different thread binding.
   */
  readonly body: readonly string[];
  /** The variable the body reads as the flat index into `output.shape`. */
  readonly flat: string;
  /** The returned expression. */
  readonly result: string;
  /** Index of the IR kernel this launch belongs to (set by generateProgram; launches of one kernel read the same inputs). */
  readonly kernel?: number;
  /**
   * Launches of one IR kernel run in stages (0 when absent): a launch sees the results of
   * the kernel's earlier stages (softmax's row statistics), while launches of one stage all
   * read what the buffers held before it.
   */
  readonly stage?: number;
  /**
   * The output buffer is this backend's own temporary, not one of the Program's: its id
   * lies past the Program's buffers and the executable allocates it (`size` float32
   * elements). Later stages of the same kernel read it.
   */
  readonly scratch?: boolean;
}

const num = (v: number): string => floatLiteral(v);

/** Builds a kernel body: registers the buffers it reads and names temporaries. */
export class KernelSourceBuilder {
  private readonly buffers = new Set<number>();
  readonly lines: string[] = [];
  private n = 0;

  /** A fresh identifier with a fixed prefix. */
  fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  let(prefix: string, value: string): string {
    const name = this.fresh(prefix);
    this.lines.push(`let ${name} = ${value};`);
    return name;
  }

  /**
   * Splits a flat row-major index (a float expression) over `shape` into one float variable
   * per dim. Exact in float32 arithmetic below 2^24 elements: each quotient is taken on
   * index + 0.5, so a slightly inexact GPU division never lands on the wrong integer.
   */
  decompose(flat: string, shape: readonly number[]): string[] {
    const out: string[] = [];
    let rem = flat;
    for (let d = 0; d < shape.length; d++) {
      const stride = shape.slice(d + 1).reduce((a, b) => a * b, 1);
      if (d === shape.length - 1) {
        out.push(this.let('i', rem));
        break;
      }
      if (shape[d] === 1) {
        out.push('0.0');
        continue;
      }
      const q = this.let('i', `Math.floor((${rem} + 0.5) / ${num(stride)})`);
      out.push(q);
      rem = this.let('r', `${rem} - ${q} * ${num(stride)}`);
    }
    return out;
  }

  /**
   * A loop of a fixed trip count (GLSL needs constant bounds). The body sees a float
   * counter, so index arithmetic never mixes GLSL ints and floats.
   */
  loop(count: number, body: (counter: string) => void): void {
    const f = this.let('k', '0.0');
    const r = this.fresh('n');
    const start = this.lines.length;
    body(f);
    const inner = this.lines.splice(start).map((l) => `  ${l}`);
    this.lines.push(`for (let ${r} = 0; ${r} < ${Math.max(0, Math.trunc(count))}; ${r}++) {`, ...inner, `  ${f} = ${f} + 1.0;`, '}');
  }

  /** The element offset of a multi-index into a view (dims of stride 0 are skipped). */
  offset(view: View, index: readonly string[]): string {
    const terms = [num(view.offset)];
    view.strides.forEach((s, d) => {
      if (s !== 0 && view.shape[d] !== 1) terms.push(`${index[d]} * ${num(s)}`);
    });
    return terms.join(' + ');
  }

  /** Reads a view at a multi-index. */
  read(view: View, index: readonly string[]): string {
    return this.readAt(view.buffer, this.offset(view, index));
  }

  /** Reads a buffer at an element offset (a float expression). */
  readAt(buffer: number, offset: string): string {
    this.buffers.add(buffer);
    return `b${buffer}[${offset}]`;
  }

  /** The finished launch; `result` is the returned expression. */
  finish(label: string, result: string, output: View, dtype: DType): KernelLaunch {
    const params = [...this.buffers].sort((a, b) => a - b);
    const body = [...this.lines, `return ${result};`].map((l) => `  ${l}`).join('\n');
    const source = `function (${params.map((p) => `b${p}`).join(', ')}) {\n${body}\n}`;
    const [bind, ...rest] = this.lines;
    const flat = /^let (t\d+) = this\.thread\.x \* 1\.0;$/.exec(bind ?? '')?.[1];
    if (!flat) throw new Error(`gpujs codegen: kernel '${label}': the body must start with the thread binding (use threadBuilder)`);
    return { label, params, source, size: output.shape.reduce((a, b) => a * b, 1), output, dtype, body: rest, flat, result };
  }
}

/** A builder whose first line binds the thread's flat index to a float variable. */
export function threadBuilder(): { b: KernelSourceBuilder; flat: string } {
  const b = new KernelSourceBuilder();
  const flat = b.let('t', 'this.thread.x * 1.0');
  return { b, flat };
}
