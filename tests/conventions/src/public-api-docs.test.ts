import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { undocumentedExports } from './public-api-audit.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('public API docs', () => {
  it('every export of every package entry point has TSDoc, with an @example on functions and classes', () => {
    const missing = undocumentedExports(ROOT).map((e) => `${e.entry}: ${e.name} (${e.file}) has ${e.problem}`);
    expect(missing).toEqual([]);
  }, 60_000);

  it('the audit finds an export without TSDoc and a function without an example, through re-exports', () => {
    const root = mkdtempSync(join(tmpdir(), 'symgrad-docs-audit-'));
    try {
      const write = (path: string, text: string): void => {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      write('packages/p/package.json', JSON.stringify({ name: '@x/p', type: 'module', exports: { '.': { '@symgrad/source': './src/index.ts' } } }));
      write('packages/p/src/index.ts', "export { documented, noExample, LIMIT, type Options } from './f.js';\nexport const bare = 1;\n");
      write('packages/p/src/f.ts', [
        '/** Options (types need no example). */',
        'export interface Options { readonly n: number }',
        '/** The limit. */',
        'export const LIMIT = 3;',
        '/**',
        ' * Doubles.',
        ' *',
        ' * @example',
        ' * ```ts',
        ' * documented(2); // 4',
        ' * ```',
        ' */',
        'export function documented(n: number): number { return 2 * n; }',
        '/** Triples. */',
        'export function noExample(n: number): number { return 3 * n; }',
      ].join('\n'));
      expect(undocumentedExports(root)).toEqual([
        { entry: '@x/p', name: 'noExample', file: 'packages/p/src/f.ts', problem: 'no @example' },
        { entry: '@x/p', name: 'bare', file: 'packages/p/src/index.ts', problem: 'no TSDoc' },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
