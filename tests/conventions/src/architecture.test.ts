import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './source-files.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Which workspace packages each library may use, in code and in package.json: arrows point towards core. */
const MAY_USE: Readonly<Record<string, readonly string[]>> = {
  core: [],
  autodiff: ['core'],
  nn: ['core', 'autodiff'],
  'backend-cpu': ['core'],
  'backend-webgpu': ['core'],
  'backend-cuda': ['core'],
  'backend-gpujs': ['core'],
};

/** The `@symgrad/<name>` packages a module imports or re-exports (dynamic imports included). */
function symgradImports(path: string): string[] {
  const sf = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const spec = (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) ? node.moduleSpecifier
      : ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword ? node.arguments[0] : undefined;
    if (spec && ts.isStringLiteral(spec)) {
      const m = /^@symgrad\/([\w-]+)/.exec(spec.text);
      if (m) found.push(m[1]!);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('architecture', () => {
  it('every library package is listed with the packages it may use', () => {
    expect(readdirSync(join(ROOT, 'packages')).sort()).toEqual(Object.keys(MAY_USE).sort());
  });

  it("a library's code imports only the packages below it: no backend imports another, core imports none", () => {
    const bad: string[] = [];
    for (const [pkg, allowed] of Object.entries(MAY_USE)) {
      for (const f of sourceFiles(join(ROOT, 'packages', pkg, 'src'), (n) => n.endsWith('.ts') && !n.endsWith('.test.ts'), new Set(['testing-fixtures']))) {
        for (const used of symgradImports(f)) if (used !== pkg && !allowed.includes(used)) bad.push(`${relative(ROOT, f)} imports @symgrad/${used}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("a library's package.json depends (peer or direct) only on the packages below it", () => {
    const bad: string[] = [];
    for (const [pkg, allowed] of Object.entries(MAY_USE)) {
      const json = JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
      for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
        for (const dep of Object.keys(json[field] ?? {})) {
          const m = /^@symgrad\/([\w-]+)$/.exec(dep);
          if (m && !allowed.includes(m[1]!)) bad.push(`packages/${pkg}/package.json ${field} has ${dep}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('source files stay under 600 lines', () => {
    const long = ['packages', 'apps', 'tests'].flatMap((top) => sourceFiles(join(ROOT, top), (n) => /\.(ts|mjs|cc|h|py|sh)$/.test(n) && !n.endsWith('.d.ts')))
      .map((f) => ({ f: relative(ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((x) => x.lines > 600)
      .map((x) => `${x.f}: ${x.lines} lines`);
    expect(long).toEqual([]);
  });
});
