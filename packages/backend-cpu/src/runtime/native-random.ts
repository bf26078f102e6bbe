import type { RandomKernel } from '@symgrad/core';
import type { NativeCpuAddon, NativeRandomDistribution } from '../native.js';
import type { NativeCompiled } from './native-elementwise.js';
import { shapeSize } from './view-check.js';

const DISTRIBUTION: Record<RandomKernel['distribution'], NativeRandomDistribution> = { bits: 0, uniform: 1, normal: 2 };

/**
 * The random kernel on the addon (native/random.cc). The kernel must already have been checked
 * by `checkRandom` (random.ts), whose step stays the fallback; this only packs its geometry.
 */
export function compileNativeRandom(k: RandomKernel, native: NativeCpuAddon): NativeCompiled {
  const n = shapeSize(k.output.shape);
  if (k.output.offset + n > 0x7fffffff) return { fallback: `output reaches element ${k.output.offset + n} (the addon's geometry is int32)` };
  const geometry = Int32Array.from([k.state.offset, k.output.offset, n, k.next?.offset ?? 0]);
  const distribution = DISTRIBUTION[k.distribution];
  const next = k.next?.buffer;
  return {
    step: (data) => native.random(distribution, data[k.state.buffer] as Int32Array, data[k.output.buffer]!, next === undefined ? null : (data[next] as Int32Array), geometry),
  };
}
