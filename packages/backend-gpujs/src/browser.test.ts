import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BrowserResults } from './testing-fixtures/browser-entry.js';

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
      for (const e of r.seedStepErrors) expect(e).toBeLessThanOrEqual(1e-4);
      expect(r.matmulError).toBeLessThanOrEqual(1e-5);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
