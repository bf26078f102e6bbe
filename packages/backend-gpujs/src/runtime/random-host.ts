import { advanceRandomState, fillRandom, type RandomKernel, type View } from '@symgrad/core';
import { coversBuffer } from '../codegen/buffer-launch.js';
import type { HostRandomLaunch } from '../codegen/random.js';
import { exactInt32, scatter, type GpujsBuffer } from './buffers.js';
import type { TextureStore } from './textures.js';

/**
 * Runs a `random` kernel on the host (codegen/random.ts says why): reads the 4 state words
 * exactly, fills the output with core's `fillRandom` (rounded to the output dtype when
 * stored) and writes `next` = `advanceRandomState`. In texture mode the state is brought to
 * the host first (one read-back when a GPU kernel wrote it) and each written buffer keeps
 * its value on the host until a kernel needs it (one upload, as after `write`).
 */
export function runRandomOnHost(launch: HostRandomLaunch, buffer: (id: number) => GpujsBuffer, store: TextureStore | undefined): void {
  const k: RandomKernel = launch.random;
  const stateBuf = buffer(k.state.buffer);
  store?.sync(stateBuf);
  const state = [0, 1, 2, 3].map((j) => exactInt32(stateBuf, k.state.offset + j * (k.state.strides[0] ?? 1)));
  const n = k.output.shape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(n);
  fillRandom(k.distribution, k.dtype, state, values);
  if (store) store.stats.hostDraws++;
  writeOnHost(buffer(k.output.buffer), k.output, values, store);
  if (k.next) writeOnHost(buffer(k.next.buffer), k.next, advanceRandomState(state, n), store);
}

/** What `sources` shows for a host launch, in place of gpu.js source. */
export function hostLaunchSource(launch: HostRandomLaunch): string {
  return `// ${launch.label}: drawn on the host (random-host.ts)`;
}

/** The buffers a host random launch reads and writes. */
export function randomLaunchBuffers(launch: HostRandomLaunch): number[] {
  const k = launch.random;
  return [k.state.buffer, k.output.buffer, ...(k.next ? [k.next.buffer] : [])];
}

/** Stores values into a view on the host; the buffer's texture (now stale) is dropped. */
function writeOnHost(b: GpujsBuffer, view: View, values: ArrayLike<number>, store: TextureStore | undefined): void {
  // The rest of the buffer keeps its value: bring it to the host unless the view covers it all.
  if (!coversBuffer(view, b.size)) store?.sync(b);
  scatter(b, view, values);
  store?.drop(b);
  b.hostValid = true;
}
