/**
 * Runs the seed training step many times and reports the process's resident memory along
 * the way: steady-state training must not grow it. Run: `pnpm --filter @symgrad/bench leak-check`
 * (`-- 1000` sets the number of steps).
 */
import { deviceAllocations } from '@symgrad/core';
import { mlpData, SEED_SHAPE } from './data.js';
import { build } from './seed-symgrad.js';

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 1000);
  const { train, x, y } = build(mlpData(SEED_SHAPE), 'O2');
  const mb = () => process.memoryUsage().rss / 1e6;
  for (let i = 0; i < 20; i++) await train(x, y);
  (globalThis as { gc?: () => void }).gc?.();
  const start = mb();
  const allocations = deviceAllocations.count;
  const samples: string[] = [];
  for (let i = 1; i <= steps; i++) {
    await train(x, y);
    if (i % Math.max(1, Math.floor(steps / 5)) === 0) samples.push(`${i}: ${mb().toFixed(1)} MB`);
  }
  (globalThis as { gc?: () => void }).gc?.();
  const end = mb();
  console.log(`RSS after warm-up ${start.toFixed(1)} MB; ${samples.join(', ')}; after ${steps} steps ${end.toFixed(1)} MB (${(end - start >= 0 ? '+' : '')}${(end - start).toFixed(1)} MB); device allocations during the run: ${deviceAllocations.count - allocations}`);
}

await main();
