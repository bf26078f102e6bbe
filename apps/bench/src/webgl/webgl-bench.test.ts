import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stepFlops } from '../harness.js';
import { checkAgreement, runWebglBench } from './webgl-bench.js';
import { SYMGRAD_WEBGL_PEER, TFJS_WEBGL_PEER, WEBGL_GROUP, webglItems, type WebglShapes } from './webgl-items.js';
import type { WebglConfig } from './page.js';

// Small shapes (awkward sizes: primes, a batch of 5): SwiftShader renders WebGL2 on the CPU.
const SHAPES: WebglShapes = { seed: { rows: 5, features: 31, hidden: 13, classes: 10 }, gemm: [17, 13, 19], rows: 7, cols: 13, embedding: { vocab: 101, dim: 3, tokens: 67 } };
const CONFIG: WebglConfig = { ...SHAPES, policy: { warmup: 1, minReps: 2, maxReps: 2, budgetMs: 0 }, symgrad: true, tfjs: true };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

describe('webgl section', () => {
  it('names its items after the shapes, with their FLOPs', () => {
    expect(webglItems(SHAPES).map((i) => [i.kind, i.item, i.flops])).toEqual([
      ['seed', 'seed step, reduced: 5 rows, hidden 13', stepFlops(5, 31, 13, 10)],
      ['gemm', 'sgemm A·B 17×13×19', 2 * 17 * 13 * 19],
      ['softmax', 'softmax 7×13', 5 * 7 * 13],
      ['elementwise', 'elementwise chain 7×13', 6 * 7 * 13],
      ['embedding', 'embedding step 101×3, 67 ids', 5 * 67 * 3],
    ]);
  });

  it('skips every row with the reason when there is no Chromium', async () => {
    const run = await runWebglBench(CONFIG, { chromium: '/nonexistent/chromium' });
    expect(run.results).toHaveLength(10);
    for (const r of run.results) {
      expect(r.group).toBe(WEBGL_GROUP);
      expect(r.times).toEqual([]);
      expect(r.skipped).toBe('no Chromium at /nonexistent/chromium (apt-get install chromium, or set CHROMIUM_PATH)');
    }
    expect(new Set(run.results.map((r) => r.peer))).toEqual(new Set([SYMGRAD_WEBGL_PEER, TFJS_WEBGL_PEER]));
  });

  it('refuses timings of peers whose first results differ', () => {
    expect(() => checkAgreement([{ item: 'softmax 7×13', relError: 1e-7 }, { item: 'sgemm A·B 17×13×19', relError: 3e-3 }], 1e-4))
      .toThrow('webgl bench: sgemm A·B 17×13×19: symgrad gpujs and tfjs-webgl differ by 3.00e-3 (relative), more than 0.0001');
    expect(() => checkAgreement([{ item: 'softmax 7×13', relError: Number.NaN }], 1e-4)).toThrow('softmax 7×13: symgrad gpujs and tfjs-webgl differ by NaN');
    expect(() => checkAgreement([{ item: 'softmax 7×13', relError: 1e-7 }], 1e-4)).not.toThrow();
  });

  // CI installs Chromium (.ci/run); locally the test needs it too, or it is skipped.
  it.skipIf(!existsSync(CHROMIUM) && !IN_CI)('times symgrad gpujs and tfjs-webgl in one page of headless Chromium, after checking they agree', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`CI must run the webgl section: Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`);
    const run = await runWebglBench(CONFIG);
    expect(run.renderer).toMatch(/; gpu\.js \(WebGL2\)$/);
    expect(run.checks.map((c) => c.item)).toEqual(webglItems(SHAPES).map((i) => i.item));
    for (const c of run.checks) expect(c.relError, c.item).toBeLessThanOrEqual(1e-5);
    expect(run.results).toHaveLength(10);
    for (const r of run.results) {
      expect(r.skipped, `${r.item} ${r.peer}`).toBeUndefined();
      expect(r.times, `${r.item} ${r.peer}`).toHaveLength(2);
      expect(r.medianMs).toBeGreaterThan(0);
    }
  }, 120_000);
});
