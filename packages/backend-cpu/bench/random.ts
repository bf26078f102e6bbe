/**
 * Measures the random kernel (not a test: numbers, not assertions).
 *
 *   npx tsx bench/random.ts            # after `pnpm build`
 *
 * Prints the median ms of an 800×1000 float32 uniform and normal draw on the native addon
 * (each ISA tier this CPU runs, 1 and 2 threads) and on the TypeScript kernel. The machines are
 * shared and noisy: compare numbers from the same run.
 */
import type { RandomDistribution } from '@symgrad/core';
import { nativeCpuStatus } from '../src/native.js';
import { bufferTable } from '../src/runtime/kernel-step.js';
import { compileRandom } from '../src/runtime/random.js';

const N = 800 * 1000;
const REPS = 21;

function medianMs(f: () => void): number {
  f();
  const ts: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[REPS >> 1]!;
}

const state = Int32Array.of(42, 0, 0, 0);
const out = new Float32Array(N);
const next = new Int32Array(4);
const geometry = Int32Array.of(0, 0, N, 0);
const status = nativeCpuStatus();
const DISTRIBUTIONS: readonly (readonly [RandomDistribution, 1 | 2])[] = [['uniform', 1], ['normal', 2]];

if (status.ok) {
  const addon = status.addon;
  const initial = { isa: addon.isa(), threads: addon.numThreads() };
  for (const isa of ['avx512', 'avx2', 'generic'] as const) {
    if (!addon.setIsa(isa)) continue;
    for (const threads of [1, 2]) {
      addon.setNumThreads(threads);
      for (const [name, code] of DISTRIBUTIONS) {
        const ms = medianMs(() => addon.random(code, state, out, next, geometry));
        console.log(`native ${isa.padEnd(7)} ${threads} thread${threads > 1 ? 's' : ' '}  ${name.padEnd(7)} ${ms.toFixed(3)} ms  (${(N / ms / 1e3).toFixed(0)} M/s)`);
      }
    }
  }
  addon.setIsa(initial.isa);
  addon.setNumThreads(initial.threads);
} else {
  console.log(`native addon unavailable: ${status.reason}`);
}

const table = bufferTable([{ id: 0, dtype: 'int32', size: 4, role: 'input' }, { id: 1, dtype: 'float32', size: N, role: 'output' }]);
for (const [name] of DISTRIBUTIONS) {
  const step = compileRandom({
    kind: 'random', distribution: name, dtype: 'float32', label: 'bench',
    state: { buffer: 0, offset: 0, shape: [4], strides: [1] }, output: { buffer: 1, offset: 0, shape: [N], strides: [1] },
  }, table);
  const ms = medianMs(() => step([state, out]));
  console.log(`typescript              ${name.padEnd(7)} ${ms.toFixed(3)} ms  (${(N / ms / 1e3).toFixed(0)} M/s)`);
}
