import { describe, expect } from 'vitest';
import { advanceRandomState, fillRandom, type DType, type Program, type RandomDistribution } from '@symgrad/core';
import { WebGPUBackend } from '../backend.js';
import { deviceTests, uploadProgramBuffers } from '../testing-fixtures/device.js';

// The random kernel on the device (SwiftShader in CI) against core's reference `fillRandom`.
// The backend allows two workgroups per grid dimension, so a draw of more than 512 Philox
// blocks takes the 2-D split: n = 2563 is 641 blocks, 3 workgroups on a 2×2 grid (one idle).
const deviceIt = deviceTests(() => WebGPUBackend.create({ limits: { maxComputeWorkgroupsPerDimension: 2 } }));

const SIZES = [1, 3, 4, 5, 7, 13, 1021, 1024, 1029, 2563];
const u32 = (x: number): number => x | 0;
const STATES: Record<string, number[]> = {
  'zero offset': [42, 0, 0, 0],
  'offset crossing 2³²': [u32(0x89abcdef), 7, u32(0xffffffff - 2), 5],
  'offset wrapping 2⁶⁴': [3, u32(0xdeadbeef), u32(0xfffffffe), u32(0xffffffff)],
};
// Where each view starts in its buffer: non-zero, so offsets are honoured; the output buffer
// has OUT_PAD extra elements before and after the draw that must stay untouched.
const STATE_AT = 2;
const NEXT_AT = 1;
const OUT_PAD = 3;
const SENTINEL = -7;

/**
 * One random kernel: buffer 0 holds the state at STATE_AT, buffer 1 the draw at OUT_PAD
 * (with OUT_PAD sentinels after it), buffer 2 `next` at NEXT_AT.
 */
function randomProgram(distribution: RandomDistribution, dtype: DType, n: number): Program {
  return {
    buffers: [
      { id: 0, dtype: 'int32', size: STATE_AT + 5, role: 'input' },
      { id: 1, dtype, size: n + 2 * OUT_PAD, role: 'output' },
      { id: 2, dtype: 'int32', size: NEXT_AT + 4, role: 'output' },
    ],
    kernels: [{
      kind: 'random', distribution, dtype, label: `random.${distribution}`,
      state: { buffer: 0, offset: STATE_AT, shape: [4], strides: [1] },
      output: { buffer: 1, offset: OUT_PAD, shape: [n], strides: [1] },
      next: { buffer: 2, offset: NEXT_AT, shape: [4], strides: [1] },
    }],
  };
}

/** The draw and `next` the device computes for `state`. */
async function drawOnDevice(b: WebGPUBackend, distribution: RandomDistribution, dtype: DType, n: number, state: number[]): Promise<{ out: number[]; pad: number[]; next: number[] }> {
  const program = randomProgram(distribution, dtype, n);
  const stateBuf = new Float64Array(STATE_AT + 5).fill(SENTINEL);
  stateBuf.set(state, STATE_AT);
  const bufs = uploadProgramBuffers(b, program, [stateBuf, new Float64Array(n + 2 * OUT_PAD).fill(SENTINEL), new Float64Array(NEXT_AT + 4).fill(SENTINEL)]);
  const exe = b.compile(program, { precision: 'fp32' });
  try {
    exe.run(bufs);
    const out = Array.from(await b.read(bufs[1]!), Number);
    const next = Array.from(await b.read(bufs[2]!), Number);
    return { out: out.slice(OUT_PAD, OUT_PAD + n), pad: [...out.slice(0, OUT_PAD), ...out.slice(OUT_PAD + n), next[0]!, ...next.slice(NEXT_AT + 4)], next: next.slice(NEXT_AT, NEXT_AT + 4) };
  } finally {
    exe.dispose();
    bufs.forEach((x) => b.free(x));
  }
}

function reference(distribution: RandomDistribution, dtype: DType, n: number, state: number[]): number[] {
  const want = new Float64Array(n);
  fillRandom(distribution, dtype, state, want);
  return Array.from(want);
}

describe('random kernel against fillRandom', () => {
  deviceIt('Philox-4x32-10 known answer: counter 0, key 0', async (b) => {
    const { out } = await drawOnDevice(b, 'bits', 'int32', 4, [0, 0, 0, 0]);
    expect(out).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8].map(u32));
  });

  for (const [what, state] of Object.entries(STATES)) {
    deviceIt(`int32 bits and float32 uniforms bit-exact, next exact (${what}; n = ${SIZES.join(', ')})`, async (b) => {
      for (const n of SIZES) {
        for (const [distribution, dtype] of [['bits', 'int32'], ['uniform', 'float32']] as const) {
          const got = await drawOnDevice(b, distribution, dtype, n, state);
          expect(got.out, `${distribution} n = ${n}`).toEqual(reference(distribution, dtype, n, state));
          expect(got.next, `next after ${n}`).toEqual(advanceRandomState(state, n));
          expect(got.pad.every((x) => x === SENTINEL), `elements outside the views (n = ${n})`).toBe(true);
        }
      }
    });

    // float32 Box–Muller against float64: |error| ≤ 1e-6·max(1, |reference|) per element
    // (measured on SwiftShader over 2²¹ draws: at most 2.3e-7; the f32 result's own rounding
    // is 6e-8, and ln, sin, cos and √ add a few ulp).
    deviceIt(`float32 normals within 1e-6 (${what}; n = ${SIZES.join(', ')})`, async (b) => {
      for (const n of SIZES) {
        const got = await drawOnDevice(b, 'normal', 'float32', n, state);
        const want = reference('normal', 'float32', n, state);
        const worst = Math.max(...got.out.map((g, i) => Math.abs(g - want[i]!) / Math.max(1, Math.abs(want[i]!))));
        expect(worst, `normal n = ${n}`).toBeLessThanOrEqual(1e-6);
        expect(got.next).toEqual(advanceRandomState(state, n));
        expect(got.pad.every((x) => x === SENTINEL)).toBe(true);
      }
    });
  }
});
