import { NDArray } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { PhiloxStream } from '../random-stream.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/**
 * Mutation fuzzing of the decoder: every mutated file must either decode or throw an Error —
 * never crash, hang, or allocate more than the file's size. Seeded, so failures reproduce.
 */
describe('safetensors fuzz', () => {
  const base = encodeSafetensors({
    'dense_0/kernel': new NDArray('float32', [3, 4], Float32Array.from({ length: 12 }, (_, i) => i / 3)),
    'dense_0/bias': new NDArray('float32', [4], Float32Array.from([1, 2, 3, 4])),
    'optimizer/step': new NDArray('int32', [], Int32Array.from([7])),
    d: new NDArray('float64', [2], Float64Array.from([1, 2])),
    b: new NDArray('bool', [3], Uint8Array.from([1, 0, 1])),
  }, { format: 'symgrad-nn/weights' });
  const headerLen = new DataView(base.buffer).getUint32(0, true);
  const headerText = new TextDecoder().decode(base.subarray(8, 8 + headerLen));

  function withHeader(text: string, data: Uint8Array): Uint8Array {
    const h = new TextEncoder().encode(text);
    const out = new Uint8Array(8 + h.length + data.length);
    new DataView(out.buffer).setUint32(0, h.length, true);
    out.set(h, 8);
    out.set(data, 8 + h.length);
    return out;
  }

  it('5,000 mutations: each is a valid load or a thrown Error', () => {
    const rng = new PhiloxStream(20240611);
    const int = (n: number): number => Math.floor(rng.uniform() * n);
    const data = base.subarray(8 + headerLen);
    const edits: [RegExp, () => string][] = [
      [/\d+/, () => String(int(4) === 0 ? 2 ** 53 + int(9) : int(100))],
      [/"F32"/, () => ['"F16"', '"I32"', '"F64"', '"BOOL"', '"U8"', '3', 'null'][int(7)]!],
      [/\[\d+,\d+\]/, () => `[${int(200)},${int(200)}]`],
      [/"shape":\[[^\]]*\]/, () => `"shape":[${int(5)},${int(1e9)}]`],
      [/,/, () => ''],
      [/\{/, () => '['],
      [/"__metadata__":\{[^}]*\}/, () => '"__metadata__":{"x":5}'],
    ];
    let loaded = 0;
    let rejected = 0;
    const t0 = performance.now();
    for (let i = 0; i < 5000; i++) {
      let bytes: Uint8Array;
      const kind = int(5);
      if (kind === 0) {
        // Bit flips anywhere (the length field included).
        bytes = base.slice();
        for (let k = 1 + int(4); k > 0; k--) bytes[int(bytes.length)]! ^= 1 << int(8);
      } else if (kind === 1) {
        bytes = base.slice(0, int(base.length + 1));
      } else if (kind === 2) {
        // Header edits, keeping the length field consistent.
        let text = headerText;
        for (let k = 1 + int(3); k > 0; k--) {
          const [re, f] = edits[int(edits.length)]!;
          const matches = [...text.matchAll(new RegExp(re.source, 'g'))];
          if (!matches.length) continue;
          const m = matches[int(matches.length)]!;
          text = text.slice(0, m.index) + f() + text.slice(m.index! + m[0].length);
        }
        bytes = withHeader(text, int(3) === 0 ? data.slice(0, int(data.length + 1)) : data);
      } else if (kind === 3) {
        // A random header length (small, large, or near 2^64).
        bytes = base.slice();
        const dv = new DataView(bytes.buffer);
        dv.setUint32(0, [int(bytes.length), int(2 ** 32), 0xffffffff][int(3)]!, true);
        dv.setUint32(4, [0, 0, int(2 ** 32)][int(3)]!, true);
      } else {
        // Random bytes appended or spliced in.
        const extra = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
        const at = int(base.length + 1);
        bytes = new Uint8Array(base.length + extra.length);
        bytes.set(base.subarray(0, at));
        bytes.set(extra, at);
        bytes.set(base.subarray(at), at + extra.length);
      }
      try {
        const { tensors } = decodeSafetensors(bytes);
        let total = 0;
        for (const t of tensors.values()) total += t.data.byteLength;
        expect(total).toBeLessThanOrEqual(bytes.length);
        loaded++;
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message.length).toBeGreaterThan(0);
        rejected++;
      }
    }
    expect(loaded + rejected).toBe(5000);
    expect(rejected).toBeGreaterThan(1000);
    expect(loaded).toBeGreaterThan(50);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
});
