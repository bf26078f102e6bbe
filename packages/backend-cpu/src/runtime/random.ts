import { advanceRandomState, fillRandom, isContiguous, type RandomKernel, type View } from '@symgrad/core';
import type { BufferTable, KernelStep } from './kernel-step.js';
import { checkView, shapeSize } from './view-check.js';

/**
 * The `random` kernel in TypeScript: core's `fillRandom` (Philox-4x32-10, the reference every
 * backend is tested against) straight into the output typed array.
 */

/**
 * Checks a random kernel's views and dtypes (the native path relies on these checks too):
 * an int32 state and next of 4 contiguous words, next not overlapping the state, and a
 * contiguous output of the kernel's dtype (int32 for bits, float32 or float64 otherwise).
 */
export function checkRandom(k: RandomKernel, buffers: BufferTable): void {
  const word4 = (v: View, what: string) => {
    checkView(v, what, buffers, [4]);
    if (v.strides[0] !== 1) throw new Error(`${what} has stride ${v.strides[0]}: the state is 4 contiguous int32 words`);
    if (buffers.dtype(v.buffer) !== 'int32') throw new Error(`${what} is in a ${buffers.dtype(v.buffer)} buffer, expected int32`);
  };
  word4(k.state, 'state');
  if (k.next) {
    word4(k.next, 'next');
    if (k.next.buffer === k.state.buffer && Math.abs(k.next.offset - k.state.offset) < 4) throw new Error('next overlaps state');
  }
  const want = k.distribution === 'bits' ? ['int32'] : ['float32', 'float64'];
  if (!want.includes(k.dtype)) throw new Error(`${k.distribution} draws ${want.join(' or ')}, not ${k.dtype}`);
  checkView(k.output, 'output', buffers);
  if (buffers.dtype(k.output.buffer) !== k.dtype) throw new Error(`output is in a ${buffers.dtype(k.output.buffer)} buffer, expected ${k.dtype}`);
  if (!isContiguous(k.output)) throw new Error(`output has strides [${k.output.strides.join(', ')}]: random draws into a contiguous view`);
}

/** The TypeScript step of a random kernel (checked first by `checkRandom`). */
export function compileRandom(k: RandomKernel, buffers: BufferTable): KernelStep {
  checkRandom(k, buffers);
  const n = shapeSize(k.output.shape);
  // The state's four words, read before anything is written (`next` may share its buffer).
  const state = new Int32Array(4);
  return (data) => {
    const words = data[k.state.buffer]!;
    for (let i = 0; i < 4; i++) state[i] = words[k.state.offset + i]!;
    fillRandom(k.distribution, k.dtype, state, data[k.output.buffer]!, k.output.offset, n);
    if (k.next) data[k.next.buffer]!.set(advanceRandomState(state, n), k.next.offset);
  };
}
