import type { DType, TypedArray } from '../ir/dtype.js';
import { allocTyped } from '../ir/dtype.js';
import { sx, type ScalarExpr } from '../codegen/scalar-expr.js';
import { sizeOf } from '../ir/type.js';
import type { BufferRole, BufferSpec, Kernel, KernelKind, View } from './program.js';
import { contiguousView, isContiguous, reshapeView } from './view.js';

/**
 * The state of lowering one graph for concrete shapes: the buffers created so far, the
 * kernels emitted, and constant data to upload. Lowering rules use it to emit kernels.
 */
export class LoweringContext {
  readonly buffers: BufferSpec[] = [];
  readonly kernels: Kernel[] = [];
  readonly constants = new Map<number, TypedArray>();

  /** `optional`: the optional kernel kinds the target backend runs (see OPTIONAL_KERNEL_KINDS). */
  constructor(private readonly optional: ReadonlySet<KernelKind> = new Set()) {}

  /** Whether the backend runs an optional kernel kind, so a rule may emit it. */
  supports(kind: KernelKind): boolean {
    return this.optional.has(kind);
  }

  newBuffer(dtype: DType, size: number, role: BufferRole): number {
    const id = this.buffers.length;
    this.buffers.push({ id, dtype, size, role });
    return id;
  }

  /** A fresh contiguous temporary of a shape. */
  temp(dtype: DType, shape: readonly number[]): View {
    return contiguousView(this.newBuffer(dtype, sizeOf(shape), 'temp'), shape);
  }

  constant(data: TypedArray, dtype: DType, shape: readonly number[]): View {
    const id = this.newBuffer(dtype, data.length, 'constant');
    this.constants.set(id, data);
    return contiguousView(id, shape);
  }

  scalarConstant(value: number, dtype: DType): View {
    const data = allocTyped(dtype, 1);
    data[0] = value;
    return this.constant(data, dtype, []);
  }

  emit(kernel: Kernel): void {
    this.kernels.push(kernel);
  }

  dtypeOf(v: View): DType {
    return this.buffers[v.buffer]!.dtype;
  }

  /** Writes `src` into `dst` (same shape) with one elementwise kernel. */
  copy(src: View, dst: View, label: string): void {
    const dtype = this.dtypeOf(dst);
    const from = sx.input(0, this.dtypeOf(src));
    this.emit({ kind: 'elementwise', shape: [...dst.shape], inputs: [src], outputs: [dst], exprs: [from.dtype === dtype ? from : sx.unary('cast', from, dtype)], label });
  }

  /** `v` itself when contiguous, else a contiguous copy. */
  contiguous(v: View, label: string): View {
    if (isContiguous(v)) return v;
    const out = this.temp(this.dtypeOf(v), v.shape);
    this.copy(v, out, `${label}.copy`);
    return out;
  }

  /** A reshaped view, copying first when the layout does not allow a view. */
  reshape(v: View, shape: readonly number[], label: string): View {
    return reshapeView(v, shape) ?? reshapeView(this.contiguous(v, label), shape)!;
  }

  /** Emits an elementwise kernel computing `expr` over `inputs` into a new temporary. */
  elementwise(shape: readonly number[], inputs: readonly View[], expr: ScalarExpr, label: string): View {
    const out = this.temp(expr.dtype, shape);
    this.emit({ kind: 'elementwise', shape: [...shape], inputs: [...inputs], outputs: [out], exprs: [expr], label });
    return out;
  }
}
