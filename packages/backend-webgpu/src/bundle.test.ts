import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

// The package must work in a browser bundle: nothing from Node on the main path, and the
// Node-only `webgpu` package reached only by a dynamic import the bundler leaves alone.
describe('browser bundle', () => {
  it('bundles for the browser with no Node built-ins and no static webgpu import', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
      bundle: true, write: false, format: 'esm', platform: 'browser', logLevel: 'silent',
      conditions: ['@symgrad/source'],
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:|import\(["']node:/);
    expect(code).not.toMatch(/from\s*["']webgpu["']/);
    expect(code).toMatch(/import\(\s*\/\* @vite-ignore \*\/\s*WEBGPU_PACKAGE\s*\)/);
    expect(code).toContain('registerBackend');
  });
});
