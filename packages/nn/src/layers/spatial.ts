/**
 * The window arithmetic of 2-D convolution and pooling over channels-last images
 * ([batch, height, width, channels]), written with core's movement ops: padding is a
 * concatenation with constant borders, and the windows are strided slices, so the layers
 * built on them differentiate and run on every backend.
 */
import { constant, T, type Variable } from '@symgrad/core';

export type Padding = 'valid' | 'same';

/** One spatial axis: the output size and the padding before and after it. */
export interface AxisWindows {
  readonly out: number;
  readonly before: number;
  readonly after: number;
}

/**
 * Output size and padding of one axis of `size` with windows of `kernel` every `stride`:
 * 'valid' uses only whole windows; 'same' gives ⌈size / stride⌉ outputs, padding the rest
 * with the odd element after (TensorFlow's rule, which Keras follows).
 */
export function axisWindows(size: number, kernel: number, stride: number, padding: Padding): AxisWindows {
  if (padding === 'valid') return { out: Math.max(0, Math.floor((size - kernel) / stride) + 1), before: 0, after: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + kernel - size);
  return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
}

/** The windows of an image layer's per-example input [height, width, channels]. */
export interface ImageGeometry {
  readonly rows: AxisWindows;
  readonly cols: AxisWindows;
  readonly channels: number;
}

/**
 * The windows of `what` ('kernel', 'pool') of size `window` every `strides` over a layer's
 * per-example input shape; throws naming the layer where the shape is not an image or no
 * window fits.
 */
export function imageGeometry(layer: string, inputShape: readonly number[], what: string, window: readonly [number, number], strides: readonly [number, number], padding: Padding): ImageGeometry {
  if (inputShape.length !== 3) throw new Error(`${layer} expects per-example inputs [height, width, channels], got [${inputShape.join(', ')}]`);
  const [h, w, channels] = inputShape as [number, number, number];
  const rows = axisWindows(h, window[0], strides[0], padding);
  const cols = axisWindows(w, window[1], strides[1], padding);
  if (rows.out === 0 || cols.out === 0) {
    throw new Error(`${layer}: a ${window.join('×')} ${what} does not fit in ${h}×${w} inputs with padding 'valid'; use padding 'same' or a smaller ${what}`);
  }
  return { rows, cols, channels };
}

/** `x` with `before`/`after` rows of `value` added on `axis` (1 or 2), the batch size staying symbolic. */
function padAxis(x: Variable, axis: number, before: number, after: number, value: number): Variable {
  if (before === 0 && after === 0) return x;
  const border = (n: number): Variable => {
    const spec = x.shape.map((_, d) => (d === axis ? ([0, n] as [number, number]) : null));
    return T.broadcastLike(constant(value, x.dtype), T.slice(x, ...spec));
  };
  return T.concat([...(before > 0 ? [border(before)] : []), x, ...(after > 0 ? [border(after)] : [])], axis);
}

/**
 * The kernel-sized windows of `x` ([batch, h, w, c]) as `kh · kw` strided slices, each
 * [batch, outH, outW, c], in row-major kernel order (i, then j); padded with `value` first.
 * With a dilation d, a window's taps are d apart.
 */
export function windows(x: Variable, kernel: readonly [number, number], strides: readonly [number, number], rows: AxisWindows, cols: AxisWindows, value = 0, dilation: readonly [number, number] = [1, 1]): Variable[] {
  const padded = padAxis(padAxis(x, 1, rows.before, rows.after, value), 2, cols.before, cols.after, value);
  const out: Variable[] = [];
  for (let i = 0; i < kernel[0]; i++) {
    for (let j = 0; j < kernel[1]; j++) {
      const [r, c] = [i * dilation[0], j * dilation[1]];
      out.push(T.slice(padded, null, [r, r + strides[0] * (rows.out - 1) + 1, strides[0]], [c, c + strides[1] * (cols.out - 1) + 1, strides[1]], null));
    }
  }
  return out;
}

/** The extent of a dilated window: (k − 1) · d + 1. */
export function dilatedSize(kernel: readonly [number, number], dilation: readonly [number, number]): [number, number] {
  return [(kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1];
}

/** A positive integer pair from a number or a pair, for kernel sizes and strides; throws naming the layer and option. */
export function intPair(who: string, what: string, v: unknown): [number, number] {
  const pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(`${who}: ${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [pair[0] as number, pair[1] as number];
}

/** Checks a padding option. */
export function checkPadding(who: string, padding: unknown): Padding {
  if (padding !== 'valid' && padding !== 'same') throw new TypeError(`${who}: padding must be 'valid' or 'same', got ${JSON.stringify(padding)}`);
  return padding;
}
