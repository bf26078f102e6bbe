/**
 * The native CPU kernels (native/*.cc, built by `binding.gyp`): their typed interface and
 * the loader.
 *
 * The addon is found with `node-gyp-build`: the prebuild that `scripts/build-native.mjs`
 * (prebuildify) writes under `dist/prebuilds/<platform>-<arch>/`, which the package ships, or
 * a `build/Release` left by a plain node-gyp build in a checkout. It is loaded once,
 * when this module is first imported, and only in Node: in a browser or a worker without
 * `process` nothing is imported and the TypeScript kernels run. Node built-ins are reached
 * through a dynamic `import('node:module')` so that bundlers for the browser never see them.
 *
 * `SYMGRAD_CPU_NATIVE=0` turns the addon off (the TypeScript path runs everywhere);
 * `SYMGRAD_NUM_THREADS` sizes its thread pool (default: the hardware's thread count).
 */

import type { TypedArray } from '@symgrad/core';
import { OPCODES } from './codegen/bytecode.js';

/** Instruction-set tiers of the GEMM micro-kernels, best first; chosen at run time by CPU features. */
export type NativeIsa = 'avx512' | 'avx2' | 'generic';

/**
 * Epilogues the native GEMM fuses (native/gemm.h): 0 none; 1 relu (NaN passes, -0 becomes
 * +0, as the JavaScript relu); 2 C = X > 0 ? C : +0 (the relu-mask of a backward pass);
 * 3 C = C + X and 4 C = relu(C + X) (a bias, broadcast over rows by a row stride of 0).
 */
export type NativeEpilogue = 0 | 1 | 2 | 3 | 4;

/** A random kernel's distribution on the addon: 0 bits (int32), 1 uniform, 2 normal (float32 or float64). */
export type NativeRandomDistribution = 0 | 1 | 2;

/** The functions the addon exports (native/addon.cc). */
export interface NativeCpuAddon {
  /**
   * C = alpha·op(A)·op(B) + beta·C in place, for every matrix t of a batch:
   * op(A)(i, p) = a[offsets[3t] + i·aRs + p·aCs], op(B)(p, j) = b[offsets[3t+1] + p·bRs + j·bCs],
   * C(i, j) = c[offsets[3t+2] + i·cRs + j·cCs], with strides = [aRs, aCs, bRs, bCs, cRs, cCs].
   * dtype 0 takes Float32Arrays, 1 Float64Arrays. beta = 0 never reads C. Every view is
   * bounds-checked (a RangeError instead of a crash). The result does not depend on the
   * number of threads.
   *
   * An optional epilogue runs on C once its product is complete (see NativeEpilogue); the
   * mask reads X(i, j) = aux[auxOffsets[t] + i·auxStrides[0] + j·auxStrides[1]].
   *
   * For a single matrix, `packedB` (at least `packedBSize(dtype, n, k)` elements) keeps op(B)
   * packed between calls: with `packedFresh` false the call packs op(B) into it, with true it
   * reads the panels from it and skips packing (the caller vouches that op(B) is unchanged).
   */
  gemm(
    dtype: 0 | 1, m: number, n: number, k: number,
    a: Float32Array | Float64Array, b: Float32Array | Float64Array, c: Float32Array | Float64Array,
    offsets: Float64Array, strides: Float64Array, alpha: number, beta: number,
    epilogue?: NativeEpilogue | null, aux?: Float32Array | Float64Array | null, auxOffsets?: Float64Array | null, auxStrides?: Float64Array | null,
    packedB?: Float32Array | Float64Array, packedFresh?: boolean,
  ): void;
  /** Elements of gemm's `packedB` for a k×n op(B) under the active ISA tier. */
  packedBSize(dtype: 0 | 1, n: number, k: number): number;
  /**
   * outputs = bytecode(inputs) over strided views (src/codegen/bytecode.ts compiles the
   * expressions; native/elementwise.cc runs them). geometry: [rank, dims…, then per view
   * (inputs then outputs) offset, strides…]. Every view is bounds-checked.
   */
  elementwise(code: Int32Array, consts: Float64Array, geometry: Int32Array, arrays: readonly TypedArray[], inputs: number): void;
  /**
   * output[kept] = epilogue(op over the trailing dims of prologue(inputs…)); op 0 sum, 1 max,
   * 2 min, 3 argmax; accRound rounds the accumulator to the prologue's dtype (bytecode.ts
   * roundCode). geometry as elementwise's, kept dims first; the output (last view) has stride 0
   * along reduced dims.
   */
  reduce(
    op: 0 | 1 | 2 | 3, accRound: number, prologue: Int32Array, prologueConsts: Float64Array,
    epilogue: Int32Array | null, epilogueConsts: Float64Array, geometry: Int32Array, keptRank: number, arrays: readonly TypedArray[],
  ): void;
  /** geometry: [rows, classes, zOff, zRs, zCs, yOff, yS, lossOff, lossS, gOff, gRs, gCs, sOff, sS]. */
  softmaxCrossEntropy(
    logits: TypedArray, labels: TypedArray, loss: TypedArray, gradOut: TypedArray | null, scale: TypedArray | null, geometry: Int32Array,
  ): void;
  /** Row softmax (log = 1: log-softmax) over [rows, cols]; geometry: [rows, cols, xOff, xRs, xCs, oOff, oRs, oCs, log]. */
  softmax(input: TypedArray, output: TypedArray, geometry: Int32Array): void;
  /** geometry: [rows, classes, xOff, xRs, xCs, iOff, iS, oOff, oS]. */
  gather(input: TypedArray, indices: TypedArray, output: TypedArray, geometry: Int32Array): void;
  /** geometry: [rank + 1, dims…, depth, then for the indices and the output: offset, strides… (the indices' last is 0)]. */
  oneHot(indices: TypedArray, output: TypedArray, geometry: Int32Array): void;
  /** geometry: [outer, size, inner, n, xOff, xS0, xS1, xS2, iOff, iS, oOff, oS0, oS1, oS2]; `fill` where an index is out of range. */
  take(input: TypedArray, indices: TypedArray, output: TypedArray, geometry: Int32Array, fill: number): void;
  /** In place, in index order; geometry: [outer, size, inner, n, oOff, oS0, oS1, oS2, iOff, iS, uOff, uS0, uS1, uS2]. */
  scatterAdd(updates: TypedArray, indices: TypedArray, output: TypedArray, geometry: Int32Array): void;
  /**
   * A `random` kernel (native/random.cc; @symgrad/core's fillRandom has the semantics): fills
   * output[oOff .. oOff + n) from the Philox state state[sOff .. sOff + 4), and with `next`
   * writes the advanced state to next[nOff .. nOff + 4). The output is an Int32Array for bits,
   * a Float32Array or Float64Array otherwise. geometry: [sOff, oOff, n, nOff]. The result
   * does not depend on the number of threads.
   */
  random(distribution: NativeRandomDistribution, state: Int32Array, output: TypedArray, next: Int32Array | null, geometry: Int32Array): void;
  /** The bytecode's opcode names in the addon's order. */
  bytecodeOps(): string[];
  /** The micro-kernel tier in use. */
  isa(): NativeIsa;
  /** Forces a tier (tests); false when this CPU cannot run it. */
  setIsa(isa: NativeIsa): boolean;
  /** Threads of the persistent pool (the calling thread included). */
  numThreads(): number;
  /** Resizes the pool (joins the old workers, starts new ones). */
  setNumThreads(n: number): void;
}

/** Whether the addon loaded, and if not, why. */
export type NativeStatus =
  | { readonly ok: true; readonly addon: NativeCpuAddon }
  | { readonly ok: false; readonly reason: string; readonly disabled: boolean };

const ADDON_FUNCTIONS = [
  'gemm', 'packedBSize', 'isa', 'setIsa', 'numThreads', 'setNumThreads', 'elementwise', 'reduce', 'softmaxCrossEntropy', 'softmax', 'gather', 'oneHot', 'take', 'scatterAdd', 'random', 'bytecodeOps',
] as const;

interface NodeProcessLike {
  readonly versions?: { readonly node?: string };
  readonly env?: Record<string, string | undefined>;
  emitWarning?: unknown;
}

function nodeProcess(): NodeProcessLike | undefined {
  const p = (globalThis as { process?: NodeProcessLike }).process;
  return typeof p !== 'undefined' && p?.versions?.node ? p : undefined;
}

/**
 * Loads the addon from a package root (default: this package's); never throws. The module
 * calls it once on import; tests call it with another root to see the failure path.
 *
 * @example
 * ```ts
 * const s = await loadNativeCpu('/nowhere/');
 * s.ok; // false
 * ```
 */
export async function loadNativeCpu(packageRoot?: string): Promise<NativeStatus> {
  const proc = nodeProcess();
  if (!proc) return { ok: false, reason: 'not running in Node', disabled: false };
  if (proc.env?.SYMGRAD_CPU_NATIVE === '0') return { ok: false, reason: 'SYMGRAD_CPU_NATIVE=0', disabled: true };
  try {
    // A variable specifier keeps browser bundlers from resolving the built-in.
    const spec = 'node:module';
    const { createRequire } = (await import(/* @vite-ignore */ /* webpackIgnore: true */ spec)) as typeof import('node:module');
    const require = createRequire(import.meta.url);
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    // This file is src/native.ts or dist/native.js: the package root is one level up.
    const root = packageRoot ?? decodeURIComponent(new URL('..', import.meta.url).pathname);
    let addon: unknown;
    try {
      addon = nodeGypBuild(root);
    } catch {
      addon = nodeGypBuild(`${root.replace(/\/?$/, '/')}dist`);
    }
    const missing = ADDON_FUNCTIONS.filter((f) => typeof (addon as Record<string, unknown>)?.[f] !== 'function');
    if (missing.length) throw new Error(`the addon lacks ${missing.join(', ')}`);
    (addon as NativeCpuAddon).isa();
    const ops = (addon as NativeCpuAddon).bytecodeOps();
    if (ops.join() !== OPCODES.join()) throw new Error(`the addon's bytecode opcodes (${ops.join(', ')}) differ from src/codegen/bytecode.ts`);
    return { ok: true, addon: addon as NativeCpuAddon };
  } catch (err) {
    const first = String((err as Error)?.message ?? err).split('\n')[0]!;
    return { ok: false, reason: first, disabled: false };
  }
}

const status: NativeStatus = await loadNativeCpu();

let noticed = false;

/**
 * The addon, or undefined when it is unavailable or turned off. The first call that finds it
 * unavailable (for a reason other than SYMGRAD_CPU_NATIVE=0 or not being in Node) prints one
 * line to stderr.
 *
 * @example
 * ```ts
 * const native = nativeCpuAddon();
 * native?.isa(); // 'avx512'
 * ```
 */
export function nativeCpuAddon(): NativeCpuAddon | undefined {
  if (status.ok) return status.addon;
  if (!status.disabled && !noticed && nodeProcess()) {
    noticed = true;
    console.warn(`symgrad: native CPU kernels unavailable (${status.reason}); using the TypeScript path`);
  }
  return undefined;
}

/**
 * Whether the addon loaded, and if not, why (prints nothing).
 *
 * @example
 * ```ts
 * const s = nativeCpuStatus();
 * if (!s.ok) console.log(s.reason);
 * ```
 */
export function nativeCpuStatus(): NativeStatus {
  return status;
}

/**
 * The device string of a backend on this addon, e.g. 'native avx512, 2 threads'.
 *
 * @example
 * ```ts
 * describeNative(nativeCpuAddon()!); // 'native avx512, 2 threads'
 * ```
 */
export function describeNative(addon: NativeCpuAddon): string {
  const n = addon.numThreads();
  return `native ${addon.isa()}, ${n} thread${n === 1 ? '' : 's'}`;
}
