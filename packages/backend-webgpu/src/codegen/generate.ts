import type { Kernel, Program } from '@symgrad/core';
import { generateElementwise } from './elementwise.js';
import { generateScatterAdd, generateTake } from './indexing.js';
import { DEFAULT_CODEGEN_LIMITS, type CodegenContext, type CodegenLimits, type GeneratedKernel } from './kernel.js';
import { generateMatmul, matmulProblems } from './matmul.js';
import type { MatmulConfigChooser } from './matmul-config.js';
import { generateRandom } from './random.js';
import { generateReduce } from './reduce.js';
import { generateSoftmax } from './softmax.js';
import { generateGather, generateOneHot, generateSoftmaxCrossEntropy } from './specials.js';

/**
 * WGSL for one kernel of a Program (pure: no device), with its bindings and dispatch; for
 * inspecting one kernel's code where `generateProgram` would generate them all.
 *
 * @example
 * ```ts
 * const g = generateKernel(program.kernels[0]!, { dtypeOf: (b) => program.buffers[b]!.dtype, limits: device.limits });
 * console.log(g.code, g.bindings, g.dispatch);
 * ```
 */
export function generateKernel(k: Kernel, ctx: CodegenContext): GeneratedKernel {
  switch (k.kind) {
    case 'elementwise': return generateElementwise(k, ctx);
    case 'reduce': return generateReduce(k, ctx);
    case 'matmul': return generateMatmul(k, ctx);
    case 'gather': return generateGather(k, ctx);
    case 'take': return generateTake(k, ctx);
    case 'scatterAdd': return generateScatterAdd(k, ctx);
    case 'oneHot': return generateOneHot(k, ctx);
    case 'softmaxCrossEntropy': return generateSoftmaxCrossEntropy(k, ctx);
    case 'random': return generateRandom(k, ctx);
    case 'softmax': return generateSoftmax(k, ctx);
  }
}

/** Kernel-specific reasons a kernel cannot run under these limits. */
export function kernelProblems(k: Kernel, ctx: CodegenContext): string[] {
  const p: string[] = [];
  // Every kernel but matmul launches 256-invocation workgroups; matmul checks its own config.
  if (k.kind !== 'matmul' && ctx.limits.maxComputeInvocationsPerWorkgroup < 256) p.push(`needs 256 invocations per workgroup; the device allows ${ctx.limits.maxComputeInvocationsPerWorkgroup}`);
  if (k.kind === 'matmul') p.push(...matmulProblems(k, ctx));
  return p;
}

/**
 * WGSL for every kernel of a Program, in order.
 *
 * @example
 * ```ts
 * const kernels = generateProgram(program);
 * console.log(kernels[0].code); // the first kernel's WGSL module
 * ```
 */
export function generateProgram(program: Program, limits: CodegenLimits = DEFAULT_CODEGEN_LIMITS, matmulConfig?: MatmulConfigChooser): GeneratedKernel[] {
  const ctx: CodegenContext = { dtypeOf: (b) => program.buffers[b]!.dtype, limits, ...(matmulConfig ? { matmulConfig } : {}) };
  return program.kernels.map((k, i) => {
    try {
      return generateKernel(k, ctx);
    } catch (err) {
      throw new Error(`webgpu codegen: kernel ${i} (${k.kind} '${k.label}'): ${(err as Error).message}`);
    }
  });
}
