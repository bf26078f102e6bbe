import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BrowserResults } from './testing-fixtures/browser-entry.js';
import { INDEXING_TOL } from './testing-fixtures/indexing-cases.js';

// In headless Chromium (Debian's, on SwiftShader; flags from WEBGPU-ON-CPU.md) gpu.js picks
// WebGL2: the renderer cases, every kernel case and the seed step run there through a
// browser bundle of this package. Skipped locally without Chromium; a failure in CI.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

describe.skipIf(!HAVE_CHROMIUM && !IN_CI)('gpu.js in headless Chromium (WebGL2 on SwiftShader)', () => {
  it('runs every renderer and kernel case and the seed step on WebGL2', async () => {
    if (!HAVE_CHROMIUM) throw new Error(`CI must run the browser test: Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`);
    const { build } = await import('esbuild');
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./testing-fixtures/browser-entry.ts', import.meta.url))],
      bundle: true, write: false, format: 'iife', platform: 'browser', logLevel: 'silent', conditions: ['@symgrad/source'],
    });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setContent('<!doctype html><html><body></body></html>');
      await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
      const r = await page.evaluate(() => (window as unknown as { gpujsResults: Promise<BrowserResults> }).gpujsResults);
      console.log(`browser: ${r.device}; ${r.exprCases} renderer cases, worst relative error ${r.exprMaxRelError.toExponential(2)}; kernel cases ${JSON.stringify(r.kernelErrors)}; seed step ${r.seedStepErrors.map((e) => e.toExponential(2)).join(', ')}; matmul ${r.matmulError.toExponential(2)}`);
      expect(r.error).toBeUndefined();
      expect(errors).toEqual([]);
      expect(r.device).toBe('gpu.js (WebGL2)');
      expect(r.exprFailures).toEqual([]);
      for (const [name, err] of Object.entries(r.kernelErrors)) expect(err, name).toBeLessThanOrEqual(1e-5);
      // Row softmax per element (softmax-cases.ts bounds), ±∞ and NaN rows included.
      const sm = r.softmax!;
      console.log(`browser softmax: ${sm.length} cases, worst element error softmax ${Math.max(...sm.map((c) => c.softmaxError)).toExponential(2)}, log-softmax ${Math.max(...sm.map((c) => c.logError)).toExponential(2)}`);
      expect(sm.length).toBeGreaterThan(0);
      expect(sm.flatMap((c) => c.failures)).toEqual([]);
      // take and scatterAdd (indexing-cases.ts bounds): repeated indices, in place, NaN, int32.
      const ix = r.indexing!;
      console.log(`browser take/scatterAdd: ${ix.length} cases, worst normwise relative error ${Math.max(...ix.map((c) => c.error)).toExponential(2)}`);
      expect(ix.length).toBeGreaterThan(0);
      expect(ix.flatMap((c) => c.failures)).toEqual([]);
      for (const c of ix) expect(c.error, c.name).toBeLessThanOrEqual(INDEXING_TOL);
      for (const e of r.seedStepErrors) expect(e).toBeLessThanOrEqual(1e-4);
      // 24 inputs and 25 outputs in one function: fused kernels stay within WebGL2's texture units.
      console.log(`browser wide fusion: ${JSON.stringify(r.wideFusion)}`);
      expect(r.wideFusion!.kernels).toBeGreaterThan(1);
      expect(r.wideFusion!.error).toBeLessThanOrEqual(1e-6);
      expect(r.matmulError).toBeLessThanOrEqual(1e-5);
      // Texture pipeline on real WebGL2 textures: per training step one upload per input
      // (x, y) and one read (the loss); in-place updates match a float64 recurrence with no
      // host reads; every texture is deleted on dispose.
      console.log(`browser precision: ${JSON.stringify(r.precision)}`);
      for (const [name, e] of Object.entries(r.precision!.matmul)) expect(e, name).toBeLessThanOrEqual(1e-5);
      for (const e of r.precision!.seedStep) expect(e).toBeLessThanOrEqual(1e-4);
      const p = r.pipeline!;
      console.log(`browser pipeline: ${JSON.stringify(p)}`);
      expect(r.textureMode).toBe(true);
      expect(p.hostReadsPerStep).toBe(1);
      expect(p.uploadsPerStep).toBe(2);
      expect(p.hostFallbacks).toBe(0);
      // Outputs overwritten whole are rendered into their previous texture (3.3 per step without).
      expect(p.glTexturesPerStep).toBeLessThanOrEqual(1);
      for (const d of p.trainRelDiff) expect(d).toBeLessThanOrEqual(1e-5);
      expect(p.inPlaceHostReads).toBe(0);
      expect(p.inPlaceRelError).toBeLessThanOrEqual(1e-5);
      expect(p.liveAfterDispose).toBe(0);
      expect(p.glLiveDelta).toBe(0);
      expect(p.partialViewErrors).toEqual([0, 0, 0, 0]);
      expect(p.partialViewFallbacks).toBe(1);
      for (const [size, e] of Object.entries(p.readBackErrors)) expect(e, `read-back of ${size} values`).toBe(0);
      // WebGL 1 (GLSL ES 1.00) in texture mode: the same cases, the same bounds.
      const w1 = r.webgl1!;
      console.log(`browser webgl1: ${w1.device}; kernel cases ${JSON.stringify(w1.kernelErrors)}; indexing worst ${w1.indexingWorst.toExponential(2)}`);
      expect(w1.device).toBe('gpu.js (WebGL)');
      for (const [name, err] of Object.entries(w1.kernelErrors)) expect(err, `webgl1 ${name}`).toBeLessThanOrEqual(1e-5);
      expect(w1.softmaxFailures).toEqual([]);
      expect(w1.indexingFailures).toEqual([]);
      expect(w1.indexingWorst).toBeLessThanOrEqual(INDEXING_TOL);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
