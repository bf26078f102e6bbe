import { isContiguous, randomBlocks, type DType, type RandomKernel, type View } from '@symgrad/core';
import { indexType, product } from './index-math.js';
import { Params } from './params.js';
import { BLOCK, blocksFor, type GeneratedKernel } from './plan.js';
import { computeType, convert } from './render-cuda.js';

const FILL: Readonly<Record<RandomKernel['distribution'], { fill: string; dtypes: readonly DType[] }>> = {
  uniform: { fill: 'sg_uniform4', dtypes: ['float32', 'float64'] },
  normal: { fill: 'sg_normal4', dtypes: ['float32', 'float64'] },
  bits: { fill: 'sg_bits4', dtypes: ['int32'] },
};


function checkWords(what: string, v: View, p: Params, index: number): void {
  if (product(v.shape) !== 4 || !isContiguous(v) || p.dtype(v) !== 'int32') throw new Error(`render-cuda: kernel ${index} (random): ${what} must be 4 contiguous int32`);
}

/** `next` = (k0, k1, offset + blocks) with the carry into the high word, from global thread 0 alone. */
function nextStore(nx: string, o: number, blocks: number): string[] {
  return [
    '  if (t == 0) {',
    `    const unsigned long long after = offset + ${blocks}ull;`,
    `    ${nx}[${o}] = (int)k0; ${nx}[${o + 1}] = (int)k1; ${nx}[${o + 2}] = (int)(unsigned)after; ${nx}[${o + 3}] = (int)(unsigned)(after >> 32);`,
    '  }',
  ];
}

/**
 * Philox-4x32-10 draws (core's `RandomKernel`; `fillRandom` is the reference). One thread per
 * Philox block of four outputs, grid-stride over the ⌈n/4⌉ blocks; lanes at or past n are not
 * stored. Global thread 0 alone writes `next` (it reads `state` like every other thread, and
 * `next` never overlaps `state`, so there is no race).
 *
 * The work of one thread is a `__host__ __device__` function `<name>_thread(t, threads, …)`
 * that the kernel calls with its global thread index, so the same code also runs as host C++
 * under nvcc (random-host.test.ts). State and output offsets are compiled in, as elsewhere.
 *
 * @example
 * ```ts
 * const g = renderRandom(kernel, 3, dtypes);
 * g.launch.name; // 'k3_random'
 * ```
 */
export function renderRandom(k: RandomKernel, index: number, dtypes: readonly DType[]): GeneratedKernel {
  const name = `k${index}_random`;
  const spec = FILL[k.distribution];
  if (!spec) throw new Error(`render-cuda: kernel ${index} (random): unknown distribution '${String(k.distribution)}'`);
  if (!spec.dtypes.includes(k.dtype)) throw new Error(`render-cuda: kernel ${index} (random): ${k.distribution} draws ${spec.dtypes.join(' or ')}, not ${String(k.dtype)}`);
  const p = new Params(dtypes);
  checkWords('state', k.state, p, index);
  if (k.next) checkWords('next', k.next, p, index);
  if (!isContiguous(k.output)) throw new Error(`render-cuda: kernel ${index} (random): the output view must be contiguous`);
  const n = product(k.output.shape);
  const blocks = randomBlocks(n);
  const IT = indexType(n + 4, [k.state, k.output, ...(k.next ? [k.next] : [])]);
  const T = computeType(k.dtype);
  const st = p.ref(k.state);
  const out = p.ref(k.output, true);
  const s = (w: number) => `${st}[${k.state.offset + w}]`;
  const at = k.output.offset === 0 ? 'i + l' : `${k.output.offset} + i + l`;
  const nextLines = k.next ? nextStore(p.ref(k.next, true), k.next.offset, blocks) : [];
  const sig = p.signature();
  const args = p.buffers().map((_, i) => `p${i}`).join(', ');
  const source = `SG_HD void ${name}_thread(long long t, long long threads, ${sig}) {
  const unsigned k0 = (unsigned)${s(0)}, k1 = (unsigned)${s(1)};
  const unsigned long long offset = ((unsigned long long)(unsigned)${s(3)} << 32) | (unsigned)${s(2)};
  for (${IT} j = (${IT})t; j < (${IT})${blocks}; j += (${IT})threads) {
    ${T} v[4];
    ${spec.fill}(sg_philox4x32(offset + (unsigned long long)j, k0, k1), v);
    const ${IT} i = j * 4;
#pragma unroll
    for (int l = 0; l < 4; l++) if (i + l < (${IT})${n}) ${out}[${at}] = ${convert(k.dtype, p.dtype(k.output), 'v[l]')};
  }
${nextLines.map((l) => `${l}\n`).join('')}}
extern "C" __global__ void __launch_bounds__(${BLOCK}) ${name}(${sig}) {
  ${name}_thread((long long)blockIdx.x * ${BLOCK} + threadIdx.x, (long long)gridDim.x * ${BLOCK}, ${args});
}
`;
  return { source, launch: { kind: 'launch', name, grid: [blocksFor(blocks), 1, 1], block: [BLOCK, 1, 1], sharedBytes: 0, buffers: p.buffers(), what: `kernel ${index} (random)` } };
}
