import { describe, expect, it, vi } from 'vitest';
import { fn } from '@symgrad/core';
import { buildSeedStep, relativeError, TestRandom } from '@symgrad/core/testing';
import { CpuBackend } from './backend.js';
import { nativeCpuStatus } from './native.js';
import type { CpuExecutable } from './runtime/executable.js';
import { registerTestCpuBackends } from './testing-fixtures/backends.js';

registerTestCpuBackends();

/** One seed training step (MLP, softmax cross-entropy, SGD updates) through fn on a backend. */
async function seedStep(backend: string) {
  const sizes = [300, 256, 200, 10] as const;
  const rows = 120;
  const rng = new TestRandom(42);
  const s = buildSeedStep(rng, sizes, 0.1);
  const X = rng.array([rows, sizes[0]], 'float32', -1, 1);
  const Y = rng.array([rows], 'int32', 0, sizes[3] - 1);
  const train = fn([s.x, s.y], [s.loss, ...s.grads, s.probabilities], { updates: s.updates, backend });
  const first = await train(X, Y);
  const second = await train(X, Y);
  const weights = await Promise.all(s.weights.map((w) => w.read()));
  train.dispose();
  s.weights.forEach((w) => w.dispose());
  return { outputs: [...first, ...second].map((a) => a.data), weights: weights.map((w) => w.data) };
}

describe.skipIf(!nativeCpuStatus().ok)('the seed step, native vs TypeScript kernels', () => {
  it('gives the same loss, gradients, probabilities and updated weights within 1e-5 over two steps', async () => {
    const status = nativeCpuStatus();
    const gemm = status.ok ? vi.spyOn(status.addon, 'gemm') : undefined;
    const compile = vi.spyOn(CpuBackend.prototype, 'compile');
    const native = await seedStep('cpu-native');
    // Every matmul of the step (3 forward, 5 backward) ran on the addon, twice.
    expect(gemm?.mock.calls.length).toBe(16);
    gemm?.mockRestore();
    // So did every other kernel: none fell back to TypeScript.
    const exes = compile.mock.results.map((r) => r.value as CpuExecutable);
    compile.mockRestore();
    expect(exes.length).toBeGreaterThan(0);
    for (const exe of exes) expect(exe.nativeFallbacks).toEqual([]);
    const ts = await seedStep('cpu-ts');
    native.outputs.forEach((o, i) => expect(relativeError(o, ts.outputs[i]!), `output ${i}`).toBeLessThanOrEqual(1e-5));
    native.weights.forEach((w, i) => expect(relativeError(w, ts.weights[i]!), `w${i + 1}`).toBeLessThanOrEqual(1e-5));
  });

  it('gives bit-identical results on 1 and 2 threads', async () => {
    const status = nativeCpuStatus();
    if (!status.ok) return;
    const initial = status.addon.numThreads();
    try {
      status.addon.setNumThreads(1);
      const one = await seedStep('cpu-native');
      status.addon.setNumThreads(2);
      const two = await seedStep('cpu-native');
      [...one.outputs, ...one.weights].forEach((a, i) => {
        const b = [...two.outputs, ...two.weights][i]!;
        const differs = Array.from(a).findIndex((v, j) => !Object.is(v, b[j]));
        expect(differs, `array ${i}`).toBe(-1);
      });
    } finally {
      status.addon.setNumThreads(initial);
    }
  });
});
