import type { View } from '@symgrad/core';
import type { BufferTable } from './kernel-step.js';

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Checks a kernel's view before code is generated for it: a known buffer, the expected
 * shape, non-negative integer offset and strides, and every element inside the buffer
 * (typed arrays read out of range as undefined, so nothing may reach past the end).
 */
export function checkView(v: View, what: string, buffers: BufferTable, shape?: readonly number[]): void {
  const spec = buffers.spec(v.buffer);
  if (shape && (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i]))) {
    throw new Error(`${what} has shape ${fmt(v.shape)}, expected ${fmt(shape)}`);
  }
  if (v.strides.length !== v.shape.length) throw new Error(`${what} has ${v.strides.length} strides for ${v.shape.length} dims`);
  if (!Number.isInteger(v.offset) || v.offset < 0) throw new Error(`${what} has offset ${v.offset}: offsets are non-negative integers`);
  for (let d = 0; d < v.shape.length; d++) {
    if (!Number.isInteger(v.shape[d]) || v.shape[d]! < 0) throw new Error(`${what} has shape ${fmt(v.shape)}: sizes are non-negative integers`);
    if (!Number.isInteger(v.strides[d]) || v.strides[d]! < 0) {
      throw new Error(`${what} has strides ${fmt(v.strides)}: the cpu backend needs non-negative integer strides`);
    }
  }
  if (v.shape.some((d) => d === 0)) return;
  const last = v.shape.reduce((o, d, i) => o + (d - 1) * v.strides[i]!, v.offset);
  if (last >= spec.size) throw new Error(`${what} reaches element ${last} of buffer ${v.buffer}, which has ${spec.size} elements`);
}

/** Number of elements of a shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
