import type { Program } from '@symgrad/core';
import { generateKernel, kernelProblems } from './generate.js';
import { launchesOf, WEBGPU_KERNEL_KINDS, type CodegenContext, type CodegenLimits, type GeneratedKernel } from './kernel.js';
import type { MatmulConfigChooser } from './matmul-config.js';
import { WGSL_DTYPES } from './wgsl-types.js';

/** Limits a Program is checked against besides code generation's own. */
export interface ProgramLimits extends CodegenLimits {
  /** Largest buffer, in elements (the device's binding size / 4). */
  readonly maxBufferElements: number;
  readonly maxStorageBuffersPerShaderStage: number;
}

/**
 * Checks a Program against what the backend and device support and generates its WGSL.
 * Returns every problem at once (float64 buffers, oversized buffers, too many bindings,
 * unsupported kernels or precisions), or the generated kernels when there is none. Pure:
 * no device, so it is tested without one.
 *
 * @example
 * ```ts
 * const r = checkAndGenerate(program, limits, 'fp32');
 * if (!r.ok) console.log(r.problems.join('\n'));
 * ```
 */
export function checkAndGenerate(program: Program, limits: ProgramLimits, precision: string | undefined, matmulConfig?: MatmulConfigChooser):
  { ok: true; kernels: GeneratedKernel[] } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  if (precision !== undefined && precision !== 'fp32') problems.push(`precision '${precision}' is not supported (supported: fp32)`);
  for (const b of program.buffers) {
    if (!WGSL_DTYPES.includes(b.dtype)) problems.push(`buffer ${b.id}: dtype '${String(b.dtype)}' is not supported (WGSL has no 64-bit floats)`);
    else if (!Number.isInteger(b.size) || b.size < 0 || b.size > limits.maxBufferElements) {
      problems.push(`buffer ${b.id}: ${String(b.size)} elements exceeds the device's ${limits.maxBufferElements} elements per binding`);
    }
  }
  const ctx: CodegenContext = { dtypeOf: (id) => program.buffers[id]!.dtype, limits, ...(matmulConfig ? { matmulConfig } : {}) };
  const kernels: GeneratedKernel[] = [];
  program.kernels.forEach((k, i) => {
    const where = `kernel ${i} (${String(k.kind)} '${String(k.label)}')`;
    if (!WEBGPU_KERNEL_KINDS.includes(k.kind)) return void problems.push(`${where}: kind '${String(k.kind)}' is not supported`);
    const kp = kernelProblems(k, ctx);
    if (kp.length) return void problems.push(...kp.map((p) => `${where}: ${p}`));
    try {
      const g = generateKernel(k, ctx);
      const most = Math.max(...launchesOf(g).map((l) => l.bindings.length));
      if (most > limits.maxStorageBuffersPerShaderStage) {
        problems.push(`${where}: uses ${most} buffers, over the device's ${limits.maxStorageBuffersPerShaderStage} storage buffers per shader`);
      }
      kernels.push(g);
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
  });
  return problems.length ? { ok: false, problems } : { ok: true, kernels };
}
