import { KERNEL_KINDS, type DType, type KernelKind } from '@symgrad/core';
import type { MatmulConfigChooser } from './matmul-config.js';
import type { Binding } from './wgsl-types.js';

/** The kernel kinds this backend generates: every required kind and the fused row softmax. */
export const WEBGPU_KERNEL_KINDS: readonly KernelKind[] = [...KERNEL_KINDS, 'softmax'];

/** One generated compute shader and how to launch it. */
export interface GeneratedKernel {
  /** Complete WGSL module; its entry point is `main`. */
  readonly code: string;
  /** Binding i of group 0 is buffer `bindings[i].buffer` of the Program. */
  readonly bindings: readonly Binding[];
  /** Workgroups along x, y, z. */
  readonly dispatch: readonly [number, number, number];
  readonly label: string;
  /**
   * float32 elements of scratch memory the executable owns and binds where a binding's buffer
   * is SCRATCH_BUFFER (split-K's partial products); shared by every kernel of a Program,
   * which run one after another.
   */
  readonly scratch?: number;
  /** A launch that completes the same Program kernel after this one (split-K's reduction). */
  readonly next?: GeneratedKernel;
}

/** The buffer id of a binding to the executable's scratch memory (never a Program buffer). */
export const SCRATCH_BUFFER = -1;

/** The launches of one Program kernel's generated code, in order. */
export function launchesOf(g: GeneratedKernel): GeneratedKernel[] {
  const out: GeneratedKernel[] = [];
  for (let x: GeneratedKernel | undefined = g; x; x = x.next) out.push(x);
  return out;
}

/** The device limits code generation must respect. */
export interface CodegenLimits {
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
}

/** WebGPU's guaranteed defaults (what every adapter offers). */
export const DEFAULT_CODEGEN_LIMITS: CodegenLimits = {
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
};

/** Everything a kernel generator needs besides the kernel. */
export interface CodegenContext {
  readonly dtypeOf: (buffer: number) => DType;
  readonly limits: CodegenLimits;
  /** The tile config of each matmul kernel (default: DEFAULT_MATMUL_CONFIG). */
  readonly matmulConfig?: MatmulConfigChooser;
}

/** The linear invocation index of a (possibly 2-D split) 1-D launch of `wg`-thread workgroups. */
export function linearIndex(dispatch: readonly [number, number, number], wg: number): string {
  return dispatch[1] > 1 ? `gid.x + gid.y * ${dispatch[0] * wg}u` : 'gid.x';
}

/** The linear workgroup index of a (possibly 2-D split) launch. */
export function linearGroup(dispatch: readonly [number, number, number]): string {
  return dispatch[1] > 1 ? `wid.x + wid.y * ${dispatch[0]}u` : 'wid.x';
}
