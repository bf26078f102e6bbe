/**
 * The WebGL section: symgrad's gpujs backend against tfjs-backend-webgl, both in one page of
 * headless Chromium (page.ts, bundled here with esbuild and driven by playwright-core). In
 * Node neither has WebGL, so a browser is the only place the two meet. Without a GPU,
 * Chromium renders WebGL2 through SwiftShader (software, on the CPU), so the rows compare the
 * two libraries on the same renderer, not what a GPU would do; the report names the renderer.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reason, skippedResult, type RepeatPolicy, type Result } from '../harness.js';
import type { WebglConfig, WebglReport } from './page.js';
import { SYMGRAD_WEBGL_PEER, TFJS_WEBGL_PEER, WEBGL_GROUP, webglItems, webglShapes } from './webgl-items.js';

/** The default Chromium: Debian's package, which ships SwiftShader for WebGL2 without a GPU. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export interface WebglRun {
  readonly results: Result[];
  /** The renderer (e.g. SwiftShader's name) and gpu.js's device, or why nothing ran. */
  readonly renderer: string;
  readonly checks: WebglReport['checks'];
}

/**
 * Throws when the two peers' first results on an item differ by more than `tolerance`
 * (relative): their timings would not compare the same work.
 *
 * @example
 * ```ts
 * checkAgreement([{ item: 'softmax 256×1000', relError: 4.5e-7 }], 1e-4); // passes
 * ```
 */
export function checkAgreement(checks: WebglReport['checks'], tolerance: number): void {
  const off = checks.find((c) => !(c.relError <= tolerance));
  if (off) throw new Error(`webgl bench: ${off.item}: symgrad gpujs and tfjs-webgl differ by ${off.relError.toExponential(2)} (relative), more than ${tolerance}`);
}

/** Every row of `config` skipped with `why`. */
function allSkipped(config: WebglConfig, why: string): Result[] {
  const peers = [...(config.symgrad ? [SYMGRAD_WEBGL_PEER] : []), ...(config.tfjs ? [TFJS_WEBGL_PEER] : [])];
  return webglItems(config).flatMap(({ item, flops }) => peers.map((p) => skippedResult(WEBGL_GROUP, item, p, flops, why)));
}

/**
 * Runs page.ts in headless Chromium at `chromium` and returns its rows, or the rows skipped
 * with the reason (no Chromium, a page error). A first result that differs between the two
 * peers by more than `tolerance` fails the run (`checkAgreement`).
 *
 * @example
 * ```ts
 * const run = await runWebglBench({ ...webglShapes(true), policy, symgrad: true, tfjs: true });
 * console.log(run.renderer, run.results.map((r) => `${r.item} ${r.peer} ${r.medianMs}`));
 * ```
 */
export async function runWebglBench(config: WebglConfig, options: { chromium?: string; tolerance?: number } = {}): Promise<WebglRun> {
  const chromium = options.chromium ?? process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
  if (!existsSync(chromium)) {
    const why = `no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`;
    return { results: allSkipped(config, why), renderer: why, checks: [] };
  }
  const { build } = await import('esbuild');
  const here = import.meta.url;
  const entry = fileURLToPath(new URL(here.endsWith('.ts') ? './page.ts' : './page.js', here));
  const bundle = await build({
    entryPoints: [entry], bundle: true, write: false, format: 'iife', platform: 'browser', logLevel: 'silent',
    conditions: ['@symgrad/source'],
  });
  const { chromium: launcher } = await import('playwright-core');
  const browser = await launcher.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    const report = await page.evaluate((c) => window.symgradWebglBench!(c), config);
    if (report.error || errors.length > 0) {
      const why = `failed in the page: ${reason(new Error(report.error ?? errors[0]))}`;
      return { results: allSkipped(config, why), renderer: report.renderer, checks: [] };
    }
    checkAgreement(report.checks, options.tolerance ?? 1e-4);
    return { results: [...report.results], renderer: `${report.renderer}; ${report.device}`, checks: report.checks };
  } finally {
    await browser.close();
  }
}

/** The section's repetitions: each run is tens to hundreds of ms on a software renderer. */
export function webglPolicy(quick: boolean): RepeatPolicy {
  return quick ? { warmup: 1, minReps: 3, maxReps: 10, budgetMs: 1_500 } : { warmup: 2, minReps: 7, maxReps: 30, budgetMs: 6_000 };
}

/** `runWebglBench` for main.ts: never throws; a failure becomes skipped rows with its reason. */
export async function webglResults(quick: boolean, symgrad: boolean, tfjs: boolean): Promise<{ results: Result[]; renderer: string }> {
  const config: WebglConfig = { ...webglShapes(quick), policy: webglPolicy(quick), symgrad, tfjs };
  try {
    const run = await runWebglBench(config);
    const checks = run.checks.map((c) => `${c.item}: ${c.relError.toExponential(1)}`).join('; ');
    return { results: run.results, renderer: checks ? `${run.renderer}; symgrad vs tfjs first results, relative: ${checks}` : run.renderer };
  } catch (err) {
    return { results: allSkipped(config, `failed: ${reason(err)}`), renderer: 'not run' };
  }
}
