/**
 * Measures the native GEMM and the seed training step (not a test: numbers, not assertions).
 *
 *   pnpm --filter @symgrad/backend-cpu bench            # after `pnpm build`
 *   BENCH_QUICK=1 ... for fewer repetitions
 *
 * Prints GFLOP/s of the native sgemm (medians) for 800×1000×1000 and 2048³ with each operand
 * layout on 1 and 2 threads, then ms per step of the seed step (MLP 1000-1000-1000-10 on 800
 * rows, forward + backward + SGD through `fn`) on the native and the TypeScript kernels.
 * The machines are shared and noisy: compare numbers from the same run.
 */
import { fn } from '@symgrad/core';
// '@symgrad/core/testing' also loads core's vitest suites, which need a vitest run: take the
// seed step and its random source from their own built modules instead.
import { buildSeedStep } from '../../core/dist/testing/seed-step.js';
import { TestRandom } from '../../core/dist/testing/random.js';
import { nativeCpuStatus, type NativeCpuAddon } from '../src/native.js';
import { registerTestCpuBackends } from '../src/testing-fixtures/backends.js';
import '../src/index.js';

const quick = process.env.BENCH_QUICK === '1';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function timeIt(f: () => void, reps: number): number {
  f();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

function benchGemm(addon: NativeCpuAddon): void {
  const shapes: [number, number, number][] = [[800, 1000, 1000], [2048, 2048, 2048]];
  const layouts: [boolean, boolean][] = [[false, false], [true, false], [false, true]];
  console.log(`native sgemm (${addon.isa()}), GFLOP/s, median`);
  console.log('| m×n×k | op | 1 thread | 2 threads |\n| --- | --- | --- | --- |');
  const initial = addon.numThreads();
  for (const [m, n, k] of shapes) {
    const a = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
    const b = Float32Array.from({ length: k * n }, () => Math.random() - 0.5);
    const c = new Float32Array(m * n);
    const offsets = new Float64Array(3);
    for (const [ta, tb] of layouts) {
      // A stored [k, m] when transposed, B stored [n, k]: only the strides change.
      const strides = Float64Array.from([ta ? 1 : k, ta ? m : 1, tb ? 1 : n, tb ? k : 1, n, 1]);
      const cells: string[] = [];
      for (const threads of [1, 2]) {
        addon.setNumThreads(threads);
        const reps = quick ? 3 : m > 1000 ? 7 : 21;
        const ms = timeIt(() => addon.gemm(0, m, n, k, a, b, c, offsets, strides, 1, 0), reps);
        cells.push((2 * m * n * k / ms / 1e6).toFixed(1));
      }
      console.log(`| ${m}×${n}×${k} | ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'} | ${cells.join(' | ')} |`);
    }
  }
  addon.setNumThreads(initial);
}

async function benchSeedStep(backend: string, steps: number): Promise<number> {
  const sizes = [1000, 1000, 1000, 10] as const;
  const rows = 800;
  const rng = new TestRandom(1);
  const s = buildSeedStep(rng, sizes, 0.01);
  const X = rng.array([rows, sizes[0]], 'float32', -1, 1);
  const Y = rng.array([rows], 'int32', 0, sizes[3] - 1);
  const train = fn([s.x, s.y], s.loss, { updates: s.updates, backend });
  train.sync(X, Y);
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    train.sync(X, Y);
    ts.push(performance.now() - t0);
  }
  train.dispose();
  s.weights.forEach((w) => w.dispose());
  return median(ts);
}

const status = nativeCpuStatus();
registerTestCpuBackends();
if (status.ok) {
  benchGemm(status.addon);
  const flops = 2 * 800 * (1000 * 1000 * 2 + 1000 * 10) * 3;
  for (const threads of [1, 2]) {
    status.addon.setNumThreads(threads);
    const ms = await benchSeedStep('cpu-native', quick ? 5 : 21);
    console.log(`seed step, native ${status.addon.isa()} ${threads} thread(s): ${ms.toFixed(1)} ms/step (${(flops / ms / 1e6).toFixed(1)} GFLOP/s)`);
  }
} else {
  console.log(`native kernels unavailable: ${status.reason}`);
}
const tsMs = await benchSeedStep('cpu-ts', quick ? 2 : 5);
console.log(`seed step, TypeScript: ${tsMs.toFixed(1)} ms/step`);
