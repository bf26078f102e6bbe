import type { RandomKernel } from '@symgrad/core';

/**
 * The `random` kernel kind is not a gpu.js kernel: it runs on the host (runtime/random-host.ts).
 *
 * Why: this backend stores int32 as float32 (exact only below 2^24, in textures and in host
 * arrays alike), while a Philox state and `bits` output are full 32-bit words. The exact
 * words live in each int32 buffer's host shadow (`GpujsBuffer.exact`), which no shader can
 * read, so a draw needs the state on the host anyway. There the draw is core's reference
 * (`fillRandom`, `advanceRandomState`): bits and uniforms are bit-exact and normals are the
 * float64 reference rounded to float32. The cost is a sync per draw: the state is read back
 * when a GPU kernel wrote it last, and the output is uploaded when a GPU kernel reads it.
 */
export interface HostRandomLaunch {
  /** Marks a launch the runtime runs on the host instead of as a gpu.js kernel. */
  readonly host: 'random';
  readonly label: string;
  readonly random: RandomKernel;
  /** Index of the IR kernel (set by generateProgram). */
  readonly kernel?: number;
}

/** The host launch of a `random` kernel. */
export function randomLaunch(k: RandomKernel): HostRandomLaunch {
  return { host: 'random', label: k.label, random: k };
}
