import { contiguousView, matmulEpiloguePattern, sameView, type DType, type ElementwiseKernel, type MatmulEpiloguePattern, type MatmulKernel, type ScalarExpr, type TypedArray } from '@symgrad/core';
import { compileWriteout } from '../codegen/matmul-epilogue.js';
import type { NativeCpuAddon, NativeEpilogue } from '../native.js';
import { versionOf } from './buffer-versions.js';
import type { BufferTable, KernelStep } from './kernel-step.js';
import { matrixStrides } from './matmul-views.js';
import { compileNativeElementwise, type KernelScratch } from './native-elementwise.js';

/**
 * Matmul kernels on the native GEMM (native/gemm.cc): one addon call per run covers the whole
 * batch, on the backend's own typed arrays (no copies). The addon writes alpha·op(A)·op(B) +
 * beta·out into the output; an epilogue then runs in place over the output as one pass of
 * the addon's elementwise bytecode, or of a generated loop where the addon cannot take it
 * (either reads the product from the output: it is
 * exactly the product rounded to the matmul's dtype, the epilogue's input 0). The two
 * epilogues of an MLP's training step, relu(x) and where(h > 0, x, 0), run inside the addon
 * instead, on each tile of C while it is in cache.
 *
 * An output that is also an epilogue input at the same elements (an SGD update fused into its
 * gradient's product, `w − lr·xᵀg` written over w) gets the product in an array the step owns,
 * and the epilogue reads it from there and w from the output, element by element in place.
 *
 * Kernels the addon does not suit return undefined and run on the TypeScript GEMM: other
 * dtypes, operands stored in another dtype, an output with a zero or negative stride (threads
 * would race on shared elements), or an output that aliases an operand, or an epilogue input
 * at other elements (the product would overwrite what is still to be read).
 */

const NO_ACC = new Float64Array(0);

/** The id of a matmul step's own product array in its epilogue's views (no Program buffer is negative). */
const PRODUCT_SCRATCH = -1;

const NATIVE_EPILOGUES: Readonly<Record<MatmulEpiloguePattern, NativeEpilogue>> = { relu: 1, reluMask: 2, bias: 3, reluBias: 4 };

/**
 * The native epilogue computing exactly `expr` (see core's matmulEpiloguePattern), or
 * undefined: relu(input 0) → 1; where(input 1 > 0, input 0, 0) → 2; input 0 + input 1 → 3;
 * relu(input 0 + input 1) → 4.
 */
export function nativeEpilogueOf(expr: ScalarExpr, dtype: DType, storage1: DType | undefined): NativeEpilogue | undefined {
  const pattern = matmulEpiloguePattern(expr, dtype, storage1);
  return pattern && NATIVE_EPILOGUES[pattern];
}

/** Element offsets of A, B and the output, then of each epilogue input, for every batch index. */
function batchOffsets(batch: readonly number[], strides: readonly (readonly number[])[], bases: readonly number[]): Float64Array[] {
  const nb = batch.length;
  const count = batch.reduce((x, y) => x * y, 1);
  const out = strides.map(() => new Float64Array(count));
  const counter = new Array<number>(nb).fill(0);
  for (let t = 0; t < count; t++) {
    strides.forEach((s, v) => {
      let off = bases[v]!;
      for (let d = 0; d < nb; d++) off += counter[d]! * s[d]!;
      out[v]![t] = off;
    });
    for (let d = nb - 1; d >= 0; d--) {
      if (++counter[d]! < batch[d]!) break;
      counter[d] = 0;
    }
  }
  return out;
}

/**
 * Whether the GEMM keeps op(B) packed between runs: a single matrix whose B is a weight (a
 * shared variable or a constant) that this Program never writes, as in inference. Another
 * Program that updates the weight changes its version (buffer-versions.ts), which repacks.
 * Inputs are never kept: the caller's array may change without a version.
 */
function keepsPackedB(k: MatmulKernel, buffers: BufferTable, count: number): boolean {
  const role = buffers.spec(k.b.buffer).role;
  return count === 1 && (role === 'shared' || role === 'constant') && !buffers.written(k.b.buffer);
}

type Float = Float32Array | Float64Array;
/** Runs one GEMM call with a kept packed op(B) (or none), told whether it is current. */
type PackedRun = (b: Float, gemm: (kept: Float | undefined, fresh: boolean) => void) => void;

/**
 * The kept packed op(B) of one matmul step: current for `b` when it was packed from the same
 * array at the same version under the same ISA tier (tests switch tiers). Allocated on the
 * first run and reused, so a steady state allocates nothing. A call that throws leaves it
 * marked stale.
 */
function packedBKeeper(native: NativeCpuAddon, code: 0 | 1, n: number, k: number): PackedRun {
  let kept: Float | undefined;
  let of: TypedArray | undefined;
  let version = -1;
  let isa = '';
  return (b, gemm) => {
    const v = versionOf(b);
    const tier = native.isa();
    if (kept && of === b && version === v && isa === tier) {
      gemm(kept, true);
      return;
    }
    const size = native.packedBSize(code, n, k);
    if (!kept || kept.length < size) kept = code === 0 ? new Float32Array(size) : new Float64Array(size);
    of = undefined;
    gemm(kept, false);
    [of, version, isa] = [b, v, tier];
  };
}

const NO_PACKING: PackedRun = (_b, gemm) => gemm(undefined, false);

/** A step that runs the kernel on the addon, or undefined when the TypeScript GEMM must run it. */
export function compileNativeMatmul(k: MatmulKernel, buffers: BufferTable, native: NativeCpuAddon): KernelStep | undefined {
  if (k.dtype !== 'float32' && k.dtype !== 'float64') return undefined;
  const epiInputs = k.epilogue?.inputs ?? [];
  if ([k.a, k.b, k.out].some((v) => buffers.dtype(v.buffer) !== k.dtype)) return undefined;
  const outId = k.out.buffer;
  if (k.a.buffer === outId || k.b.buffer === outId) return undefined;
  const readsOut = epiInputs.some((v) => v.buffer === outId);
  if (readsOut && (k.beta !== 0 || !epiInputs.every((v) => v.buffer !== outId || sameView(v, k.out)))) return undefined;
  const { batch, m, n } = k;
  const nb = batch.length;
  const sa = matrixStrides(k.a, 'a', batch, k.transA ? k.k : m, k.transA ? m : k.k, buffers, false);
  const sb = matrixStrides(k.b, 'b', batch, k.transB ? n : k.k, k.transB ? k.k : n, buffers, false);
  const so = matrixStrides(k.out, 'out', batch, m, n, buffers, true);
  const se = epiInputs.map((v, i) => matrixStrides(v, `epilogue input ${i}`, batch, m, n, buffers, false));
  const outSpans = [...batch.map((d, i) => (d > 1 ? so[i]! : 1)), m > 1 ? so[nb]! : 1, n > 1 ? so[nb + 1]! : 1];
  if (outSpans.some((s) => s <= 0)) return undefined;

  const [aRs, aCs] = k.transA ? [sa[nb + 1]!, sa[nb]!] : [sa[nb]!, sa[nb + 1]!];
  const [bRs, bCs] = k.transB ? [sb[nb + 1]!, sb[nb]!] : [sb[nb]!, sb[nb + 1]!];
  const strides = Float64Array.from([aRs, aCs, bRs, bCs, so[nb]!, so[nb + 1]!]);
  const [aOffs, bOffs, ...outOffs] = batchOffsets(batch, [sa, sb, so, ...se], [k.a.offset, k.b.offset, k.out.offset, ...epiInputs.map((v) => v.offset)]);
  const count = aOffs!.length;
  const offsets = new Float64Array(3 * count);
  for (let t = 0; t < count; t++) {
    offsets[3 * t] = aOffs![t]!;
    offsets[3 * t + 1] = bOffs![t]!;
    offsets[3 * t + 2] = outOffs[0]![t]!;
  }
  // The product's own array (contiguous, batch after batch) where the output is also read.
  const scratch: KernelScratch | undefined = readsOut
    ? { id: PRODUCT_SCRATCH, dtype: k.dtype, array: k.dtype === 'float32' ? new Float32Array(count * m * n) : new Float64Array(count * m * n) }
    : undefined;
  if (scratch) {
    for (let t = 0; t < count; t++) offsets[3 * t + 2] = t * m * n;
    strides[4] = n;
    strides[5] = 1;
  }
  const code = k.dtype === 'float32' ? 0 : 1;
  const { alpha, beta, a: av, b: bv } = k;
  const kk = k.k;
  const epi = k.epilogue;
  const fused = epi && !scratch ? nativeEpilogueOf(epi.expr, k.dtype, epiInputs[0] ? buffers.dtype(epiInputs[0].buffer) : undefined) : epi ? undefined : 0;
  const withB = keepsPackedB(k, buffers, count) ? packedBKeeper(native, code, n, kk) : NO_PACKING;
  // The epilogue the addon applies in its tiles (code 0: none), with its aux matrix where it
  // reads one; any other epilogue runs after the GEMM, below.
  const aux = fused !== undefined && fused >= 2
    ? { id: epiInputs[0]!.buffer, offsets: outOffs[1]!, strides: Float64Array.from([se[0]![nb]!, se[0]![nb + 1]!]) }
    : undefined;
  const gemmStep: KernelStep = (data) => {
    const b = data[bv.buffer] as Float;
    withB(b, (kept, fresh) => native.gemm(
      code, m, n, kk, data[av.buffer] as Float, b, (scratch ? scratch.array : data[outId]) as Float, offsets, strides, alpha, beta,
      fused ?? null, aux ? (data[aux.id] as Float) : null, aux?.offsets ?? null, aux?.strides ?? null, kept, fresh,
    ));
  };
  if (fused !== undefined || !epi) return gemmStep;

  // Any other epilogue (a bias, an activation of a bias) runs in place over the whole output
  // as the addon's bytecode, multithreaded; input(0) is the output itself.
  const shape = [...batch, m, n];
  const full = (v: { buffer: number; offset: number }, strides: readonly number[]) => ({ buffer: v.buffer, offset: v.offset, shape, strides: [...strides] });
  const product = scratch ? contiguousView(scratch.id, shape) : full(k.out, so);
  const epiKernel: ElementwiseKernel = {
    kind: 'elementwise', shape, inputs: [product, ...epiInputs.map((v, i) => full(v, se[i]!))], outputs: [full(k.out, so)], exprs: [epi.expr], label: k.label,
  };
  const nativeEpi = compileNativeElementwise(epiKernel, buffers, native, scratch);
  if ('step' in nativeEpi) {
    const epiStep = nativeEpi.step;
    return (data) => {
      gemmStep(data);
      epiStep(data);
    };
  }

  // The generated loop reads the product from the output only.
  if (scratch) return undefined;
  // The epilogue, in place over each batch's output block.
  const outViews = [k.out, ...epiInputs];
  const outStrides = [so, ...se];
  const writeout = compileWriteout({
    dtype: k.dtype,
    storage: outViews.map((v) => buffers.dtype(v.buffer)),
    betaZero: true,
    epilogue: epi.expr,
    inPlace: true,
  });
  const ids = Int32Array.from(outViews, (v) => v.buffer);
  const g = new Int32Array(3 * outViews.length);
  for (let v = 0; v < outViews.length; v++) {
    g[3 * v + 1] = outStrides[v]![nb]!;
    g[3 * v + 2] = outStrides[v]![nb + 1]!;
  }
  return (data: readonly TypedArray[]) => {
    gemmStep(data);
    for (let t = 0; t < count; t++) {
      for (let v = 0; v < outViews.length; v++) g[3 * v] = outOffs[v]![t]!;
      writeout(NO_ACC, 0, m, n, 1, 0, data, ids, g);
    }
  };
}
