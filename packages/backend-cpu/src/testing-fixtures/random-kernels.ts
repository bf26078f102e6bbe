import { fillRandom, advanceRandomState, type DType, type RandomDistribution, type RandomKernel, type TypedArray } from '@symgrad/core';
import { bufferTable, type BufferTable } from '../runtime/kernel-step.js';

/**
 * A random kernel with its buffers, for the random tests of both paths: buffer 0 the int32
 * state (at `stateOffset`, padded after), 1 the output (at `outOffset`), 2 the next state.
 */
export interface RandomCase {
  readonly k: RandomKernel;
  readonly table: BufferTable;
  readonly data: TypedArray[];
  readonly state: readonly number[];
}

/** The draws every test covers: a distribution with each dtype it takes. */
export const RANDOM_DRAWS: readonly (readonly [RandomDistribution, DType])[] = [
  ['bits', 'int32'], ['uniform', 'float32'], ['uniform', 'float64'], ['normal', 'float32'], ['normal', 'float64'],
];

/** Sizes that are not multiples of 4, of the addon's 256-block chunk or of a vector: primes among them. */
export const AWKWARD_SIZES = [1, 2, 3, 5, 7, 13, 37, 1021, 1024 + 3, 4099, 16411];

const zeros = (dtype: DType, n: number): TypedArray => (dtype === 'int32' ? new Int32Array(n) : dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));

export function randomCase(
  distribution: RandomDistribution, dtype: DType, n: number, state: readonly number[],
  { stateOffset = 1, outOffset = 2, withNext = true }: { stateOffset?: number; outOffset?: number; withNext?: boolean } = {},
): RandomCase {
  const stateData = new Int32Array(stateOffset + 6);
  stateData.set(state, stateOffset);
  const table = bufferTable([
    { id: 0, dtype: 'int32', size: stateData.length, role: 'input' },
    { id: 1, dtype, size: outOffset + n + 3, role: 'output' },
    { id: 2, dtype: 'int32', size: 5, role: 'output' },
  ], new Set([1, 2]));
  const k: RandomKernel = {
    kind: 'random', distribution, dtype, label: 'test',
    state: { buffer: 0, offset: stateOffset, shape: [4], strides: [1] },
    output: { buffer: 1, offset: outOffset, shape: [n], strides: [1] },
    ...(withNext ? { next: { buffer: 2, offset: 1, shape: [4], strides: [1] } } : {}),
  };
  return { k, table, data: [stateData, zeros(dtype, outOffset + n + 3), new Int32Array(5)], state };
}

/** core's fillRandom for a case, rounded as the output array stores it, and the next state. */
export function referenceDraw(c: RandomCase): { values: TypedArray; next: number[] } {
  const n = c.k.output.shape[0]!;
  const values = new Float64Array(n);
  fillRandom(c.k.distribution, c.k.dtype, c.state, values);
  const stored = zeros(c.k.dtype, n);
  stored.set(values);
  return { values: stored, next: advanceRandomState(c.state, n) };
}

/**
 * Where a case's draw disagrees with the reference: bits and uniforms bit for bit, normals
 * within `tol` (absolute, for |x| ≤ 1, else relative), next exactly; the padding around the
 * output must stay zero. Returns null when it agrees.
 */
export function drawMismatch(c: RandomCase, tol: number): string | null {
  const { values, next } = referenceDraw(c);
  const out = c.data[1]!;
  const off = c.k.output.offset;
  for (let i = 0; i < out.length; i++) {
    const inside = i >= off && i < off + values.length;
    const got = out[i]!;
    const want = inside ? values[i - off]! : 0;
    const ok = c.k.distribution === 'normal' && inside ? Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)) : Object.is(got, want);
    if (!ok) return `element ${i - off}: ${got}, reference ${want}`;
  }
  const gotNext = c.k.next ? [...c.data[2]!.subarray(1, 5)] : next;
  if (gotNext.join() !== next.join()) return `next ${gotNext.join()}, reference ${next.join()}`;
  return null;
}

/** States that start near 2³² (the carry into the high word) and near 2⁶⁴ (the wrap), and an ordinary one. */
export const RANDOM_STATES: readonly (readonly number[])[] = [
  [42, 0, 0, 0],
  [7, -123456789, -2, 0],
  [11, 5, -3, -1],
  [-1, -1, -5000, 77],
];
