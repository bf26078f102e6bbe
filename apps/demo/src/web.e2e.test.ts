/**
 * End to end: builds the web page with Vite, serves it from 127.0.0.1, and drives Debian's
 * Chromium headless through playwright-core (WebGPU and WebGL2 on SwiftShader; see
 * shared WEBGPU-ON-CPU.md for the flags). The page trains a small model on every backend it
 * finds; the loss must fall and the table fill. A screenshot is left in apps/demo/artifacts/.
 *
 * Without Chromium the test fails in CI (CI=true: .ci/run installs it) and is skipped locally.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './testing/static-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const APP = join(dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = join(APP, 'artifacts');
const MISSING = `Chromium is not installed at ${CHROMIUM}: install it with 'apt-get install -y chromium' (as .ci/run does), or set CHROMIUM_PATH`;

if (!HAVE_CHROMIUM && !IN_CI) console.warn(`web e2e test skipped: ${MISSING}`);

describe.skipIf(!HAVE_CHROMIUM && !IN_CI)('web page in headless Chromium', () => {
  let out = '';
  let server: { url: string; close: () => Promise<void> } | undefined;

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) return;
    const { build } = await import('vite');
    out = mkdtempSync(join(tmpdir(), 'symgrad-web-'));
    await build({ configFile: join(APP, 'vite.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
    server = await serveStatic(out);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('trains on each backend the browser has, the loss falls and the table fills', async () => {
    if (!HAVE_CHROMIUM) throw new Error(`CI must run the browser test: ${MISSING}`);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server!.url}?autorun=1&hidden=32&samples=200&epochs=15`);
      await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 120_000 });
      const state = await page.evaluate(() => (window as unknown as { symgradDemo: unknown }).symgradDemo) as {
        backends: { name: string; available: boolean; reason?: string }[];
        results: { backend: string; history: { loss: number }[]; msPerStep: number; device: string }[];
        errors: { backend: string; message: string }[];
      };
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'web-demo.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(state.errors).toEqual([]);
      expect(state.backends.map((b) => b.name)).toEqual(['webgpu', 'gpujs', 'cpu']);
      const available = state.backends.filter((b) => b.available).map((b) => b.name);
      expect(available).toContain('cpu');
      expect(state.results.map((r) => r.backend)).toEqual(available);
      for (const r of state.results) {
        expect(r.history).toHaveLength(15);
        expect(r.history[14]!.loss).toBeLessThan(r.history[0]!.loss);
        expect(r.msPerStep).toBeGreaterThan(0);
      }
      // Backends the browser cannot run show their own reason in the table.
      for (const b of state.backends.filter((x) => !x.available)) {
        expect(b.reason).toBeTruthy();
        const text = await page.textContent(`tr[data-backend="${b.name}"]`);
        expect(text).toContain(b.reason!.slice(0, 40));
      }
      const rows = await page.$$eval('#results tbody tr[data-state="done"]', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
      expect(rows).toHaveLength(state.results.length);
      expect(rows[0]).toHaveLength(10);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
