import { afterAll, describe, expect, it } from 'vitest';
import type { TypedArray } from '@symgrad/core';
import { nativeCpuStatus } from '../native.js';
import { compileNativeRandom } from './native-random.js';
import { compileRandom, checkRandom } from './random.js';
import { AWKWARD_SIZES, drawMismatch, RANDOM_DRAWS, RANDOM_STATES, randomCase, type RandomCase } from '../testing-fixtures/random-kernels.js';

/**
 * The addon's random kernel (native/random.cc) against core's fillRandom and the TypeScript
 * path, on every ISA tier this CPU runs and on 1, 2 and 3 threads: bits and uniforms bit
 * for bit everywhere, normals within 2e-6 (float32: libmvec's float log, sin and cos) or
 * 1e-12 (float64), and bit for bit across thread counts on one tier.
 */

const status = nativeCpuStatus();
const addon = status.ok ? status.addon : undefined;
const initial = addon ? { isa: addon.isa(), threads: addon.numThreads() } : undefined;
const TIERS = (['avx512', 'avx2', 'generic'] as const).filter((t) => addon?.setIsa(t));
if (addon && initial) addon.setIsa(initial.isa);
afterAll(() => {
  if (addon && initial) {
    addon.setIsa(initial.isa);
    addon.setNumThreads(initial.threads);
  }
});

function runNative(c: RandomCase): void {
  checkRandom(c.k, c.table);
  const compiled = compileNativeRandom(c.k, addon!);
  if (!('step' in compiled)) throw new Error(`fell back: ${compiled.fallback}`);
  compiled.step(c.data);
}

/** The first byte where two arrays differ, or -1 (vitest's deep equality is slow on big arrays). */
function firstDifference(a: TypedArray, b: TypedArray): number {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

describe.skipIf(!addon)('native random', () => {
  it('matches fillRandom and the TypeScript path on every tier, awkward sizes, carries across 2³² and wraps 2⁶⁴', () => {
    for (const isa of TIERS) {
      addon!.setIsa(isa);
      for (const [distribution, dtype] of RANDOM_DRAWS) {
        for (const state of RANDOM_STATES) {
          for (const n of AWKWARD_SIZES) {
            const c = randomCase(distribution, dtype, n, state);
            runNative(c);
            const what = `${isa} ${distribution} ${dtype} n=${n} state=${state.join()}`;
            expect(drawMismatch(c, dtype === 'float32' ? 2e-6 : 1e-12), what).toBeNull();
            if (distribution !== 'normal') {
              const ts = randomCase(distribution, dtype, n, state);
              compileRandom(ts.k, ts.table)(ts.data);
              expect(firstDifference(c.data[1]!, ts.data[1]!), what).toBe(-1);
            }
          }
        }
      }
    }
    addon!.setIsa(initial!.isa);
  });

  it('gives the same bits on 1, 2 and 3 threads (normals included)', () => {
    for (const [distribution, dtype] of RANDOM_DRAWS) {
      for (const n of [16411, 100003]) {
        const results = [1, 2, 3].map((threads) => {
          addon!.setNumThreads(threads);
          const c = randomCase(distribution, dtype, n, [9, 8, -40000, 3]);
          runNative(c);
          return [c.data[1]!, c.data[2]!] as const;
        });
        for (const r of results.slice(1)) {
          expect(firstDifference(r[0], results[0]![0]), `${distribution} ${dtype} n=${n}`).toBe(-1);
          expect([...r[1]]).toEqual([...results[0]![1]]);
        }
      }
    }
    addon!.setNumThreads(initial!.threads);
  });

  it('reads the state at an offset and leaves next alone when the kernel has none', () => {
    const c = randomCase('normal', 'float64', 11, [3, 4, -1, 6], { stateOffset: 2, outOffset: 0, withNext: false });
    runNative(c);
    expect(drawMismatch(c, 1e-12)).toBeNull();
    expect([...c.data[2]!]).toEqual([0, 0, 0, 0, 0]);
  });

  it('throws on a call that does not fit its arrays instead of touching stray memory', () => {
    const state = Int32Array.of(1, 2, 3, 4);
    expect(() => addon!.random(1, state, new Float32Array(4), null, Int32Array.of(0, 1, 4, 0))).toThrow(/output reaches element 4 of an array of 4/);
    expect(() => addon!.random(1, state, new Float32Array(4), null, Int32Array.of(1, 0, 4, 0))).toThrow(/state reaches element 4/);
    expect(() => addon!.random(1, state, new Float32Array(4), new Int32Array(3), Int32Array.of(0, 0, 4, 0))).toThrow(/next reaches element 3/);
    expect(() => addon!.random(0, state, new Float32Array(4), null, Int32Array.of(0, 0, 4, 0))).toThrow(/distribution must be/);
    expect(() => addon!.random(2, state, new Int32Array(4), null, Int32Array.of(0, 0, 4, 0))).toThrow(/distribution must be/);
    expect(() => addon!.random(1, state, new Float32Array(4), null, Int32Array.of(0, 0, 4))).toThrow(/geometry/);
  });
});
