import type { DType, View } from '@symgrad/core';
import { floatLiteral as num, renderCast } from './expr.js';
import type { KernelLaunch } from './source.js';

/**
 * Texture (pipeline) mode: a gpu.js kernel writes a whole texture, and a texture holds a
 * whole buffer, so a launch whose output is a view into part of a buffer must produce every
 * element of that buffer. This file re-renders a launch over its whole output buffer: threads
 * inside the view run the launch's body, threads outside return the buffer's old value
 * (read from the previous texture; the runtime's kernels are immutable, so the new texture is
 * never the one read). Pure string generation, no device.
 */

export interface BufferLaunch {
  readonly label: string;
  /** Buffer ids, in parameter order (the output buffer too when old values pass through). */
  readonly params: readonly number[];
  readonly source: string;
  /** Threads: the whole output buffer's size. */
  readonly size: number;
  readonly buffer: number;
}

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Whether a view is the whole buffer, row-major from offset 0. */
export function coversBuffer(view: View, bufferSize: number): boolean {
  let stride = 1;
  for (let d = view.shape.length - 1; d >= 0; d--) {
    if (view.shape[d] !== 1 && view.strides[d] !== stride) return false;
    stride *= view.shape[d]!;
  }
  return view.offset === 0 && stride === bufferSize;
}

/**
 * The dims of a view that can be recovered from a buffer position, outermost first, or
 * undefined when positions are ambiguous (a stride of 0 or below over a dim of size > 1, or
 * dims that interleave). Sorting by stride and requiring each stride to exceed the span of
 * the dims inside it makes the greedy division below exact.
 */
function invertibleDims(view: View): number[] | undefined {
  const dims = view.shape.map((_, d) => d).filter((d) => view.shape[d] !== 1);
  if (dims.some((d) => view.strides[d]! <= 0)) return undefined;
  dims.sort((a, b) => view.strides[b]! - view.strides[a]!);
  let span = 0;
  for (let i = dims.length - 1; i >= 0; i--) {
    const d = dims[i]!;
    if (view.strides[d]! <= span) return undefined;
    span += (view.shape[d]! - 1) * view.strides[d]!;
  }
  return dims;
}

/** The stored value of a result for a dtype (the host path rounds in `scatter` instead). */
const store = (dtype: DType, x: string): string => (dtype === 'float32' ? x : renderCast(dtype, x));

/**
 * The launch over its whole output buffer, or undefined when the output view cannot be
 * inverted (then the runtime runs it through host arrays; see runtime/texture-executable.ts).
 *
 * @example
 * ```ts
 * toBufferLaunch(launch, 12)?.source; // 'function (b0, b2) { let wp = this.thread.x * 1.0; … }'
 * ```
 */
export function toBufferLaunch(l: KernelLaunch, bufferSize: number): BufferLaunch | undefined {
  const out = l.output;
  const render = (params: readonly number[], lines: readonly string[]): BufferLaunch => ({
    label: l.label, params, size: bufferSize, buffer: out.buffer,
    source: `function (${params.map((p) => `b${p}`).join(', ')}) {\n${lines.map((x) => `  ${x}`).join('\n')}\n}`,
  });
  if (coversBuffer(out, bufferSize)) {
    return render(l.params, [`let ${l.flat} = this.thread.x * 1.0;`, ...l.body, `return ${store(l.dtype, l.result)};`]);
  }
  const dims = invertibleDims(out);
  if (!dims || l.size === 0) return undefined;
  // Buffer position → multi-index: divide greedily by the largest stride first. Each
  // quotient is taken on q + 0.5 so an inexact float division never lands on the wrong
  // integer (positions are exact below 2^24, the buffer limit).
  const lines = ['let wp = this.thread.x * 1.0;', `let wq = wp - ${num(out.offset)};`];
  const conds = ['wq >= 0.0'];
  const rowMajor = out.shape.map((_, d) => product(out.shape.slice(d + 1)));
  const flatTerms: string[] = [];
  dims.forEach((d, i) => {
    lines.push(`let wj${i} = Math.floor((wq + 0.5) / ${num(out.strides[d]!)});`, `wq = wq - wj${i} * ${num(out.strides[d]!)};`);
    conds.push(`wj${i} >= 0.0`, `wj${i} < ${num(out.shape[d]!)}`);
    flatTerms.push(`wj${i} * ${num(rowMajor[d]!)}`);
  });
  lines.push(`let win = (${[...conds, 'wq == 0.0'].join(' && ')} ? 1.0 : 0.0);`);
  // Outside the view the body still runs (no divergent early return in GLSL), on index 0,
  // which stays in range; its result is discarded.
  lines.push(`let ${l.flat} = (win > 0.5 ? ${flatTerms.length ? flatTerms.join(' + ') : '0.0'} : 0.0);`);
  const params = [...new Set([...l.params, out.buffer])].sort((a, b) => a - b);
  return render(params, [...lines, ...l.body, `return (win > 0.5 ? ${store(l.dtype, l.result)} : b${out.buffer}[wp]);`]);
}
