import { bytesPerElement, type DType } from '../../ir/dtype.js';
import type { Kernel, View } from '../program.js';
import { isTemp, reads, sameViewExact, writes, type ProgramDraft } from './draft.js';

/** What the memory plan did: bytes of temporaries before and after, and the live-set lower bound. */
export interface MemoryReport {
  /** Bytes of temporaries if each had its own buffer. */
  readonly unplannedBytes: number;
  /** Bytes of temporaries after reuse (the peak intermediate memory). */
  readonly plannedBytes: number;
  /** The largest total of temporaries live at one kernel: no plan can do better. */
  readonly liveSetBytes: number;
  /** Kernels that write their result over an input that dies there. */
  readonly inPlace: number;
}

interface Slot {
  readonly id: number;
  readonly dtype: DType;
  size: number;
  /** The last kernel that uses any buffer placed in the slot so far. */
  liveUntil: number;
}

/**
 * Liveness over temporary buffers, then a greedy assignment of temporaries to physical
 * slots: a slot whose last reader has run is reused (best fit, growing when needed); an
 * elementwise kernel writes in place over an input that dies at that kernel when the two
 * views are identical. Buffers the runtime binds (inputs, outputs, shared, constants) are
 * never shared. Returns a buffer renaming (old id → slot id) and a report.
 */
export function planMemory(d: ProgramDraft, enabled: boolean): { rename: Map<number, number>; report: MemoryReport } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  d.kernels.forEach((k, i) => {
    if (!k) return;
    for (const v of [...reads(k), ...writes(k)]) {
      if (!isTemp(d, v.buffer)) continue;
      if (!first.has(v.buffer)) first.set(v.buffer, i);
      last.set(v.buffer, i);
    }
  });
  const bytes = (b: number) => d.buffers[b]!.size * bytesPerElement(d.buffers[b]!.dtype);
  const temps = [...first.keys()];
  const unplannedBytes = temps.reduce((a, b) => a + bytes(b), 0);
  // The live set at each kernel, swept once: a temp counts from its first use to its last.
  const delta = new Float64Array(d.kernels.length + 1);
  for (const b of temps) {
    delta[first.get(b)!]! += bytes(b);
    delta[last.get(b)! + 1]! -= bytes(b);
  }
  let liveSetBytes = 0;
  let running = 0;
  d.kernels.forEach((k, i) => {
    running += delta[i]!;
    if (k) liveSetBytes = Math.max(liveSetBytes, running);
  });
  // The temps whose last use is each kernel (and not their first).
  const dyingAt = new Map<number, number[]>();
  for (const b of temps) {
    const at = last.get(b)!;
    if (first.get(b)! >= at) continue;
    const list = dyingAt.get(at);
    if (list) list.push(b);
    else dyingAt.set(at, [b]);
  }
  const rename = new Map<number, number>();
  if (!enabled) {
    for (const b of temps) rename.set(b, b);
    return { rename, report: { unplannedBytes, plannedBytes: unplannedBytes, liveSetBytes, inPlace: 0 } };
  }
  const slots = new Map<number, Slot>();
  const free: Slot[] = [];
  let inPlace = 0;
  d.kernels.forEach((k, i) => {
    if (!k) return;
    const dying = new Set(dyingAt.get(i) ?? []);
    for (const out of writes(k)) {
      const b = out.buffer;
      if (first.get(b) !== i || rename.has(b)) continue;
      const victim = inPlaceCandidate(d, k, out, dying, rename, slots);
      if (victim !== undefined) {
        const slot = slots.get(victim)!;
        slot.size = Math.max(slot.size, d.buffers[b]!.size);
        slot.liveUntil = Math.max(slot.liveUntil, last.get(b)!);
        rename.set(b, slot.id);
        slots.set(b, slot);
        dying.delete(victimBuffer(d, k, out)!);
        inPlace++;
        continue;
      }
      const fits = free.filter((s) => s.dtype === d.buffers[b]!.dtype).sort((x, y) => x.size - y.size);
      const slot = fits.find((s) => s.size >= d.buffers[b]!.size) ?? fits[fits.length - 1];
      if (slot) {
        free.splice(free.indexOf(slot), 1);
        slot.size = Math.max(slot.size, d.buffers[b]!.size);
        slot.liveUntil = Math.max(slot.liveUntil, last.get(b)!);
      }
      const use = slot ?? { id: b, dtype: d.buffers[b]!.dtype, size: d.buffers[b]!.size, liveUntil: last.get(b)! };
      rename.set(b, use.id);
      slots.set(b, use);
    }
    for (const b of dying) {
      const s = slots.get(b);
      if (s && s.liveUntil <= i) free.push(s);
    }
  });
  const distinct = new Set(slots.values());
  const plannedBytes = [...distinct].reduce((a, s) => a + s.size * bytesPerElement(s.dtype), 0);
  for (const s of distinct) {
    const spec = d.buffers[s.id]!;
    d.buffers[s.id] = { ...spec, size: s.size };
  }
  return { rename, report: { unplannedBytes, plannedBytes, liveSetBytes, inPlace } };
}

function victimBuffer(d: ProgramDraft, k: Kernel, out: View): number | undefined {
  if (k.kind !== 'elementwise') return undefined;
  const dtype = d.buffers[out.buffer]!.dtype;
  // Same dtype only: writing a float over a bool buffer would truncate the result.
  return k.inputs.find((v) => v.buffer !== out.buffer && d.buffers[v.buffer]!.dtype === dtype && v.shape.length === out.shape.length && sameShapeStrides(v, out))?.buffer;
}

function sameShapeStrides(a: View, b: View): boolean {
  return sameViewExact({ ...a, buffer: 0 }, { ...b, buffer: 0 });
}

/** An input of an elementwise kernel that dies here and is read through the same view as the output. */
function inPlaceCandidate(d: ProgramDraft, k: Kernel, out: View, dying: Set<number>, rename: Map<number, number>, slots: Map<number, Slot>): number | undefined {
  if (k.kind !== 'elementwise' || k.outputs.length !== 1) return undefined;
  const v = victimBuffer(d, k, out);
  if (v === undefined || !dying.has(v) || !rename.has(v) || !slots.has(v)) return undefined;
  // Every read of the victim in this kernel must use the identical view, or a write could clobber a later read.
  if (!k.inputs.every((x) => x.buffer !== v || sameShapeStrides(x, out))) return undefined;
  return v;
}
