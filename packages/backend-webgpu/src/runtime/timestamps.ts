import { MAP_READ, USAGE } from './buffers.js';

/** A query set holds at most 4096 timestamps: 2048 timed passes. */
export const MAX_TIMED_PASSES = 2048;

/**
 * Encodes `passes` timed compute passes in one command buffer (`record` begins pass i with the
 * given `timestampWrites`, and may add untimed passes around it), submits it, and resolves
 * with each pass's duration in ns from its own beginning and end timestamps: 0 where an
 * implementation reset or clamped them (end ≤ begin). The query set and buffers are freed
 * whatever happens; a failed read rejects with the device's message.
 */
export async function timePasses(
  device: GPUDevice, passes: number,
  record: (encoder: GPUCommandEncoder, i: number, timestampWrites: GPUComputePassTimestampWrites) => void,
): Promise<number[]> {
  if (passes > MAX_TIMED_PASSES) throw new Error(`webgpu backend: ${passes} timed passes in one submit (at most ${MAX_TIMED_PASSES})`);
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * passes });
  const resolved = device.createBuffer({ size: 16 * passes, usage: USAGE.QUERY_RESOLVE | USAGE.COPY_SRC });
  const readback = device.createBuffer({ size: 16 * passes, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    for (let i = 0; i < passes; i++) record(encoder, i, { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 });
    encoder.resolveQuerySet(querySet, 0, 2 * passes, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, readback, 0, 16 * passes);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(MAP_READ);
    const t = new BigUint64Array(readback.getMappedRange().slice(0));
    readback.unmap();
    return Array.from({ length: passes }, (_, i) => (t[2 * i + 1]! > t[2 * i]! ? Number(t[2 * i + 1]! - t[2 * i]!) : 0));
  } finally {
    querySet.destroy();
    resolved.destroy();
    readback.destroy();
  }
}
